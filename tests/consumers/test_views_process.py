"""`swiftpaste consume views` killed with SIGKILL mid-stream and restarted still counts exactly."""

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiokafka import AIOKafkaProducer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from swiftpaste.infrastructure.persistence.tables import consumer_offsets
from swiftpaste.main.settings import Settings
from tests.conftest import PROJECT_ROOT, Servers, eventually, free_port
from tests.consumers.conftest import (
    SnippetTables,
    StoredSnippet,
    consumer_settings,
    create_topics,
    viewed,
)

SNIPPETS = 10
FIRST_WAVE = 1000  # published before the first process starts
SECOND_WAVE = 2000  # published while it runs, and is killed


def consumer_environment(settings: Settings) -> dict[str, str]:
    return os.environ | {
        "ENVIRONMENT": "test",
        "JWT_SECRET": settings.jwt_secret_value,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "KAFKA_SNIPPET_EVENTS_TOPIC": settings.kafka_snippet_events_topic,
        "KAFKA_SNIPPET_VIEWS_TOPIC": settings.kafka_snippet_views_topic,
        "KAFKA_DEAD_LETTER_TOPIC": settings.kafka_dead_letter_topic,
        "KAFKA_CONSUMER_GROUP_PREFIX": settings.kafka_consumer_group_prefix,
        "KAFKA_SESSION_TIMEOUT_MS": str(settings.kafka_session_timeout_ms),
        "KAFKA_HEARTBEAT_INTERVAL_MS": str(settings.kafka_heartbeat_interval_ms),
        "VIEWS_BATCH_MAX_RECORDS": str(settings.views_batch_max_records),
        "VIEWS_HTTP_PORT": str(free_port()),
    }


@contextmanager
def views_process(settings: Settings, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "swiftpaste", "consume", "views"],
            env=consumer_environment(settings),
            cwd=PROJECT_ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


async def publish_wave(
    producer: AIOKafkaProducer, topic: str, snippets: list[StoredSnippet], total: int
) -> None:
    """Round-robin over the snippets, in small bursts, so the stream keeps flowing."""
    for start in range(0, total, 100):
        sends = []
        for index in range(start, min(start + 100, total)):
            snippet = snippets[index % len(snippets)]
            value = viewed(snippet).model_dump_json().encode()
            sends.append(await producer.send(topic, value, key=str(snippet.id).encode()))
        await asyncio.gather(*sends)
        await asyncio.sleep(0.02)


async def applied_records(engine: AsyncEngine, settings: Settings) -> int:
    async with engine.connect() as connection:
        applied = await connection.execute(
            select(func.coalesce(func.sum(consumer_offsets.c.next_offset), 0)).where(
                consumer_offsets.c.group_id == settings.consumer_group("views")
            ),
        )
        return int(applied.scalar_one())


async def test_a_consumer_killed_mid_stream_and_restarted_counts_every_view_once(
    servers: Servers,
    database_url: str,
    producer: AIOKafkaProducer,
    tables: SnippetTables,
    engine: AsyncEngine,
    tmp_path: Path,
) -> None:
    settings = consumer_settings(
        servers,
        database_url,
        # Small batches: many commits, so the kill lands between some of them.
        views_batch_max_records=50,
        kafka_session_timeout_ms=6000,
        kafka_heartbeat_interval_ms=1000,
    )
    await create_topics(settings)
    topic = settings.kafka_snippet_views_topic
    snippets = [await tables.create() for _ in range(SNIPPETS)]
    total = FIRST_WAVE + SECOND_WAVE
    log = tmp_path / "views.log"

    async def counted() -> int:
        return sum(await tables.views(*snippets))

    try:
        await publish_wave(producer, topic, snippets, FIRST_WAVE)
        with views_process(settings, log) as first:

            async def started_counting() -> bool:
                return await counted() > 0

            await eventually(started_counting, within=60)
            second_wave = asyncio.create_task(publish_wave(producer, topic, snippets, SECOND_WAVE))
            await asyncio.sleep(0.3)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
            at_kill = await counted()
            assert 0 < at_kill < total

        await second_wave
        with views_process(settings, log) as second:

            async def all_applied() -> bool:
                return await applied_records(engine, settings) == total

            await eventually(all_applied, within=60)
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=30) == 0
    except BaseException:
        sys.stderr.write(log.read_text(errors="replace")[-5000:])
        raise

    assert await tables.views(*snippets) == [total // SNIPPETS] * SNIPPETS
