"""The indexer keeps each live snippet's search document equal to its latest version."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from faststream.asgi import AsgiFastStream
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from swiftpaste.infrastructure.persistence.tables import search_documents
from swiftpaste.main.consumers import build_consumer_app
from swiftpaste.main.settings import Settings
from tests.conftest import Servers, eventually
from tests.consumers.conftest import (
    SnippetTables,
    StoredSnippet,
    consumer_settings,
    created,
    deleted,
    publish,
    revised,
    running,
)


@pytest.fixture(scope="module")
def settings(servers: Servers, database_url: str) -> Settings:
    return consumer_settings(servers, database_url)


@pytest.fixture(scope="module")
async def indexer(settings: Settings) -> AsyncIterator[AsgiFastStream]:
    async with running(build_consumer_app("indexer", settings)) as app:
        yield app


async def document(engine: AsyncEngine, snippet: StoredSnippet) -> Any:
    async with engine.connect() as connection:
        return (
            await connection.execute(
                select(search_documents).where(search_documents.c.snippet_id == snippet.id)
            )
        ).one_or_none()


@pytest.mark.usefixtures("indexer")
async def test_created_revised_and_deleted_events_write_replace_and_remove_the_document(
    settings: Settings, producer: AIOKafkaProducer, tables: SnippetTables, engine: AsyncEngine
) -> None:
    topic = settings.kafka_snippet_events_topic
    snippet = await tables.create("first draft", title="notes")
    await publish(producer, topic, created(snippet))

    first = await eventually(lambda: document(engine, snippet))
    assert (first.content, first.title, first.version, first.aggregate_version) == (
        "first draft",
        "notes",
        1,
        1,
    )
    assert first.short_id == snippet.short_id
    assert first.owner_id == snippet.owner_id

    await tables.revise(snippet, "second draft", title="better notes")
    await publish(producer, topic, revised(snippet))

    async def second_version() -> Any:
        row = await document(engine, snippet)
        return row if row is not None and row.version == 2 else None

    second = await eventually(second_version)
    assert (second.content, second.title, second.aggregate_version) == (
        "second draft",
        "better notes",
        2,
    )

    await tables.delete(snippet)
    await publish(producer, topic, deleted(snippet))

    async def gone() -> bool:
        return await document(engine, snippet) is None

    await eventually(gone)


@pytest.mark.usefixtures("indexer")
async def test_an_older_event_arriving_after_a_newer_one_changes_nothing(
    settings: Settings, producer: AIOKafkaProducer, tables: SnippetTables, engine: AsyncEngine
) -> None:
    topic = settings.kafka_snippet_events_topic
    snippet = await tables.create("v1")
    await tables.revise(snippet, "v2")
    await tables.revise(snippet, "v3")
    await publish(producer, topic, revised(snippet))  # aggregate version 3

    async def latest() -> Any:
        row = await document(engine, snippet)
        return row if row is not None and row.aggregate_version == 3 else None

    indexed = await eventually(latest)
    assert indexed.content == "v3"

    await publish(producer, topic, created(snippet, aggregate_version=1))
    # A marker under the same key lands in the same partition, behind the stale event:
    # once the marker's document exists, the stale event has been handled.
    marker = await tables.create("marker")
    await publish(producer, topic, created(marker), key=str(snippet.id))
    await eventually(lambda: document(engine, marker))

    after = await document(engine, snippet)
    assert (after.content, after.version, after.aggregate_version) == ("v3", 3, 3)
    assert after.indexed_at == indexed.indexed_at
