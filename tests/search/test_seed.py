"""`swiftpaste seed` writes snippets whose search documents the search finds, as indexed."""

from swiftpaste.main.seed import SEED_PASSWORD, seed
from swiftpaste.main.seed_corpus import seed_snippet
from swiftpaste.main.settings import Settings
from tests.e2e.conftest import Account
from tests.search.conftest import SearchClient


async def log_in(search: SearchClient, username: str) -> Account:
    response = await search.http.post(
        "/auth/jwt/login", data={"username": username, "password": SEED_PASSWORD}
    )
    assert response.status_code == 200, response.text
    tokens = response.json()
    return Account(
        id="",
        email=f"{username}@example.com",
        username=username,
        password=SEED_PASSWORD,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
    )


async def test_seeded_snippets_are_searchable_by_their_authors_name(
    search: SearchClient, search_settings: Settings
) -> None:
    report = await seed(search_settings, 30, user_count=1)
    assert report.snippets == 30
    (author,) = report.users
    # As the author, who sees each of them: some seeded snippets are private or expired.
    owner = await log_in(search, author)
    everything = await search.find("the or a or def or function", owner, author=author, size=100)
    assert 0 < everything["total"] <= 30
    first = seed_snippet(0)
    found = await search.find(f'"{first.title}"', owner, author=author)
    assert first.title in [item["title"] for item in found["items"]]
    assert all(item["author"]["username"] == author for item in found["items"])
