"""A plain aiokafka producer with SwiftPaste's delivery settings."""

from aiokafka import AIOKafkaProducer

from swiftpaste.infrastructure.messaging.broker import KafkaOptions

DEFAULT_MAX_BATCH_BYTES = 256 * 1024
"""Per-partition batch size: a whole relay batch fits in a few produce requests."""


def make_producer(
    options: KafkaOptions,
    *,
    client_id: str | None = None,
    linger_ms: int = 0,
    max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES,
) -> AIOKafkaProducer:
    """An unstarted producer that waits for every in-sync replica (acks=all).

    Keys and values are bytes; the caller serialises. Idempotence follows the
    setting, because Tansu (the embedded broker) does not implement it.
    """
    return AIOKafkaProducer(
        bootstrap_servers=options.bootstrap_servers,
        client_id=client_id or options.client_id,
        acks="all",
        enable_idempotence=options.enable_idempotence,
        request_timeout_ms=options.request_timeout_ms,
        linger_ms=linger_ms,
        max_batch_size=max_batch_bytes,
    )
