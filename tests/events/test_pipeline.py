"""The whole event pipeline, end to end: API → outbox → relay → Kafka → consumers.

Every piece is the real one, against the session's real PostgreSQL, Valkey and Kafka:
the API app (lifespan included, so its view publisher runs), the relay, the scheduler
loop and the FastStream consumers (in this process). The module has a database of its
own, and its own topics and consumer groups, so nothing else publishes or consumes here.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from asgi_lifespan import LifespanManager
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from swiftpaste.infrastructure.persistence.tables import outbox, search_documents
from swiftpaste.main.api import make_api
from swiftpaste.main.consumers import build_consumer_app
from swiftpaste.main.relay import build_relay
from swiftpaste.main.scheduler import make_scheduler_container, run_scheduler_loop
from swiftpaste.main.settings import Settings
from tests.conftest import Servers, eventually, scratch_database
from tests.consumers.conftest import consumer_settings, create_topics
from tests.e2e.conftest import Account, register_and_log_in

SNIPPETS = "/v1/api/snippet"


@pytest.fixture(scope="module")
def pipeline_database(servers: Servers) -> Iterator[str]:
    with scratch_database(servers, "swiftpaste_pipeline", migrated=True) as url:
        yield url


@pytest.fixture(scope="module")
def settings(servers: Servers, pipeline_database: str) -> Settings:
    return consumer_settings(
        servers,
        pipeline_database,
        # Share windows of a second, so an expiry happens within the test.
        share_min_ttl_seconds=1,
        scheduler_interval_seconds=0.2,
        outbox_poll_interval_seconds=0.5,
        relay_http_port=0,
        scheduler_http_port=0,
    )


@pytest.fixture(scope="module")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(settings.database_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    await create_topics(settings)
    app = make_api(settings)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://swiftpaste.test") as c:

            async def kafka_up() -> bool:
                ready = (await c.get("/v1/api/health/ready")).json()
                return bool(ready["dependencies"]["kafka"]["status"] == "up")

            # Views are dropped (and counted) until the publisher is connected.
            await eventually(kafka_up)
            yield c


@pytest.fixture(scope="module")
async def relay(settings: Settings) -> AsyncIterator[None]:
    stop = asyncio.Event()
    async with build_relay(settings) as running_relay:
        task = asyncio.create_task(running_relay.run(stop))
        yield
        stop.set()
        await asyncio.wait_for(task, 10)


@pytest.fixture(scope="module")
async def consumers(settings: Settings, relay: None) -> AsyncIterator[None]:
    async with contextlib.AsyncExitStack() as stack:
        for name in ("indexer", "views", "cache"):
            await stack.enter_async_context(build_consumer_app(name, settings))
        yield


@pytest.fixture(scope="module")
async def owner(client: httpx.AsyncClient) -> Account:
    return await register_and_log_in(client)


async def create(client: httpx.AsyncClient, owner: Account, **fields: Any) -> dict[str, Any]:
    body = {"title": "pipeline", "content": "def fibonacci(n): ...\n", **fields}
    response = await client.post(f"{SNIPPETS}/", json=body, headers=owner.auth)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def document(engine: AsyncEngine, snippet_id: str) -> Any:
    async with engine.connect() as connection:
        return (
            await connection.execute(
                select(search_documents).where(search_documents.c.snippet_id == snippet_id)
            )
        ).one_or_none()


@pytest.mark.usefixtures("consumers")
async def test_views_of_a_thousand_reads_are_counted_exactly(
    client: httpx.AsyncClient, owner: Account
) -> None:
    snippets = [await create(client, owner, title=f"counted {n}") for n in range(10)]
    for round_ in range(100):
        for snippet in snippets:
            # Cache misses and hits alike, the JSON view and the raw one.
            path = f"{SNIPPETS}/{snippet['short_id']}" + ("/raw" if round_ % 10 == 0 else "")
            assert (await client.get(path)).status_code == 200

    ids = {snippet["id"] for snippet in snippets}

    async def counted() -> dict[str, int]:
        listing = await client.get(f"{SNIPPETS}/", params={"size": 100}, headers=owner.auth)
        views = {item["id"]: item["views"] for item in listing.json()["items"]}
        return {key: views[key] for key in ids} if all(views[k] >= 100 for k in ids) else {}

    assert set((await eventually(counted, within=60)).values()) == {100}
    # Nothing more arrives later: no view is counted twice.
    await asyncio.sleep(1.0)
    assert set((await counted()).values()) == {100}


@pytest.mark.usefixtures("consumers")
async def test_a_created_and_revised_snippet_is_indexed_and_a_deleted_one_removed(
    client: httpx.AsyncClient, owner: Account, engine: AsyncEngine
) -> None:
    snippet = await create(client, owner, language="python")

    async def indexed(version: int) -> Any:
        found = await document(engine, snippet["id"])
        return found if found is not None and found.version == version else None

    first = await eventually(lambda: indexed(1))
    assert first.content == "def fibonacci(n): ...\n"
    assert (first.short_id, first.visibility, first.language) == (
        snippet["short_id"],
        "public",
        "python",
    )
    response = await client.put(
        f"{SNIPPETS}/{snippet['id']}",
        json={"content": "def fib_memo(n): ...\n", "visibility": "private"},
        headers=owner.auth,
    )
    assert response.status_code == 200
    second = await eventually(lambda: indexed(2))
    assert (second.content, second.visibility) == ("def fib_memo(n): ...\n", "private")
    assert second.aggregate_version > first.aggregate_version

    assert (
        await client.delete(f"{SNIPPETS}/{snippet['id']}", headers=owner.auth)
    ).status_code == 204

    async def removed() -> bool:
        return await document(engine, snippet["id"]) is None

    await eventually(removed)


@pytest.mark.embedded
@pytest.mark.usefixtures("consumers")
async def test_a_revision_made_while_redis_was_down_is_not_served_stale_once_it_is_back(
    client: httpx.AsyncClient, owner: Account, servers: Servers
) -> None:
    stack = servers.require_stack()
    snippet = await create(client, owner, content="old content\n")
    path = f"{SNIPPETS}/{snippet['short_id']}"
    await client.get(path)
    assert (await client.get(path)).json()["current_version"]["content"] == "old content\n"
    redis = Redis.from_url(servers.endpoints.redis_url)
    try:
        assert await redis.exists(f"snippet:{snippet['short_id']}:vlatest") == 1
        # Valkey keeps no data across a restart; a dump brings the stale entry back.
        await redis.save()
    finally:
        await redis.aclose()
    stack.valkey.stop()
    try:
        # The API cannot invalidate now: the write still succeeds.
        response = await client.put(
            f"{SNIPPETS}/{snippet['id']}", json={"content": "new content\n"}, headers=owner.auth
        )
        assert response.status_code == 200
    finally:
        stack.valkey.start()
        (stack.valkey.directory / "dump.rdb").unlink(missing_ok=True)

    async def fresh() -> bool:
        body = (await client.get(path)).json()
        return bool(body["current_version"]["content"] == "new content\n")

    # Until the cache consumer evicts it, the restored entry answers the old content.
    await eventually(fresh, within=30)


@pytest.mark.usefixtures("consumers")
async def test_an_ended_share_window_is_announced_once_evicted_and_hidden(
    client: httpx.AsyncClient, owner: Account, settings: Settings, engine: AsyncEngine
) -> None:
    snippet = await create(client, owner, title="short-lived")
    path = f"{SNIPPETS}/{snippet['short_id']}"
    shared = await client.post(
        f"{SNIPPETS}/{snippet['id']}/share", json={"ttl_seconds": 2}, headers=owner.auth
    )
    assert shared.status_code == 201
    assert (await client.get(path)).status_code == 200  # cached until the window ends

    stop = asyncio.Event()
    container = make_scheduler_container(settings)
    scheduler = asyncio.create_task(run_scheduler_loop(container, settings, stop))
    try:

        async def announced() -> list[Any]:
            async with engine.connect() as connection:
                rows = (
                    await connection.execute(
                        select(outbox.c.message, outbox.c.published_at).where(
                            outbox.c.event_type == "snippet.expired",
                            outbox.c.message_key == snippet["id"],
                        )
                    )
                ).all()
            return list(rows) if rows and all(row.published_at for row in rows) else []

        rows = await eventually(announced, within=30)
        # A few more scheduler ticks announce nothing new.
        await asyncio.sleep(1.0)
        assert len(await announced()) == 1
    finally:
        stop.set()
        await asyncio.wait_for(scheduler, 10)
        await container.close()
    message = rows[0].message
    assert message["event_type"] == "snippet.expired"
    assert message["payload"]["version"] == 1
    assert message["payload"]["short_id"] == snippet["short_id"]

    # The event reached Kafka exactly once, as an outside reader sees it.
    reader = AIOKafkaConsumer(
        settings.kafka_snippet_events_topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await reader.start()
    try:
        expired: list[bytes] = []

        async def on_topic() -> bool:
            for records in (await reader.getmany(timeout_ms=200)).values():
                expired.extend(
                    record.value
                    for record in records
                    if record.key == snippet["id"].encode()
                    and record.value is not None
                    and b'"snippet.expired"' in record.value
                )
            return len(expired) >= 1

        await eventually(on_topic)
        await asyncio.sleep(0.5)
        await on_topic()
        assert len(expired) == 1
    finally:
        await reader.stop()

    # Others get 410 (the cached 200 is gone); the owner still reads it.
    assert (await client.get(path)).status_code == 410
    assert (await client.get(path, headers=owner.auth)).status_code == 200

    # The search document knows the window ended: search hides it from others.
    async def hidden() -> Any:
        found = await document(engine, snippet["id"])
        return found if found is not None and found.expires_at is not None else None

    found = await eventually(hidden)
    assert found.expires_at <= datetime.now(UTC)


async def published_events(engine: AsyncEngine, snippet_id: str, event_type: str) -> list[Any]:
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                select(outbox.c.message, outbox.c.published_at).where(
                    outbox.c.event_type == event_type, outbox.c.message_key == snippet_id
                )
            )
        ).all()
    return [row.message for row in rows if row.published_at is not None]


@pytest.mark.usefixtures("consumers")
async def test_a_burn_and_a_reached_limit_are_events_through_the_outbox(
    client: httpx.AsyncClient, owner: Account, engine: AsyncEngine
) -> None:
    burning = await create(client, owner, burn_after_reading=True)
    limited = await create(client, owner, max_views=2)
    assert (await client.get(f"{SNIPPETS}/{burning['short_id']}")).status_code == 200
    for _ in range(2):
        assert (await client.get(f"{SNIPPETS}/{limited['short_id']}")).status_code == 200

    async def burned() -> list[Any]:
        return await published_events(engine, burning["id"], "snippet.burned")

    async def limit_reached() -> list[Any]:
        return await published_events(engine, limited["id"], "snippet.view_limit_reached")

    (burn_message,) = await eventually(burned)
    assert burn_message["payload"]["version"] == 1
    (limit_message,) = await eventually(limit_reached)
    assert (limit_message["payload"]["version"], limit_message["payload"]["max_views"]) == (1, 2)
    # The burned content is gone from the search document as well.
    found = await eventually(
        lambda: _document_where(engine, burning["id"], lambda row: row.content == "")
    )
    assert found.title == "pipeline"


async def _document_where(engine: AsyncEngine, snippet_id: str, holds: Any) -> Any:
    found = await document(engine, snippet_id)
    return found if found is not None and holds(found) else None


@pytest.mark.usefixtures("consumers")
async def test_a_cached_read_shows_views_counted_within_two_seconds(
    client: httpx.AsyncClient, owner: Account
) -> None:
    snippet = await create(client, owner, title="watched")
    path = f"{SNIPPETS}/{snippet['short_id']}"
    first = await client.get(path)
    assert first.json()["views"] == 0
    for _ in range(9):
        assert (await client.get(path)).status_code == 200  # cache hits, each a view

    async def counted() -> bool:
        listing = await client.get(f"{SNIPPETS}/", params={"size": 100}, headers=owner.auth)
        views = {item["id"]: item["views"] for item in listing.json()["items"]}
        return bool(views[snippet["id"]] >= 10)

    await eventually(counted, within=30)
    # Counted in PostgreSQL: within two seconds a cached read shows it too.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 2.0
    shown = 0
    while loop.time() < deadline:
        shown = (await client.get(path)).json()["views"]
        if shown >= 10:
            break
        await asyncio.sleep(0.1)
    assert shown >= 10
