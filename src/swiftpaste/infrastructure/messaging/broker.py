"""The FastStream Kafka broker and the topics SwiftPaste needs."""

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
        # "Received"/"Processed" for every message is debugging detail, not an
        # operator's log: at INFO it would cost more than the handling of a view batch.
        log_level=logging.DEBUG,
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
