"""The views consumer counts every view exactly once, whatever Kafka redelivers."""

import asyncio
import random
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaProducer
from faststream.asgi import AsgiFastStream
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from swiftpaste.infrastructure.persistence.tables import consumer_offsets
from swiftpaste.main.consumers import build_consumer_app
from swiftpaste.main.settings import Settings
from swiftpaste.presentation.consumers.dead_letters import (
    ERROR_HEADER,
    ORIGINAL_OFFSET_HEADER,
    ORIGINAL_TOPIC_HEADER,
)
from tests.conftest import Servers, eventually
from tests.consumers.conftest import (
    SnippetTables,
    StoredSnippet,
    consumer_settings,
    create_topics,
    dead_letters,
    headers_of,
    publish,
    running,
    viewed,
)

# 10 snippets, 1,000 views between them, none with the same count.
VIEWS_PER_SNIPPET = [10, 30, 50, 70, 90, 110, 130, 150, 170, 190]


@pytest.fixture(scope="module")
def settings(servers: Servers, database_url: str) -> Settings:
    return consumer_settings(servers, database_url, views_batch_max_records=200)


@pytest.fixture(scope="module")
async def views_consumer(settings: Settings) -> AsyncIterator[AsgiFastStream]:
    async with running(build_consumer_app("views", settings)) as app:
        yield app


async def publish_views(
    producer: AIOKafkaProducer, topic: str, snippets: list[StoredSnippet], counts: list[int]
) -> int:
    """Interleaved across the snippets (so across partitions), as real traffic would be."""
    pending = [
        snippet for snippet, count in zip(snippets, counts, strict=True) for _ in range(count)
    ]
    random.Random(7).shuffle(pending)
    sends = [
        await producer.send(topic, viewed(s).model_dump_json().encode(), key=str(s.id).encode())
        for s in pending
    ]
    await asyncio.gather(*sends)
    return len(pending)


def metric(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


async def stored_offsets(engine: AsyncEngine, settings: Settings) -> dict[int, int]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(consumer_offsets.c.partition, consumer_offsets.c.next_offset).where(
                consumer_offsets.c.group_id == settings.consumer_group("views")
            ),
        )
        return {row.partition: row.next_offset for row in rows}


@pytest.mark.usefixtures("views_consumer")
async def test_a_thousand_views_over_ten_snippets_are_counted_exactly(
    settings: Settings, producer: AIOKafkaProducer, tables: SnippetTables
) -> None:
    snippets = [await tables.create() for _ in VIEWS_PER_SNIPPET]
    published = await publish_views(
        producer, settings.kafka_snippet_views_topic, snippets, VIEWS_PER_SNIPPET
    )
    assert published == 1000

    async def all_counted() -> bool:
        return await tables.views(*snippets) == VIEWS_PER_SNIPPET

    await eventually(all_counted)


@pytest.mark.usefixtures("views_consumer")
async def test_an_unreadable_record_is_dead_lettered_and_the_rest_of_its_batch_counted(
    settings: Settings, producer: AIOKafkaProducer, tables: SnippetTables
) -> None:
    snippet = await tables.create()
    topic = settings.kafka_snippet_views_topic
    key = str(snippet.id)
    for _ in range(3):
        await publish(producer, topic, viewed(snippet))
    await publish(producer, topic, b"{not json", key=key)
    await publish(producer, topic, b'{"event_type": "snippet.viewed"}', key=key)
    for _ in range(2):
        await publish(producer, topic, viewed(snippet))

    async def counted() -> bool:
        return await tables.views(snippet) == [5]

    await eventually(counted)
    letters = await dead_letters(settings, 2, where=lambda letter: letter.key == key.encode())
    assert sorted(letter.value for letter in letters) == [
        b'{"event_type": "snippet.viewed"}',
        b"{not json",
    ]
    for letter in letters:
        headers = headers_of(letter)
        assert letter.key == key.encode()
        assert headers[ORIGINAL_TOPIC_HEADER] == topic
        assert headers[ERROR_HEADER].startswith("ValidationError: ")
        assert int(headers[ORIGINAL_OFFSET_HEADER]) >= 0


async def rewind(app: AsgiFastStream) -> None:
    """Send the running consumer back to the start of every partition it holds.

    Kafka then delivers every batch again to the same member, as it does after a
    crash between the database commit and the offset commit.
    """
    assert app.broker is not None
    (subscriber,) = app.broker.subscribers
    consumer = getattr(subscriber, "consumer", None)
    assert consumer is not None
    await consumer.seek_to_beginning()


async def test_a_batch_delivered_again_is_not_counted_again(
    servers: Servers,
    database_url: str,
    producer: AIOKafkaProducer,
    tables: SnippetTables,
    engine: AsyncEngine,
) -> None:
    settings = consumer_settings(servers, database_url)
    await create_topics(settings)
    snippets = [await tables.create() for _ in range(3)]
    counts = [40, 70, 90]
    published = await publish_views(producer, settings.kafka_snippet_views_topic, snippets, counts)

    async with running(build_consumer_app("views", settings)) as app:

        async def all_applied() -> bool:
            return sum((await stored_offsets(engine, settings)).values()) == published

        await eventually(all_applied)
        assert await tables.views(*snippets) == counts
        applied = await stored_offsets(engine, settings)

        duplicates_before = metric("views_duplicates_skipped_total")
        await rewind(app)

        async def everything_delivered_again() -> bool:
            return metric("views_duplicates_skipped_total") - duplicates_before >= published

        await eventually(everything_delivered_again)

    assert await tables.views(*snippets) == counts
    assert await stored_offsets(engine, settings) == applied
