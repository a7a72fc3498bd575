"""The dead-letter topic: records that cannot be processed, with why and where from.

A dead letter keeps the original value, key and headers, and adds:
`x-dead-letter-error` (error type and message), `x-dead-letter-consumer`,
`x-dead-letter-attempts`, `x-original-topic`, `x-original-partition` and
`x-original-offset`, so it can be inspected and, once fixed, replayed.
"""

import asyncio
from collections.abc import Sequence
from typing import Any

from faststream.kafka import KafkaBroker
from faststream.kafka.publisher.usecase import DefaultPublisher

from swiftpaste.presentation.consumers.metrics import CONSUMER_DEAD_LETTERS
from swiftpaste.presentation.consumers.subscription import Subscription

ERROR_HEADER = "x-dead-letter-error"
CONSUMER_HEADER = "x-dead-letter-consumer"
ATTEMPTS_HEADER = "x-dead-letter-attempts"
ORIGINAL_TOPIC_HEADER = "x-original-topic"
ORIGINAL_PARTITION_HEADER = "x-original-partition"
ORIGINAL_OFFSET_HEADER = "x-original-offset"

_MAX_ERROR_LENGTH = 2000


def describe_error(error: BaseException) -> str:
    """`Type: message` on one line, short enough for a header."""
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {message}"[:_MAX_ERROR_LENGTH]


class DeadLetters:
    """Publishes a consumer's failed records to the dead-letter topic (acks=all)."""

    def __init__(self, publisher: DefaultPublisher, consumer: str) -> None:
        self._publisher = publisher
        self._consumer = consumer

    @classmethod
    def declare(cls, broker: KafkaBroker, subscription: Subscription, schema: Any) -> "DeadLetters":
        """Declare the publisher on the broker, so the AsyncAPI document shows the topic.

        `schema` is what the records were meant to be; a dead letter may be anything.
        """
        publisher = broker.publisher(
            subscription.dead_letter_topic,
            title=f"{subscription.dead_letter_topic}:{subscription.consumer}",
            description=(
                f"Records the {subscription.consumer} consumer gave up on, byte for byte as "
                f"read from {subscription.topic} (so possibly not valid), with the headers "
                "x-dead-letter-error, x-dead-letter-consumer, x-dead-letter-attempts, "
                "x-original-topic, x-original-partition and x-original-offset."
            ),
            schema=schema,
        )
        return cls(publisher, subscription.consumer)

    async def send(self, records: Sequence[Any], error: BaseException, *, attempts: int) -> None:
        """Publish each record (an aiokafka ConsumerRecord); returns once Kafka has them all."""
        await asyncio.gather(*(self._send_one(record, error, attempts) for record in records))

    async def _send_one(self, record: Any, error: BaseException, attempts: int) -> None:
        headers = {name: value.decode("utf-8", "replace") for name, value in record.headers or ()}
        headers |= {
            ERROR_HEADER: describe_error(error),
            CONSUMER_HEADER: self._consumer,
            ATTEMPTS_HEADER: str(attempts),
            ORIGINAL_TOPIC_HEADER: record.topic,
            ORIGINAL_PARTITION_HEADER: str(record.partition),
            ORIGINAL_OFFSET_HEADER: str(record.offset),
        }
        await self._publisher.publish(record.value or b"", key=record.key, headers=headers)
        CONSUMER_DEAD_LETTERS.labels(self._consumer).inc()


def records_of(raw_message: Any) -> tuple[Any, ...]:
    """The ConsumerRecords of a delivery: one, or a batch's tuple."""
    return raw_message if isinstance(raw_message, tuple) else (raw_message,)
