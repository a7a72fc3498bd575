"""The outbox relay against real PostgreSQL and Kafka: what reaches the topic, and when.

Every test has its own database (the relay publishes whatever is pending) and its own
topic, read back with a plain aiokafka consumer as any outside client would.
"""

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from asgi_lifespan import LifespanManager
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from swiftpaste.application.integration_events import SnippetCreatedEvent, parse_lifecycle_event
from swiftpaste.domain.events import DomainEvent, SnippetCreated
from swiftpaste.infrastructure.messaging.relay import (
    KafkaNotConnected,
    OutboxRelay,
    RelayOptions,
)
from swiftpaste.infrastructure.persistence.outbox import OutboxTopics, write_to_outbox
from swiftpaste.main.api import make_api
from swiftpaste.main.providers.messaging import kafka_topics
from swiftpaste.main.relay import build_relay, kafka_options, relay_engine
from swiftpaste.main.settings import Settings
from tests.conftest import PROJECT_ROOT, Servers, eventually, free_port, scratch_database
from tests.e2e.conftest import Account, make_settings, register_and_log_in

SNIPPETS = "/v1/api/snippet"


# -- helpers shared with test_scheduler ----------------------------------------------


def plain_url(database_url: str) -> str:
    return database_url.replace("postgresql+asyncpg://", "postgresql://")


async def sql(database_url: str, statement: str, *args: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(plain_url(database_url))
    try:
        rows: list[asyncpg.Record] = await connection.fetch(statement, *args)
        return rows
    finally:
        await connection.close()


@asynccontextmanager
async def api_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The real API app (lifespan included) over httpx, for these settings."""
    app = make_api(settings)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://swiftpaste.test") as c:
            yield c


async def create_snippet(
    client: httpx.AsyncClient, owner: Account, **fields: Any
) -> dict[str, Any]:
    body = {"title": "relay me", "content": "print('hello')\n", **fields}
    response = await client.post(f"{SNIPPETS}/", json=body, headers=owner.auth)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def unique_topic() -> str:
    return f"test.events.{uuid.uuid4().hex[:12]}"


# -- fixtures and local helpers -------------------------------------------------------


@pytest.fixture
def outbox_database(servers: Servers) -> Iterator[str]:
    with scratch_database(servers, "swiftpaste_relay", migrated=True) as url:
        yield url


@pytest.fixture
def topic() -> str:
    return unique_topic()


def relay_settings(servers: Servers, database_url: str, topic: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "kafka_snippet_events_topic": topic,
        "kafka_request_timeout_ms": 3000,
        "outbox_poll_interval_seconds": 0.2,
        "outbox_max_backoff_seconds": 1.0,
        **overrides,
    }
    return make_settings(servers, database_url, **values)


@pytest.fixture
def settings(servers: Servers, outbox_database: str, topic: str) -> Settings:
    return relay_settings(servers, outbox_database, topic)


async def stage_events(database_url: str, topic: str, count: int) -> None:
    """Write `count` snippet.created rows to the outbox as the unit of work does."""
    now = datetime.now(UTC)
    events: list[DomainEvent] = [
        SnippetCreated(
            snippet_id=uuid.uuid4(),
            short_id=f"{n:08d}",
            owner_id=uuid.uuid4(),
            occurred_at=now,
            latest_version=1,
            aggregate_version=1,
            title=f"staged {n}",
            visibility="public",
            language=None,
            expires_at=None,
        )
        for n in range(count)
    ]
    engine = create_async_engine(database_url)
    try:
        async with AsyncSession(engine) as session:
            await write_to_outbox(session, events, OutboxTopics(lifecycle=topic))
            await session.commit()
    finally:
        await engine.dispose()


async def outbox_event_ids(database_url: str, *, pending: bool | None = None) -> set[str]:
    condition = {None: "TRUE", True: "published_at IS NULL", False: "published_at IS NOT NULL"}
    rows = await sql(database_url, f"SELECT event_id FROM outbox WHERE {condition[pending]}")
    return {str(row["event_id"]) for row in rows}


async def pending_count(database_url: str) -> int:
    rows = await sql(database_url, "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")
    return int(rows[0]["n"])


@asynccontextmanager
async def topic_reader(bootstrap_servers: str, topic: str) -> AsyncIterator[AIOKafkaConsumer]:
    """A consumer without a group reading every partition from offset 0: an outside reader.

    It seeks explicitly instead of asking the broker for the earliest offsets; the
    topics of these tests are new, so offset 0 is their beginning.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        fetch_max_wait_ms=100,
    )
    await consumer.start()
    try:
        await consumer.topics()  # fetches the cluster's metadata
        partitions = consumer.partitions_for_topic(topic)
        assert partitions, f"topic {topic} does not exist"
        assigned = [TopicPartition(topic, partition) for partition in sorted(partitions)]
        consumer.assign(assigned)
        for partition in assigned:
            consumer.seek(partition, 0)
        yield consumer
    finally:
        await consumer.stop()


async def read_records(
    consumer: AIOKafkaConsumer, want: int, seconds: float = 20.0, settle: float = 0.0
) -> list[Any]:
    """Records until `want` distinct event ids arrived, then `settle` seconds more."""
    records: list[Any] = []
    seen: set[str] = set()
    deadline = time.monotonic() + seconds
    while len(seen) < want:
        if time.monotonic() > deadline:
            per_partition: dict[int, int] = {}
            for record in records:
                per_partition[record.partition] = per_partition.get(record.partition, 0) + 1
            positions = {tp.partition: await consumer.position(tp) for tp in consumer.assignment()}
            pytest.fail(
                f"{len(seen)} of {want} events reached the topic within {seconds}s; "
                f"records per partition {per_partition}, positions {positions}"
            )
        batches = await consumer.getmany(timeout_ms=200)
        for batch in batches.values():
            for record in batch:
                records.append(record)
                seen.add(json.loads(record.value)["event_id"])
    settle_until = time.monotonic() + settle
    while time.monotonic() < settle_until:
        for batch in (await consumer.getmany(timeout_ms=200)).values():
            records.extend(batch)
    return records


async def read_topic(
    bootstrap_servers: str, topic: str, want: int, seconds: float = 20.0, settle: float = 0.0
) -> list[Any]:
    async with topic_reader(bootstrap_servers, topic) as consumer:
        return await read_records(consumer, want, seconds, settle)


@asynccontextmanager
async def running(relay: OutboxRelay) -> AsyncIterator[asyncio.Task[None]]:
    """`relay.run` in the background; on exit it must stop within two seconds."""
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        yield task
    finally:
        stop.set()
        started = time.monotonic()
        await asyncio.wait_for(task, 10)
        assert time.monotonic() - started < 2, "run() did not return promptly after stop"


def metric(name: str, labels: dict[str, str] | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


# -- tests ----------------------------------------------------------------------------


async def test_a_created_snippet_reaches_the_topic_as_a_complete_envelope(
    settings: Settings, servers: Servers, topic: str
) -> None:
    async with api_client(settings) as client:
        owner = await register_and_log_in(client)
        created = await create_snippet(
            client, owner, title="complete envelope", language="Python", visibility="public"
        )
    published_before = metric("outbox_published_total", {"event_type": "snippet.created"})

    async with build_relay(settings) as relay:
        assert await relay.publish_batch() == 1
        assert await relay.publish_batch() == 0
        assert await relay.refresh_backlog() == 0
    assert metric("outbox_backlog") == 0
    assert metric("outbox_published_total", {"event_type": "snippet.created"}) == (
        published_before + 1
    )

    (row,) = await sql(settings.database_url, "SELECT * FROM outbox")
    assert row["published_at"] is not None
    assert row["topic"] == topic
    records = await read_topic(servers.endpoints.kafka_bootstrap_servers, topic, want=1)
    assert len(records) == 1
    record = records[0]
    assert record.key == created["id"].encode()
    assert dict(record.headers)["event_type"] == b"snippet.created"

    message = json.loads(record.value)
    assert message == {
        "event_id": str(row["event_id"]),
        "event_type": "snippet.created",
        "schema_version": 2,
        "occurred_at": message["occurred_at"],
        "snippet_id": created["id"],
        "aggregate_version": 1,
        "payload": {
            "short_id": created["short_id"],
            "owner_id": owner.id,
            "latest_version": 1,
            "title": "complete envelope",
            "visibility": "public",
            "language": "python",
            "expires_at": None,
        },
    }
    occurred_at = datetime.fromisoformat(message["occurred_at"])
    assert occurred_at == datetime.fromisoformat(created["created_at"])
    assert isinstance(parse_lifecycle_event(record.value), SnippetCreatedEvent)


async def test_notify_wakes_the_relay_long_before_the_poll_interval(
    servers: Servers, outbox_database: str, topic: str
) -> None:
    settings = relay_settings(servers, outbox_database, topic, outbox_poll_interval_seconds=30)
    bootstrap = servers.endpoints.kafka_bootstrap_servers
    async with (
        api_client(settings) as client,
        build_relay(settings) as relay,
        running(relay),
        topic_reader(bootstrap, topic) as consumer,
    ):
        owner = await register_and_log_in(client)
        await eventually(lambda: _holds(relay.listening), within=5, what="the relay listens")
        # Once idle the relay would not poll again for 30 s: only NOTIFY can wake it.
        await asyncio.sleep(0.3)
        committed = time.monotonic()
        await create_snippet(client, owner)
        await read_records(consumer, want=1, seconds=5)
        assert time.monotonic() - committed < 2

        # A lost LISTEN connection is re-established, and NOTIFY works again.
        (lost,) = await listener_pids(outbox_database)
        await sql(outbox_database, "SELECT pg_terminate_backend($1)", lost)

        async def listening_again() -> bool:
            pids = await listener_pids(outbox_database)
            return len(pids) == 1 and lost not in pids and relay.listening

        await eventually(listening_again, within=5, what="the relay listens again")
        await asyncio.sleep(0.3)
        committed = time.monotonic()
        await create_snippet(client, owner)
        await read_records(consumer, want=1, seconds=5)
        assert time.monotonic() - committed < 2
    assert await pending_count(outbox_database) == 0


async def listener_pids(database_url: str) -> list[int]:
    rows = await sql(
        database_url,
        "SELECT pid FROM pg_stat_activity"
        " WHERE application_name = 'swiftpaste-relay-listener' AND datname = current_database()",
    )
    return [row["pid"] for row in rows]


async def _holds(value: bool) -> bool:
    return value


@pytest.mark.embedded
async def test_events_written_while_kafka_is_down_are_all_delivered_when_it_returns(
    servers: Servers, settings: Settings, topic: str
) -> None:
    stack = servers.require_stack()
    errors_before = metric("outbox_publish_errors_total")
    async with (
        api_client(settings) as client,
        build_relay(settings) as relay,
        running(relay) as relay_task,
    ):
        owner = await register_and_log_in(client)
        stack.kafka.stop()
        try:
            for n in range(8):
                snippet = await create_snippet(client, owner, title=f"while down {n}")
                revised = await client.put(
                    f"{SNIPPETS}/{snippet['id']}", json={"content": "v2"}, headers=owner.auth
                )
                assert revised.status_code == 200, revised.text
            # The writes succeeded; the events wait in the outbox while the relay retries.
            await eventually(
                lambda: _holds(metric("outbox_publish_errors_total") > errors_before),
                within=15,
                what="the relay tried and failed to publish",
            )
            assert await pending_count(settings.database_url) == 16
            assert await relay.refresh_backlog() == 16
            assert not relay_task.done()
            with pytest.raises(KafkaNotConnected):
                await relay.check_kafka()
        finally:
            stack.kafka.start()

        async def drained() -> bool:
            return await pending_count(settings.database_url) == 0

        await eventually(
            drained, within=30, what="the relay drained the outbox after Kafka returned"
        )
        await relay.check_kafka()
        assert not relay_task.done()

    rows = await outbox_event_ids(settings.database_url)
    assert len(rows) == 16
    records = await read_topic(servers.endpoints.kafka_bootstrap_servers, topic, want=len(rows))
    assert {json.loads(record.value)["event_id"] for record in records} == rows


async def test_two_relays_publish_every_row_exactly_once(
    servers: Servers, outbox_database: str, topic: str
) -> None:
    settings = relay_settings(servers, outbox_database, topic, outbox_batch_size=50)
    await stage_events(outbox_database, topic, 500)

    async def drain(relay: OutboxRelay) -> int:
        total = 0
        while (published := await relay.publish_batch()) > 0:
            total += published
        return total

    async with build_relay(settings) as first, build_relay(settings) as second:
        by_first, by_second = await asyncio.gather(drain(first), drain(second))
    assert by_first + by_second == 500
    assert by_first > 0
    assert by_second > 0
    assert await pending_count(outbox_database) == 0

    records = await read_topic(
        servers.endpoints.kafka_bootstrap_servers, topic, want=500, settle=1.0
    )
    event_ids = [json.loads(record.value)["event_id"] for record in records]
    assert len(event_ids) == 500, "a row was published twice"
    assert set(event_ids) == await outbox_event_ids(outbox_database)


async def test_two_running_relays_drain_a_backlog_together(
    servers: Servers, outbox_database: str, topic: str
) -> None:
    settings = relay_settings(servers, outbox_database, topic, outbox_batch_size=40)
    await stage_events(outbox_database, topic, 200)
    async with (
        build_relay(settings) as first,
        build_relay(settings) as second,
        running(first),
        running(second),
    ):

        async def drained() -> bool:
            return await pending_count(outbox_database) == 0

        await eventually(drained, within=20, what="two relays drained the outbox")
        await eventually(
            lambda: _holds(metric("outbox_backlog") == 0),
            within=5,
            what="the backlog gauge reached 0",
        )
    records = await read_topic(
        servers.endpoints.kafka_bootstrap_servers, topic, want=200, settle=0.5
    )
    assert len(records) == 200


async def test_prune_removes_only_published_rows_older_than_the_retention(
    servers: Servers, outbox_database: str, topic: str
) -> None:
    await stage_events(outbox_database, topic, 7)
    ids = [row["id"] for row in await sql(outbox_database, "SELECT id FROM outbox ORDER BY id")]
    old_published, recent_published, old_pending = ids[:3], ids[3:5], ids[5:]
    await sql(
        outbox_database,
        "UPDATE outbox SET published_at = now() - interval '2 days' WHERE id = ANY($1)",
        old_published,
    )
    await sql(
        outbox_database,
        "UPDATE outbox SET published_at = now() - interval '1 hour' WHERE id = ANY($1)",
        recent_published,
    )
    await sql(
        outbox_database,
        "UPDATE outbox SET created_at = now() - interval '30 days' WHERE id = ANY($1)",
        old_pending,
    )
    settings = relay_settings(servers, outbox_database, topic)
    engine = relay_engine(settings)
    # Chunks of two: three rows take two bounded deletes.
    relay = OutboxRelay(
        engine,
        kafka_options(settings),
        kafka_topics(settings),
        RelayOptions(retention_seconds=86_400, prune_chunk_size=2),
    )
    pruned_before = metric("outbox_pruned_total")
    try:
        assert await relay.prune() == 3
        assert await relay.prune() == 0
    finally:
        await relay.close()
        await engine.dispose()
    remaining = [row["id"] for row in await sql(outbox_database, "SELECT id FROM outbox")]
    assert sorted(remaining) == recent_published + old_pending
    assert metric("outbox_pruned_total") == pruned_before + 3


def _command_env(settings: Settings, **extra: str) -> dict[str, str]:
    prefixes = ("DATABASE_", "REDIS_", "KAFKA_", "JWT_", "ENVIRONMENT", "OUTBOX_", "RELAY_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    return env | {
        "ENVIRONMENT": "test",
        "JWT_SECRET": "test-secret-" + "x" * 40,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "KAFKA_SNIPPET_EVENTS_TOPIC": settings.kafka_snippet_events_topic,
        **extra,
    }


async def test_outbox_status_prints_the_backlog(settings: Settings, topic: str) -> None:
    await stage_events(settings.database_url, topic, 4)
    await sql(
        settings.database_url,
        "UPDATE outbox SET published_at = now() WHERE id = (SELECT min(id) FROM outbox)",
    )
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "swiftpaste", "outbox", "status"],
        env=_command_env(settings),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 4, result.stdout
    assert re.fullmatch(r"pending events:\s+3", lines[0])
    assert re.fullmatch(r"oldest pending:\s+\S+ \([\d.]+s ago\)", lines[1])
    assert re.fullmatch(r"published rows kept:\s+1 \(retention 7 days, 0:00:00\)", lines[2])
    assert re.fullmatch(r"last published:\s+\S+ \([\d.]+s ago\)", lines[3])


async def test_the_relay_command_publishes_serves_probes_and_stops_on_sigterm(
    settings: Settings, servers: Servers, topic: str
) -> None:
    await stage_events(settings.database_url, topic, 5)
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "swiftpaste",
        "relay",
        env=_command_env(settings, RELAY_HTTP_PORT=str(port), OUTBOX_POLL_INTERVAL_SECONDS="0.2"),
        cwd=PROJECT_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2) as http:

            async def ready() -> bool:
                try:
                    return (await http.get("/ready")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, within=30, what="the relay answers ready", interval=0.2)
            body = (await http.get("/ready")).json()
            assert body["checks"] == {"postgres": "up", "kafka": "up"}

            async def drained() -> bool:
                return await pending_count(settings.database_url) == 0

            await eventually(drained, within=20, what="the relay process drained the outbox")
            metrics = (await http.get("/metrics")).text
            assert 'outbox_published_total{event_type="snippet.created"} 5.0' in metrics

            async def backlog_counted() -> bool:
                # Recounted at most once a second (and at every idle poll).
                return "outbox_backlog 0.0" in (await http.get("/metrics")).text

            await eventually(backlog_counted, within=5, what="the backlog gauge reached 0")
        process.send_signal(signal.SIGTERM)
        raw, _ = await asyncio.wait_for(process.communicate(), 15)
    finally:
        if process.returncode is None:
            process.kill()
            await process.communicate()
    output = raw.decode()
    assert process.returncode == 0, output
    logs = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert logs, output
    assert all(entry["process_name"] == "relay" for entry in logs)
    records = await read_topic(servers.endpoints.kafka_bootstrap_servers, topic, want=5)
    assert len(records) == 5
