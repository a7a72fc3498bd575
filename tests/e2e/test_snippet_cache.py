"""The cache-first read path against real Valkey and PostgreSQL, including outages."""

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from itertools import chain, repeat
from uuid import UUID

import httpx
import pytest
from asgi_lifespan import LifespanManager
from dishka import Provider, Scope, provide
from fastapi import FastAPI
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from swiftpaste.application.ports.snippets import (
    Rendered,
    Representation,
    ShortIdGenerator,
    SnippetCache,
)
from swiftpaste.infrastructure.cache.snippet_cache import decode_value
from swiftpaste.main.api import make_api
from swiftpaste.main.settings import Settings
from tests.conftest import Servers
from tests.e2e.conftest import Account, register_and_log_in
from tests.e2e.test_snippets import SNIPPETS, create, read


@pytest.fixture
async def redis(servers: Servers) -> AsyncIterator[Redis]:
    client = Redis.from_url(servers.endpoints.redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def owner(client: httpx.AsyncClient) -> Account:
    return await register_and_log_in(client)


def _metric(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


async def test_first_read_fills_the_cache_and_the_next_is_a_hit(
    client: httpx.AsyncClient, owner: Account, redis: Redis
) -> None:
    snippet = await create(client, owner)
    key = f"snippet:{snippet['short_id']}:vlatest"
    assert await redis.get(key) is None
    misses = _metric("cache_miss_total")
    first = await read(client, snippet["short_id"])
    assert _metric("cache_miss_total") == misses + 1
    # The response, after a header naming the snippet and its entity tag, with the view
    # count left out.
    stored = await redis.get(key)
    assert isinstance(stored, bytes)
    copy = decode_value(stored)
    assert copy is not None
    assert (copy.snippet_id, copy.etag) == (UUID(snippet["id"]), first.headers["etag"].strip('"'))
    assert copy.rendered.body(first.json()["views"]) == first.content
    hits = _metric("cache_hit_total")
    second = await read(client, snippet["short_id"])
    assert _metric("cache_hit_total") == hits + 1
    assert second.content == first.content
    assert second.headers["content-type"] == "application/json"


async def test_private_versions_are_never_cached(
    client: httpx.AsyncClient, owner: Account, redis: Redis
) -> None:
    snippet = await create(client, owner, visibility="private")
    assert (await read(client, snippet["short_id"], owner)).status_code == 200
    assert await redis.keys(f"snippet:{snippet['short_id']}:v*") == []


async def test_ttl_is_bounded_by_the_version_expiry(
    client: httpx.AsyncClient, owner: Account, redis: Redis, settings: Settings
) -> None:
    expires_at = datetime.now(UTC) + timedelta(seconds=20)
    snippet = await create(client, owner, expires_at=expires_at.isoformat())
    await read(client, snippet["short_id"])
    ttl = await redis.ttl(f"snippet:{snippet['short_id']}:vlatest")
    assert 0 < ttl <= 20
    plain = await create(client, owner)
    await read(client, plain["short_id"])
    plain_ttl = await redis.ttl(f"snippet:{plain['short_id']}:vlatest")
    assert 20 < plain_ttl <= settings.cache_ttl_seconds


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("PUT", "", {"content": "new content"}),
        ("PUT", "", {"title": "new title"}),
        ("POST", "/share", {"ttl_seconds": 300}),
        ("DELETE", "", None),
    ],
)
async def test_every_write_invalidates_the_cached_versions(
    client: httpx.AsyncClient,
    owner: Account,
    redis: Redis,
    method: str,
    suffix: str,
    body: dict[str, object] | None,
) -> None:
    snippet = await create(client, owner)
    await read(client, snippet["short_id"])
    await read(client, snippet["short_id"], version=1)
    assert len(await redis.keys(f"snippet:{snippet['short_id']}:v*")) == 2
    response = await client.request(
        method, f"{SNIPPETS}/{snippet['id']}{suffix}", json=body, headers=owner.auth
    )
    assert response.status_code < 300
    assert await redis.keys(f"snippet:{snippet['short_id']}:v*") == []
    after = await read(client, snippet["short_id"])
    if method == "DELETE":
        assert after.status_code == 404
    else:
        stored = await redis.get(f"snippet:{snippet['short_id']}:v1")
        assert not isinstance(stored, bytes) or not stored.endswith(after.content)
        assert after.json()["updated_at"] != snippet["updated_at"]


async def test_a_stale_write_after_an_invalidation_is_dropped(
    client: httpx.AsyncClient, app: FastAPI, owner: Account, redis: Redis
) -> None:
    """A miss that read the generation before an edit must not cache what it loaded."""
    snippet = await create(client, owner)
    short_id = snippet["short_id"]
    seen_generation = await redis.get(f"snippet:{short_id}:gen") or b"0"
    await client.put(f"{SNIPPETS}/{snippet['id']}", json={"title": "edited"}, headers=owner.auth)
    snippet_cache = await app.state.dishka_container.get(SnippetCache)
    await snippet_cache.put(
        short_id,
        None,
        Representation.JSON,
        Rendered(b"stale"),
        0,
        60,
        seen_generation,
        UUID(snippet["id"]),
        "0" * 32,
    )
    assert await redis.get(f"snippet:{short_id}:vlatest") is None


async def test_with_valkey_stopped_reads_fall_back_to_postgres(
    client: httpx.AsyncClient, owner: Account, servers: Servers
) -> None:
    stack = servers.require_stack()
    snippet = await create(client, owner)
    errors = _metric("cache_error_total")
    stack.valkey.stop()
    try:
        response = await read(client, snippet["short_id"])
        assert response.status_code == 200
        assert response.json()["short_id"] == snippet["short_id"]
        assert _metric("cache_error_total") > errors
    finally:
        stack.valkey.start()


async def test_with_postgres_stopped_a_cached_public_snippet_is_still_served(
    client: httpx.AsyncClient, owner: Account, servers: Servers
) -> None:
    stack = servers.require_stack()
    snippet = await create(client, owner)
    cached = await read(client, snippet["short_id"])
    other = await create(client, owner)
    stack.postgres.stop()
    try:
        response = await read(client, snippet["short_id"])
        assert response.status_code == 200
        assert response.content == cached.content
        uncached = await read(client, other["short_id"])
        assert uncached.status_code == 503
    finally:
        stack.postgres.start()


class _SequenceShortIds(Provider):
    """Hands out the given short ids in order, then fresh random-looking ones."""

    def __init__(self, first: list[str]) -> None:
        super().__init__(scope=Scope.APP)
        self._ids: Iterator[str] = chain(first, (f"Zz{n:06d}" for n in range(100_000)))

    @provide(override=True)
    def short_ids(self) -> ShortIdGenerator:
        ids = self._ids

        class Generator:
            def new(self) -> str:
                return next(ids)

        return Generator()


async def test_a_short_id_collision_draws_again(
    client: httpx.AsyncClient, owner: Account, settings: Settings
) -> None:
    taken = (await create(client, owner))["short_id"]
    app = make_api(settings, _SequenceShortIds([taken, taken]))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://swiftpaste.test"
        ) as other,
    ):
        response = await other.post(
            f"{SNIPPETS}/", json={"title": "t", "content": "c"}, headers=owner.auth
        )
    assert response.status_code == 201
    assert response.json()["short_id"] not in {taken}


async def test_endless_collisions_give_503_and_create_nothing(
    client: httpx.AsyncClient, owner: Account, settings: Settings
) -> None:
    taken = (await create(client, owner))["short_id"]
    app = make_api(settings, _SequenceShortIds(list(repeat(taken, 10))))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://swiftpaste.test"
        ) as other,
    ):
        response = await other.post(
            f"{SNIPPETS}/", json={"title": "t", "content": "c"}, headers=owner.auth
        )
    assert response.status_code == 503
    mine = await client.get(f"{SNIPPETS}/", headers=owner.auth)
    assert mine.json()["total"] == 1
