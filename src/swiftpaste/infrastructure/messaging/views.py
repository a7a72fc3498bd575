"""KafkaViewPublisher: hands `snippet.viewed` to Kafka without ever making a read wait.

`record()` only appends the view to a bounded in-memory buffer. A background task waits
`linger_ms` after the first view of a round, so that views gather, then writes them all
into record batches, one per partition, and hands each batch to the aiokafka producer
whole (`create_batch`/`send_batch`). Every read records a view, so their cost is part of
every read's: `producer.send()` per view costs about 45 µs of CPU (partitioning by a
pure-Python murmur2, a future and the accumulator's bookkeeping per record), a record
appended to a batch about 2 µs, and the partition of a key is remembered; the messages of a
round are written together (`viewed_jsons`). The records are
those `send()` would write: the same key (the snippet id), value, headers and partition
(murmur2 of the key, as the Java client and aiokafka's default partitioner choose).

When the broker is away or the buffer is full the view is dropped and counted in
`views_dropped_total`: views are a statistic, reads come first.
"""

import asyncio
import contextlib
import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.partitioner import murmur2
from prometheus_client import Counter

from swiftpaste.application.integration_events import viewed_jsons
from swiftpaste.domain.events import SnippetViewed
from swiftpaste.infrastructure.messaging.broker import TopicSpec, ensure_topics

logger = logging.getLogger(__name__)

VIEWS_PUBLISHED = Counter("views_published_total", "snippet.viewed events the broker acknowledged.")
VIEWS_DROPPED = Counter(
    "views_dropped_total",
    "snippet.viewed events dropped so that reads never wait for Kafka.",
    ["reason"],
)
for _reason in ("broker_unavailable", "buffer_full", "send_failed"):
    VIEWS_DROPPED.labels(_reason)

_HEADERS = [("event_type", b"snippet.viewed"), ("content-type", b"application/json")]
_MAX_REMEMBERED_PARTITIONS = 100_000


@dataclass(frozen=True, slots=True, kw_only=True)
class ViewPublisherOptions:
    bootstrap_servers: str
    client_id: str
    topic: str
    buffer_size: int
    linger_ms: int
    request_timeout_ms: int
    max_backoff_seconds: float = 10.0


class KafkaViewPublisher:
    """The API's Kafka producer: connects in the background, never blocks a request."""

    def __init__(self, options: ViewPublisherOptions, topics: Sequence[TopicSpec]) -> None:
        self._options = options
        self._topics = topics
        self._pending: list[SnippetViewed] = []
        self._arrived = asyncio.Event()
        self._producer: AIOKafkaProducer | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._partitions: dict[UUID, tuple[str, bytes, int]] = {}
        """Snippet id -> its text, the record key and the partition, for the count of
        partitions in `_partition_count`."""
        self._partition_count = 0
        self.connected = asyncio.Event()

    # --- ViewRecorder ------------------------------------------------------------------

    def record(self, view: SnippetViewed) -> None:
        if not self.connected.is_set():
            VIEWS_DROPPED.labels("broker_unavailable").inc()
            return
        pending = self._pending
        if len(pending) >= self._options.buffer_size:
            VIEWS_DROPPED.labels("buffer_full").inc()
            return
        pending.append(view)
        if len(pending) == 1:
            self._arrived.set()

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._connect_then_drain(), name="view-publisher")]

    async def stop(self, flush_timeout_seconds: float = 2.0) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._producer is not None:
            # Whatever is still buffered gets a short chance to leave; then it is dropped.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._send_pending(), flush_timeout_seconds)
                await asyncio.wait_for(self._producer.flush(), flush_timeout_seconds)
            with contextlib.suppress(Exception):
                await self._producer.stop()
        self.connected.clear()

    async def ping(self, timeout_seconds: float) -> bool:
        """Whether the broker answers a metadata request now."""
        if self._producer is None or not self.connected.is_set():
            return False
        try:
            await asyncio.wait_for(self._producer.client.fetch_all_metadata(), timeout_seconds)
        except (KafkaError, TimeoutError, OSError):
            return False
        return True

    # --- internals ---------------------------------------------------------------------

    async def _connect_then_drain(self) -> None:
        await self._connect()
        linger_seconds = self._options.linger_ms / 1000
        while True:
            await self._arrived.wait()
            if linger_seconds:
                await asyncio.sleep(linger_seconds)  # let this round's views gather
            # Cleared before the buffer is taken: a view recorded after that sets it again.
            self._arrived.clear()
            await self._send_pending()

    async def _send_pending(self) -> None:
        """Every buffered view, as one record batch per partition (more when one fills)."""
        views, self._pending = self._pending, []
        if not views:
            return
        producer = self._producer
        assert producer is not None  # sending starts after connecting
        topic = self._options.topic
        try:
            partitions = producer.client.cluster.partitions_for_topic(topic)
            if not partitions:
                partitions = await producer.partitions_for(topic)
        except KafkaError as error:
            VIEWS_DROPPED.labels("send_failed").inc(len(views))
            logger.debug("views not sent, no partitions known: %s", error)
            return
        all_partitions = sorted(partitions)
        if len(all_partitions) != self._partition_count:
            self._partitions.clear()
            self._partition_count = len(all_partitions)
        records = [self._key_and_partition(view.snippet_id, all_partitions) for view in views]
        values = viewed_jsons(views, [text for text, _, _ in records])
        batches: dict[int, Any] = {}
        for (_, key, partition), value in zip(records, values, strict=True):
            batch = batches.get(partition)
            if batch is None:
                batch = batches[partition] = producer.create_batch()
            if batch.append(timestamp=None, key=key, value=value, headers=_HEADERS) is None:
                await self._submit(batch, partition)  # full: off it goes, start another
                batch = batches[partition] = producer.create_batch()
                if batch.append(timestamp=None, key=key, value=value, headers=_HEADERS) is None:
                    VIEWS_DROPPED.labels("send_failed").inc()  # larger than a whole batch
        for partition, batch in batches.items():
            await self._submit(batch, partition)

    def _key_and_partition(
        self, snippet_id: UUID, all_partitions: list[int]
    ) -> tuple[str, bytes, int]:
        """The snippet id as text, the record key (that text, encoded) and the partition
        aiokafka's default partitioner picks for it, remembered per snippet."""
        known = self._partitions.get(snippet_id)
        if known is None:
            if len(self._partitions) >= _MAX_REMEMBERED_PARTITIONS:
                self._partitions.clear()
            text = str(snippet_id)
            key = text.encode()
            index = (murmur2(key) & 0x7FFFFFFF) % len(all_partitions)
            known = self._partitions[snippet_id] = (text, key, all_partitions[index])
        return known

    async def _submit(self, batch: Any, partition: int) -> None:
        assert self._producer is not None
        records = batch.record_count()
        batch.close()  # complete: sent without the producer's own linger (this one lingered)
        try:
            # Returns once the batch is queued in the producer, not when delivered.
            delivery = await self._producer.send_batch(
                batch, self._options.topic, partition=partition
            )
        except KafkaError as error:
            VIEWS_DROPPED.labels("send_failed").inc(records)
            logger.debug("views not sent: %s", error)
            return
        delivery.add_done_callback(functools.partial(_count_delivery, records))

    async def _connect(self) -> None:
        backoff = 0.5
        options = self._options
        while True:
            producer = AIOKafkaProducer(
                bootstrap_servers=options.bootstrap_servers,
                client_id=f"{options.client_id}-views",
                # A view needs the leader's word only: losing one in a broker crash is
                # acceptable, making every read's event wait for replicas is not.
                acks=1,
                linger_ms=options.linger_ms,
                request_timeout_ms=options.request_timeout_ms,
            )
            try:
                await ensure_topics(options.bootstrap_servers, self._topics)
                await producer.start()
            except Exception as error:  # noqa: BLE001 - any failure is retried the same way
                with contextlib.suppress(Exception):
                    await producer.stop()
                logger.warning("Kafka is not reachable yet; retrying in %.1fs: %s", backoff, error)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, options.max_backoff_seconds)
                continue
            self._producer = producer
            self.connected.set()
            logger.info("view publisher connected", extra={"topic": options.topic})
            return


def _count_delivery(records: int, delivery: "asyncio.Future[object]") -> None:
    if delivery.cancelled() or delivery.exception() is not None:
        VIEWS_DROPPED.labels("send_failed").inc(records)
    else:
        VIEWS_PUBLISHED.inc(records)
