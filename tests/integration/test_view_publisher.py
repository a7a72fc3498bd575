"""KafkaViewPublisher against the real broker: the records `producer.send()` would write.

The publisher writes views as record batches of its own, one per partition, so these
tests read the topic back and hold every record to what the per-view `send()` wrote
before: the snippet id as key, the event JSON as value, its headers, and the partition
the default partitioner picks for the key (murmur2, as the Java client).
"""

import asyncio
import json
import uuid
from datetime import UTC, datetime

from aiokafka.partitioner import murmur2
from prometheus_client import REGISTRY

from swiftpaste.domain.events import SnippetViewed
from swiftpaste.infrastructure.messaging.broker import TopicSpec
from swiftpaste.infrastructure.messaging.views import KafkaViewPublisher, ViewPublisherOptions
from tests.conftest import Servers
from tests.integration.test_relay import read_topic

PARTITIONS = 6


def publisher(servers: Servers, topic: str, **options: int) -> KafkaViewPublisher:
    values = {"buffer_size": 10_000, "linger_ms": 20, "request_timeout_ms": 5000, **options}
    return KafkaViewPublisher(
        ViewPublisherOptions(
            bootstrap_servers=servers.endpoints.kafka_bootstrap_servers,
            client_id="test-views",
            topic=topic,
            **values,
        ),
        [TopicSpec(topic, PARTITIONS, 1)],
    )


def a_view() -> SnippetViewed:
    return SnippetViewed(
        snippet_id=uuid.uuid4(), short_id="aB3dE5fG", version=None, occurred_at=datetime.now(UTC)
    )


def published() -> float:
    return REGISTRY.get_sample_value("views_published_total") or 0.0


def dropped(reason: str) -> float:
    return REGISTRY.get_sample_value("views_dropped_total", {"reason": reason}) or 0.0


async def test_views_reach_the_topic_as_send_would_have_written_them(servers: Servers) -> None:
    topic = f"test.views.{uuid.uuid4().hex[:12]}"
    views = publisher(servers, topic)
    snippet_ids = [uuid.uuid4() for _ in range(20)]
    sent = [
        SnippetViewed(
            snippet_id=snippet_ids[number % len(snippet_ids)],
            short_id=f"aB3dE{number % 10}fG",
            version=None if number % 3 else number,
            occurred_at=datetime.now(UTC),
        )
        for number in range(300)
    ]
    before = published()
    views.start()
    try:
        await asyncio.wait_for(views.connected.wait(), 30)
        for number, view in enumerate(sent):
            views.record(view)
            if number % 25 == 0:
                await asyncio.sleep(0.005)  # views arrive over several rounds
    finally:
        await views.stop()
    records = await read_topic(servers.endpoints.kafka_bootstrap_servers, topic, len(sent))
    assert len(records) == len(sent)
    assert published() == before + len(sent)
    ids = sorted(range(PARTITIONS))
    by_key: dict[str, list[dict[str, object]]] = {}
    for record in records:
        key = record.key.decode()
        assert record.partition == ids[(murmur2(record.key) & 0x7FFFFFFF) % PARTITIONS]
        assert dict(record.headers) == {
            "event_type": b"snippet.viewed",
            "content-type": b"application/json",
        }
        event = json.loads(record.value)
        assert event["snippet_id"] == key
        assert event["event_type"] == "snippet.viewed"
        by_key.setdefault(key, []).append(event)
    # Each snippet's views, in the order they were recorded (one partition each).
    for snippet_id in snippet_ids:
        expected = [
            (view.short_id, view.version, view.occurred_at.isoformat())
            for view in sent
            if view.snippet_id == snippet_id
        ]
        got = [
            (event["payload"]["short_id"], event["payload"]["version"], event["occurred_at"])  # type: ignore[index]
            for event in by_key[str(snippet_id)]
        ]
        assert got == expected
    assert len({event["event_id"] for events in by_key.values() for event in events}) == len(sent)


async def test_a_full_buffer_drops_views_and_counts_them(servers: Servers) -> None:
    topic = f"test.views.{uuid.uuid4().hex[:12]}"
    views = publisher(servers, topic, buffer_size=5, linger_ms=200)
    views.start()
    try:
        await asyncio.wait_for(views.connected.wait(), 30)
        full = dropped("buffer_full")
        for _ in range(8):  # within one linger: five are kept, three dropped
            views.record(a_view())
        assert dropped("buffer_full") == full + 3
    finally:
        await views.stop()
    records = await read_topic(servers.endpoints.kafka_bootstrap_servers, topic, 5)
    assert len(records) == 5


def test_before_the_broker_answers_views_are_dropped_and_counted(servers: Servers) -> None:
    views = publisher(servers, f"test.views.{uuid.uuid4().hex[:12]}")
    away = dropped("broker_unavailable")
    views.record(a_view())
    assert dropped("broker_unavailable") == away + 1
