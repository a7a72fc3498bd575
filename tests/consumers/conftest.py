"""The consumers against the session's real PostgreSQL, Redis and Kafka.

Each test module gets its own topics and consumer-group prefix, so no consumer ever
sees another test's messages. Snippets are written straight into the tables (the
outbox and relay are not part of these tests) and events are published the way
the relay publishes them: the pydantic envelope as JSON, keyed by the snippet id.
"""

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from faststream.asgi import AsgiFastStream
from pydantic import BaseModel
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from swiftpaste.application.integration_events import (
    SnippetCreatedEvent,
    SnippetDeletedEvent,
    SnippetRevisedEvent,
    SnippetViewedEvent,
)
from swiftpaste.infrastructure.messaging.broker import ensure_topics
from swiftpaste.infrastructure.persistence.tables import snippet_versions, snippets, users
from swiftpaste.main.providers.messaging import kafka_topics
from swiftpaste.main.settings import Settings
from tests.conftest import Servers, eventually
from tests.e2e.conftest import make_settings

T = TypeVar("T")


def consumer_settings(servers: Servers, database_url: str, **overrides: Any) -> Settings:
    """Settings with topics and groups no other test uses; quick retries and rebalances."""
    tag = f"t{uuid.uuid4().hex[:10]}"
    values: dict[str, Any] = {
        "kafka_snippet_events_topic": f"{tag}.snippet-events",
        "kafka_snippet_events_partitions": 3,
        "kafka_snippet_views_topic": f"{tag}.snippet-views",
        "kafka_snippet_views_partitions": 3,
        "kafka_dead_letter_topic": f"{tag}.dead-letters",
        "kafka_consumer_group_prefix": tag,
        "kafka_session_timeout_ms": 6000,
        "kafka_heartbeat_interval_ms": 1000,
        "consumer_max_attempts": 3,
        "consumer_retry_backoff_seconds": 0.05,
        "indexer_http_port": 0,
        "views_http_port": 0,
        "cache_http_port": 0,
        **overrides,
    }
    return make_settings(servers, database_url, **values)


async def create_topics(settings: Settings) -> None:
    """The topics with their configured partitions (a publish alone would auto-create them)."""
    await ensure_topics(settings.kafka_bootstrap_servers, kafka_topics(settings))


@asynccontextmanager
async def running(app: AsgiFastStream) -> AsyncIterator[AsgiFastStream]:
    """The consumer started in this process (broker, subscriber, container), then stopped."""
    async with app:
        yield app


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def producer(servers: Servers) -> AsyncIterator[AIOKafkaProducer]:
    kafka = AIOKafkaProducer(
        bootstrap_servers=servers.endpoints.kafka_bootstrap_servers,
        acks="all",
        enable_idempotence=False,
    )
    await kafka.start()
    yield kafka
    await kafka.stop()


async def publish(
    producer: AIOKafkaProducer, topic: str, event: BaseModel | bytes, key: str | None = None
) -> None:
    """One record, as the relay sends it: JSON value, the snippet id as key."""
    if isinstance(event, BaseModel):
        value = event.model_dump_json().encode()
        key = key or str(event.model_dump()["snippet_id"])
    else:
        value = event
    await producer.send_and_wait(topic, value, key=key.encode() if key else None)


async def dead_letters(
    settings: Settings,
    count: int,
    *,
    where: Callable[[ConsumerRecord[bytes, bytes]], bool] = lambda _: True,
    within: float = 30.0,
) -> list[ConsumerRecord[bytes, bytes]]:
    """The dead letters `where` accepts, once there are `count` of them (waits for them)."""
    reader = AIOKafkaConsumer(
        settings.kafka_dead_letter_topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await reader.start()
    found: list[ConsumerRecord[bytes, bytes]] = []
    try:

        async def more() -> bool:
            batches = await reader.getmany(timeout_ms=200)
            for records in batches.values():
                found.extend(record for record in records if where(record))
            return len(found) >= count

        await eventually(more, within=within)
    finally:
        await reader.stop()
    return found


def headers_of(record: ConsumerRecord[bytes, bytes]) -> dict[str, str]:
    return {name: value.decode() for name, value in record.headers}


# --- snippets written straight into the tables ---------------------------------------


@dataclass
class StoredSnippet:
    id: uuid.UUID
    short_id: str
    owner_id: uuid.UUID
    title: str
    latest_version: int = 1
    aggregate_version: int = 1


class SnippetTables:
    """Creates, revises and deletes snippets the way the API's commits leave the rows."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._owner: uuid.UUID | None = None

    async def owner(self) -> uuid.UUID:
        if self._owner is None:
            self._owner = uuid.uuid4()
            name = f"u{self._owner.hex[:12]}"
            async with self._engine.begin() as connection:
                await connection.execute(
                    insert(users).values(
                        id=self._owner,
                        email=f"{name}@example.com",
                        username=name,
                        hashed_password="not-a-hash",
                    ),
                )
        return self._owner

    async def create(
        self,
        content: str = "print('hello')",
        *,
        title: str = "hello",
        visibility: str = "public",
        expires_at: datetime | None = None,
    ) -> StoredSnippet:
        owner = await self.owner()
        snippet = StoredSnippet(
            id=uuid.uuid4(), short_id=uuid.uuid4().hex[:8], owner_id=owner, title=title
        )
        now = datetime.now(UTC)
        async with self._engine.begin() as connection:
            await connection.execute(
                insert(snippets).values(
                    id=snippet.id,
                    short_id=snippet.short_id,
                    title=title,
                    owner_id=owner,
                    latest_version=1,
                    aggregate_version=1,
                    created_at=now,
                    updated_at=now,
                ),
            )
            await connection.execute(
                insert(snippet_versions).values(
                    snippet_id=snippet.id,
                    version=1,
                    content=content,
                    visibility=visibility,
                    language="python",
                    expires_at=expires_at,
                    created_at=now,
                ),
            )
        return snippet

    async def revise(
        self, snippet: StoredSnippet, content: str, *, title: str | None = None
    ) -> None:
        snippet.latest_version += 1
        snippet.aggregate_version += 1
        snippet.title = title or snippet.title
        now = datetime.now(UTC)
        async with self._engine.begin() as connection:
            await connection.execute(
                insert(snippet_versions).values(
                    snippet_id=snippet.id,
                    version=snippet.latest_version,
                    content=content,
                    visibility="public",
                    language="python",
                    created_at=now,
                ),
            )
            await connection.execute(
                update(snippets)
                .where(snippets.c.id == snippet.id)
                .values(
                    title=snippet.title,
                    latest_version=snippet.latest_version,
                    aggregate_version=snippet.aggregate_version,
                    updated_at=now,
                ),
            )

    async def delete(self, snippet: StoredSnippet) -> None:
        snippet.aggregate_version += 1
        async with self._engine.begin() as connection:
            await connection.execute(
                update(snippets)
                .where(snippets.c.id == snippet.id)
                .values(deleted_at=datetime.now(UTC), aggregate_version=snippet.aggregate_version),
            )

    async def views(self, *stored: StoredSnippet) -> list[int]:
        async with self._engine.connect() as connection:
            rows = await connection.execute(
                select(snippets.c.id, snippets.c.views).where(
                    snippets.c.id.in_([s.id for s in stored])
                ),
            )
            by_id = {row.id: row.views for row in rows}
        return [by_id[s.id] for s in stored]


@pytest.fixture
def tables(engine: AsyncEngine) -> SnippetTables:
    return SnippetTables(engine)


# --- events as the relay (and the API, for views) publish them -----------------------


def _envelope(snippet: StoredSnippet, aggregate_version: int | None) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4(),
        "occurred_at": datetime.now(UTC),
        "snippet_id": snippet.id,
        "aggregate_version": (
            snippet.aggregate_version if aggregate_version is None else aggregate_version
        ),
    }


def _ref(snippet: StoredSnippet) -> dict[str, Any]:
    return {
        "short_id": snippet.short_id,
        "owner_id": snippet.owner_id,
        "latest_version": snippet.latest_version,
    }


def created(snippet: StoredSnippet, aggregate_version: int | None = None) -> SnippetCreatedEvent:
    return SnippetCreatedEvent.model_validate(
        _envelope(snippet, aggregate_version)
        | {
            "payload": _ref(snippet)
            | {
                "title": snippet.title,
                "visibility": "public",
                "language": "python",
                "expires_at": None,
            },
        },
    )


def revised(snippet: StoredSnippet, aggregate_version: int | None = None) -> SnippetRevisedEvent:
    return SnippetRevisedEvent.model_validate(
        _envelope(snippet, aggregate_version)
        | {
            "payload": _ref(snippet)
            | {
                "title": snippet.title,
                "visibility": "public",
                "language": "python",
                "expires_at": None,
                "title_changed": False,
                "new_version": True,
            },
        },
    )


def deleted(snippet: StoredSnippet, aggregate_version: int | None = None) -> SnippetDeletedEvent:
    return SnippetDeletedEvent.model_validate(
        _envelope(snippet, aggregate_version) | {"payload": _ref(snippet)}
    )


def viewed(snippet: StoredSnippet) -> SnippetViewedEvent:
    return SnippetViewedEvent.model_validate(
        _envelope(snippet, 0) | {"payload": {"short_id": snippet.short_id, "version": None}}
    )


def soon(seconds: int = 3600) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)
