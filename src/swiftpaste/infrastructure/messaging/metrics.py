"""Prometheus metrics of the outbox relay and of the consumers' lag.

Gauges hold the last measurement, so in prometheus-client's multiprocess mode the most
recent write wins rather than one series per process.
"""

from prometheus_client import Counter, Gauge, Histogram

OUTBOX_BACKLOG = Gauge(
    "outbox_backlog",
    "Outbox rows not yet published to Kafka (as last counted by the relay).",
    multiprocess_mode="mostrecent",
)
OUTBOX_OLDEST_PENDING_SECONDS = Gauge(
    "outbox_oldest_pending_seconds",
    "Age of the oldest unpublished outbox row; 0 when nothing is pending.",
    multiprocess_mode="mostrecent",
)
OUTBOX_PUBLISHED = Counter(
    "outbox_published_total",
    "Outbox rows the broker acknowledged and the relay marked published.",
    ["event_type"],
)
OUTBOX_PUBLISH_ERRORS = Counter(
    "outbox_publish_errors_total",
    "Relay batches that failed (Kafka or PostgreSQL) and were rolled back to retry.",
)
OUTBOX_PUBLISH_BATCH_SECONDS = Histogram(
    "outbox_publish_batch_seconds",
    "Time to lock, publish and mark one relay batch.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
OUTBOX_PRUNED = Counter(
    "outbox_pruned_total",
    "Published outbox rows deleted after the retention period.",
)
CONSUMER_LAG = Gauge(
    "consumer_lag",
    "Records on a partition that the consumer's group has not committed yet "
    "(end offset minus committed offset), as last measured by a member of the group.",
    ["consumer", "topic", "partition"],
    multiprocess_mode="mostrecent",
)
CONSUMER_LAG_ERRORS = Counter(
    "consumer_lag_errors_total",
    "Lag measurements that failed (Kafka unreachable or slow); the gauge keeps its last value.",
    ["consumer"],
)
