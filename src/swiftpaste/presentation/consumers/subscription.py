"""What a consumer subscribes to, and what a handler reports back."""

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from faststream.kafka import KafkaBroker
from faststream.middlewares import AckPolicy

if TYPE_CHECKING:
    from faststream.kafka.subscriber.usecase import BatchSubscriber


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscription:
    """One consumer's place in Kafka: its topic, its group and where failures go."""

    consumer: str
    """`indexer`, `views` or `cache`: the label of its metrics and dead letters."""
    topic: str
    group_id: str
    dead_letter_topic: str
    session_timeout_ms: int = 10_000
    heartbeat_interval_ms: int = 3_000
    batch_max_records: int = 1000
    batch_timeout_ms: int = 200
    fetch_max_wait_ms: int = 50
    """How long the broker may hold an empty fetch: a bound on the lag of a quiet topic."""


class Outcome(StrEnum):
    """What a handler did with a delivery; the failure handling turns it into a metric."""

    OK = "ok"
    SKIPPED = "skipped"
    """Nothing to do: the event was already applied, or does not concern this consumer."""


def batch_subscriber(
    broker: KafkaBroker,
    subscription: Subscription,
    *,
    fetch_max_wait_ms: int,
    description: str,
) -> "BatchSubscriber":
    """A batch subscriber for `subscription` (use it as the handler's decorator).

    Up to `batch_max_records` records per call, waiting at most `batch_timeout_ms` for them;
    a new group starts at the earliest offset; a batch is committed only once its handler
    returns, so a crash means redelivery, never a gap.
    """
    return broker.subscriber(
        subscription.topic,
        group_id=subscription.group_id,
        batch=True,
        max_records=subscription.batch_max_records,
        batch_timeout_ms=subscription.batch_timeout_ms,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        session_timeout_ms=subscription.session_timeout_ms,
        heartbeat_interval_ms=subscription.heartbeat_interval_ms,
        fetch_max_wait_ms=fetch_max_wait_ms,
        no_reply=True,
        title=f"{subscription.topic}:{subscription.consumer}",
        description=f"{description} Consumer group: {subscription.group_id}.",
    )
