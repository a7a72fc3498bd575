"""What cannot be processed goes to the dead-letter topic, and the consumer carries on."""

from collections.abc import AsyncIterator, Sequence
from typing import Any
from uuid import UUID

import pytest
from aiokafka import AIOKafkaProducer, ConsumerRecord
from dishka import Provider, Scope, provide
from faststream.asgi import AsgiFastStream
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from swiftpaste.application.ports.consumers import SearchDocument, SnippetSnapshots
from swiftpaste.infrastructure.persistence.search_documents import SqlaSnippetSnapshots
from swiftpaste.infrastructure.persistence.tables import search_documents
from swiftpaste.main.consumers import build_consumer_app
from swiftpaste.main.settings import Settings
from swiftpaste.presentation.consumers.dead_letters import (
    ATTEMPTS_HEADER,
    CONSUMER_HEADER,
    ERROR_HEADER,
    ORIGINAL_OFFSET_HEADER,
    ORIGINAL_PARTITION_HEADER,
    ORIGINAL_TOPIC_HEADER,
)
from tests.conftest import Servers, eventually
from tests.consumers.conftest import (
    SnippetTables,
    consumer_settings,
    create_topics,
    created,
    dead_letters,
    headers_of,
    running,
)


class BrokenSnapshots:
    """The real snapshots, except for the snippets a test marks as broken: those always fail."""

    def __init__(self, real: SqlaSnippetSnapshots, broken: dict[UUID, int]) -> None:
        self._real = real
        self._broken = broken

    async def current(self, snippet_ids: Sequence[UUID]) -> dict[UUID, SearchDocument]:
        doomed = [snippet_id for snippet_id in snippet_ids if snippet_id in self._broken]
        for snippet_id in doomed:
            self._broken[snippet_id] += 1
        if doomed:
            raise RuntimeError("this snippet's row cannot be read")
        return await self._real.current(snippet_ids)


class BrokenSnapshotsProvider(Provider):
    scope = Scope.REQUEST

    def __init__(self, broken: dict[UUID, int]) -> None:
        super().__init__()
        self._broken = broken

    @provide
    def snapshots(self, session: AsyncSession) -> SnippetSnapshots:
        return BrokenSnapshots(SqlaSnippetSnapshots(session), self._broken)


@pytest.fixture(scope="module")
def settings(servers: Servers, database_url: str) -> Settings:
    return consumer_settings(servers, database_url, consumer_max_attempts=3)


@pytest.fixture(scope="module")
def broken() -> dict[UUID, int]:
    """Snippet ids whose reads fail, with how many times each was attempted."""
    return {}


@pytest.fixture(scope="module")
async def indexer(settings: Settings, broken: dict[UUID, int]) -> AsyncIterator[AsgiFastStream]:
    app = build_consumer_app("indexer", settings, BrokenSnapshotsProvider(broken))
    async with running(app):
        yield app


async def indexed(engine: AsyncEngine, snippet_id: UUID) -> bool:
    async with engine.connect() as connection:
        row = await connection.execute(
            select(search_documents.c.snippet_id).where(search_documents.c.snippet_id == snippet_id)
        )
        return row.first() is not None


async def send(
    producer: AIOKafkaProducer, topic: str, value: bytes, key: bytes, **headers: str
) -> Any:
    return await producer.send_and_wait(
        topic, value, key=key, headers=[(name, text.encode()) for name, text in headers.items()]
    )


def original(letter: ConsumerRecord[bytes, bytes]) -> tuple[int, int]:
    """Where the dead letter came from: (partition, offset) in the consumed topic."""
    headers = headers_of(letter)
    return int(headers[ORIGINAL_PARTITION_HEADER]), int(headers[ORIGINAL_OFFSET_HEADER])


@pytest.mark.usefixtures("indexer")
async def test_poison_messages_are_dead_lettered_at_once_and_the_next_one_is_processed(
    settings: Settings, producer: AIOKafkaProducer, tables: SnippetTables, engine: AsyncEngine
) -> None:
    topic = settings.kafka_snippet_events_topic
    snippet = await tables.create()
    key = str(snippet.id).encode()
    not_json = await send(producer, topic, b"{this is not json", key, trace="abc")
    wrong_schema = await send(producer, topic, b'{"event_type": "snippet.created"}', key)
    await send(producer, topic, created(snippet).model_dump_json().encode(), key)

    await eventually(lambda: indexed(engine, snippet.id))

    originals = {
        (not_json.partition, not_json.offset),
        (wrong_schema.partition, wrong_schema.offset),
    }
    letters = {
        letter.value: letter
        for letter in await dead_letters(settings, 2, where=lambda r: original(r) in originals)
    }
    first = letters[b"{this is not json"]
    assert first.key == key
    first_headers = headers_of(first)
    assert first_headers["trace"] == "abc"  # the original headers travel along
    assert first_headers[ERROR_HEADER].startswith("ValidationError: ")
    assert first_headers[CONSUMER_HEADER] == "indexer"
    assert first_headers[ATTEMPTS_HEADER] == "1"
    assert first_headers[ORIGINAL_TOPIC_HEADER] == topic
    assert first_headers[ORIGINAL_PARTITION_HEADER] == str(not_json.partition)
    assert first_headers[ORIGINAL_OFFSET_HEADER] == str(not_json.offset)
    second_headers = headers_of(letters[b'{"event_type": "snippet.created"}'])
    assert second_headers[ORIGINAL_OFFSET_HEADER] == str(wrong_schema.offset)
    assert "payload" in second_headers[ERROR_HEADER]


@pytest.mark.usefixtures("indexer")
async def test_a_message_that_keeps_failing_is_retried_then_dead_lettered(
    settings: Settings,
    producer: AIOKafkaProducer,
    tables: SnippetTables,
    engine: AsyncEngine,
    broken: dict[UUID, int],
) -> None:
    topic = settings.kafka_snippet_events_topic
    doomed, healthy = await tables.create(), await tables.create()
    broken[doomed.id] = 0
    doomed_event = created(doomed).model_dump_json().encode()
    failing = await send(producer, topic, doomed_event, str(doomed.id).encode())
    # Same key, so the same partition: it waits behind the failing message.
    await send(
        producer, topic, created(healthy).model_dump_json().encode(), str(doomed.id).encode()
    )

    await eventually(lambda: indexed(engine, healthy.id))

    (letter,) = await dead_letters(
        settings, 1, where=lambda r: original(r) == (failing.partition, failing.offset)
    )
    # Once per attempt, or twice when the healthy event shared its batch and the
    # doomed snippet was then tried alone.
    attempts = settings.consumer_max_attempts
    assert attempts <= broken[doomed.id] <= 2 * attempts
    assert not await indexed(engine, doomed.id)
    assert letter.value == doomed_event
    assert letter.key == str(doomed.id).encode()
    headers = headers_of(letter)
    assert headers[ERROR_HEADER] == "RuntimeError: this snippet's row cannot be read"
    assert headers[ATTEMPTS_HEADER] == str(settings.consumer_max_attempts)


async def test_a_snippet_that_cannot_be_indexed_holds_back_no_other_of_its_batch(
    servers: Servers,
    database_url: str,
    producer: AIOKafkaProducer,
    tables: SnippetTables,
    engine: AsyncEngine,
) -> None:
    settings = consumer_settings(servers, database_url, consumer_max_attempts=2)
    await create_topics(settings)
    topic = settings.kafka_snippet_events_topic
    doomed, before, after = await tables.create(), await tables.create(), await tables.create()
    broken = {doomed.id: 0}
    key = str(doomed.id).encode()
    # One partition, sent before the indexer starts: its first fetch is this whole batch.
    await send(producer, topic, created(before).model_dump_json().encode(), key)
    failing = await send(producer, topic, created(doomed).model_dump_json().encode(), key)
    await send(producer, topic, created(after).model_dump_json().encode(), key)

    async with running(build_consumer_app("indexer", settings, BrokenSnapshotsProvider(broken))):
        (letter,) = await dead_letters(settings, 1)
        assert await indexed(engine, before.id)
        assert await indexed(engine, after.id)

    assert not await indexed(engine, doomed.id)
    assert original(letter) == (failing.partition, failing.offset)
    headers = headers_of(letter)
    assert headers[ATTEMPTS_HEADER] == "2"
    assert headers[ERROR_HEADER] == "RuntimeError: this snippet's row cannot be read"
