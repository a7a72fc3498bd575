"""`swiftpaste seed` writes snippets whose search documents the search finds, as indexed."""

from swiftpaste.main.seed import seed
from swiftpaste.main.seed_corpus import seed_snippet
from swiftpaste.main.settings import Settings
from tests.search.conftest import SearchClient


async def test_seeded_snippets_are_searchable_by_their_authors_name(
    search: SearchClient, search_settings: Settings
) -> None:
    report = await seed(search_settings, 30, user_count=1)
    assert report.snippets == 30
    (author,) = report.users
    everything = await search.find("the or a or def or function", author=author, size=100)
    assert 0 < everything["total"] <= 30
    first = seed_snippet(0)
    found = await search.find(f'"{first.title}"', author=author)
    assert first.title in [item["title"] for item in found["items"]]
    assert all(item["author"]["username"] == author for item in found["items"])
