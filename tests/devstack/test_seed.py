"""`swiftpaste seed` writes snippets whose search documents the search finds, as indexed."""

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from swiftpaste.devstack.seed import SEED_PASSWORD, seed
from swiftpaste.devstack.seed_corpus import seed_snippet
from swiftpaste.infrastructure.security.passwords import (
    OWASP_MIN_MEMORY_KIB,
    OWASP_MIN_TIME_COST,
    Argon2Parameters,
)
from swiftpaste.main.api import make_api
from swiftpaste.main.settings import Settings
from tests.conftest import Servers, scratch_database
from tests.e2e.conftest import Account, make_settings
from tests.search.conftest import SearchClient

CHEAP_HASHING = Argon2Parameters(OWASP_MIN_TIME_COST, OWASP_MIN_MEMORY_KIB, parallelism=1)


@pytest.fixture(scope="module")
def seed_settings(servers: Servers) -> Iterator[Settings]:
    with scratch_database(servers, "swiftpaste_seed", migrated=True) as url:
        yield make_settings(servers, url)


@pytest.fixture(scope="module")
async def search(seed_settings: Settings) -> AsyncIterator[SearchClient]:
    app = make_api(seed_settings)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://swiftpaste.test") as c:
            yield SearchClient(c)


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
    search: SearchClient, seed_settings: Settings
) -> None:
    report = await seed(seed_settings.database_url, CHEAP_HASHING, 30, user_count=1)
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
