"""What a consumer subscribes to, and what a handler reports back."""

from dataclasses import dataclass
from enum import StrEnum


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
