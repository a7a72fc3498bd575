"""The FastStream Kafka broker, the topics it needs, and keeping it connected."""

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class KafkaOptions:
    bootstrap_servers: str
    client_id: str
    enable_idempotence: bool
    request_timeout_ms: int


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int = 1


def make_broker(options: KafkaOptions) -> KafkaBroker:
    return KafkaBroker(
        options.bootstrap_servers,
        client_id=options.client_id,
        # Every publish waits for all in-sync replicas: an acknowledged event is durable.
        acks="all",
        # Tansu (the embedded broker) has no idempotent producer, so this stays a setting.
        enable_idempotence=options.enable_idempotence,
        request_timeout_ms=options.request_timeout_ms,
        logger=logging.getLogger("swiftpaste.kafka"),
    )


async def ensure_topics(bootstrap_servers: str, topics: Sequence[TopicSpec]) -> None:
    """Create the topics that do not exist yet; existing ones are left as they are."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="swiftpaste-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(
                name=topic.name,
                num_partitions=topic.partitions,
                replication_factor=topic.replication_factor,
            )
            for topic in topics
            if topic.name not in existing
        ]
        if missing:
            # Another process may create them between our listing and our request.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
            logger.info("created Kafka topics", extra={"topics": [t.name for t in missing]})
    finally:
        await admin.close()


class KafkaConnector:
    """Connects the broker and provisions topics, retrying in the background.

    The API must start and serve reads while Kafka is away (readiness reports it
    degraded), so connecting never blocks start-up and never gives up.
    """

    def __init__(
        self,
        broker: KafkaBroker,
        bootstrap_servers: str,
        topics: Sequence[TopicSpec],
        *,
        max_backoff_seconds: float = 10.0,
    ) -> None:
        self._broker = broker
        self._bootstrap_servers = bootstrap_servers
        self._topics = topics
        self._max_backoff = max_backoff_seconds
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect_until_done(), name="kafka-connector")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._broker.stop()

    async def _connect_until_done(self) -> None:
        backoff = 0.5
        while True:
            try:
                await ensure_topics(self._bootstrap_servers, self._topics)
                await self._broker.start()
            except Exception as error:  # noqa: BLE001 - any failure is retried the same way
                logger.warning(
                    "Kafka is not reachable yet; retrying in %.1fs: %s",
                    backoff,
                    error,
                    extra={"bootstrap_servers": self._bootstrap_servers},
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
                continue
            self.connected.set()
            logger.info("connected to Kafka", extra={"bootstrap_servers": self._bootstrap_servers})
            return
