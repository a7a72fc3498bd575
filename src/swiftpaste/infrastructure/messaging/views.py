"""KafkaViewPublisher: hands `snippet.viewed` to Kafka without ever making a read wait.

`record()` only puts the view in a bounded in-memory buffer; a background task
moves the buffer into the aiokafka producer, which batches sends per partition
(`linger_ms`). When the broker is away or the buffer is full the view is dropped
and counted in `views_dropped_total`: views are a statistic, reads come first.
"""

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from prometheus_client import Counter

from swiftpaste.application.integration_events import viewed_json
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

_DRAIN_CHUNK = 500
_HEADERS = [("event_type", b"snippet.viewed"), ("content-type", b"application/json")]


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
        self._buffer: asyncio.Queue[SnippetViewed] = asyncio.Queue(options.buffer_size)
        self._producer: AIOKafkaProducer | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.connected = asyncio.Event()

    # --- ViewRecorder ------------------------------------------------------------------

    def record(self, view: SnippetViewed) -> None:
        if not self.connected.is_set():
            VIEWS_DROPPED.labels("broker_unavailable").inc()
            return
        try:
            self._buffer.put_nowait(view)
        except asyncio.QueueFull:
            VIEWS_DROPPED.labels("buffer_full").inc()

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
                await asyncio.wait_for(self._drain_buffer(), flush_timeout_seconds)
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
        while True:
            first = await self._buffer.get()
            await self._send(first)
            await self._drain_buffer()

    async def _drain_buffer(self) -> None:
        for _ in range(min(self._buffer.qsize(), _DRAIN_CHUNK)):
            await self._send(self._buffer.get_nowait())

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

    async def _send(self, view: SnippetViewed) -> None:
        assert self._producer is not None  # sending starts after connecting
        try:
            # Returns once the record is in the producer's batch, not when delivered.
            delivery = await self._producer.send(
                self._options.topic,
                value=viewed_json(view),
                key=str(view.snippet_id).encode(),
                headers=_HEADERS,
            )
        except KafkaError as error:
            VIEWS_DROPPED.labels("send_failed").inc()
            logger.debug("view not sent: %s", error)
            return
        delivery.add_done_callback(_count_delivery)


def _count_delivery(delivery: "asyncio.Future[object]") -> None:
    if delivery.cancelled() or delivery.exception() is not None:
        VIEWS_DROPPED.labels("send_failed").inc()
    else:
        VIEWS_PUBLISHED.inc()
