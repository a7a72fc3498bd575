"""Search against real servers, with documents written by the real indexer.

The package has a database, topics and consumer groups of its own. Snippets are created,
revised, shared and deleted through the API; the outbox relay and the indexer consumer
run in this process, so every search document comes from the event pipeline
(API → outbox → relay → Kafka → indexer), never from a test writing rows.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from swiftpaste.main.api import make_api
from swiftpaste.main.consumers import build_consumer_app
from swiftpaste.main.relay import build_relay
from swiftpaste.main.settings import Settings
from tests.conftest import Servers, eventually, scratch_database
from tests.consumers.conftest import consumer_settings, create_topics
from tests.e2e.conftest import Account, register_and_log_in

SNIPPETS = "/v1/api/snippet"
SEARCH = f"{SNIPPETS}/search"


def unique_word(prefix: str = "w") -> str:
    """A word no other test (or run) uses: letters and digits, one part, never a prefix."""
    return f"{prefix}{uuid.uuid4().hex[:12]}x"


@pytest.fixture(scope="package")
def search_database(servers: Servers) -> Iterator[str]:
    with scratch_database(servers, "swiftpaste_search", migrated=True) as url:
        yield url


@pytest.fixture(scope="package")
def search_settings(servers: Servers, search_database: str) -> Settings:
    return consumer_settings(
        servers,
        search_database,
        share_min_ttl_seconds=1,  # share windows that end within a test
        outbox_poll_interval_seconds=0.5,
        relay_http_port=0,
    )


@pytest.fixture(scope="package")
async def pipeline(search_settings: Settings) -> AsyncIterator[None]:
    """The relay and the indexer, running until the package's tests are done."""
    await create_topics(search_settings)
    stop = asyncio.Event()
    async with (
        build_relay(search_settings) as relay,
        build_consumer_app("indexer", search_settings),
    ):
        task = asyncio.create_task(relay.run(stop))
        yield
        stop.set()
        await asyncio.wait_for(task, 10)


@pytest.fixture(scope="package")
async def http(search_settings: Settings, pipeline: None) -> AsyncIterator[httpx.AsyncClient]:
    app = make_api(search_settings)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://swiftpaste.test") as c:
            yield c


class SearchClient:
    """The snippet and search endpoints, and waiting for the indexer to catch up."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def account(self) -> Account:
        return await register_and_log_in(self.http)

    async def create(
        self, owner: Account, title: str, content: str, **fields: Any
    ) -> dict[str, Any]:
        body = {"title": title, "content": content, **fields}
        response = await self.http.post(f"{SNIPPETS}/", json=body, headers=owner.auth)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def revise(self, owner: Account, snippet: dict[str, Any], **fields: Any) -> None:
        response = await self.http.put(
            f"{SNIPPETS}/{snippet['id']}", json=fields, headers=owner.auth
        )
        assert response.status_code == 200, response.text

    async def delete(self, owner: Account, snippet: dict[str, Any]) -> None:
        response = await self.http.delete(f"{SNIPPETS}/{snippet['id']}", headers=owner.auth)
        assert response.status_code == 204, response.text

    async def get(self, query: str, as_: Account | None = None, **params: Any) -> httpx.Response:
        headers = as_.auth if as_ else {}
        return await self.http.get(SEARCH, params={"query": query, **params}, headers=headers)

    async def find(self, query: str, as_: Account | None = None, **params: Any) -> dict[str, Any]:
        response = await self.get(query, as_, **params)
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    async def short_ids(self, query: str, as_: Account | None = None, **params: Any) -> list[str]:
        return [item["short_id"] for item in (await self.find(query, as_, **params))["items"]]

    async def until_total(
        self, query: str, total: int, as_: Account | None = None, **params: Any
    ) -> dict[str, Any]:
        """The answer once the indexer has caught up so that `total` snippets match."""

        async def settled() -> dict[str, Any]:
            found = await self.find(query, as_, **params)
            return found if found["total"] == total else {}

        result: dict[str, Any] = await eventually(settled, within=30)
        return result


@pytest.fixture(scope="package")
def search(http: httpx.AsyncClient) -> SearchClient:
    return SearchClient(http)
