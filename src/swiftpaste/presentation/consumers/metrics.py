"""Prometheus metrics of the consumers, served on each consumer's `/metrics`."""

from prometheus_client import Counter, Histogram

OUTCOMES = ("ok", "skipped", "retried", "dead_lettered")

CONSUMER_MESSAGES = Counter(
    "consumer_messages_total",
    "Deliveries handled (a batch counts once): ok, skipped (nothing to do), "
    "retried (one per further attempt) or dead_lettered.",
    ["consumer", "outcome"],
)
CONSUMER_PROCESSING_SECONDS = Histogram(
    "consumer_processing_seconds",
    "Time from taking a delivery to its outcome, retries included.",
    ["consumer"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
CONSUMER_DEAD_LETTERS = Counter(
    "consumer_dead_letters_total",
    "Records published to the dead-letter topic.",
    ["consumer"],
)

VIEWS_CONSUMED = Counter(
    "views_consumed_total", "View records in the batches the consumer applied."
)
VIEWS_COUNTED = Counter("views_counted_total", "Views added to the snippets' counters.")
VIEWS_DUPLICATES_SKIPPED = Counter(
    "views_duplicates_skipped_total",
    "View records skipped because an earlier delivery already counted them.",
)
VIEWS_BATCH_SIZE = Histogram(
    "views_batch_size",
    "Records per batch the views consumer applied.",
    buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000),
)

INDEXER_BATCH_SIZE = Histogram(
    "indexer_batch_size",
    "Records per batch the indexer handled.",
    buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000),
)
INDEXER_SNIPPETS = Counter(
    "indexer_snippets_total",
    "Snippets of the indexer's batches, by what became of their search document: "
    "indexed, removed or up_to_date (already as new as the snippet's newest event).",
    ["outcome"],
)
INDEXER_OUTCOMES = ("indexed", "removed", "up_to_date")


def initialise_consumer_metrics(consumer: str) -> None:
    """Make every series of this consumer appear on `/metrics` before its first message."""
    for outcome in OUTCOMES:
        CONSUMER_MESSAGES.labels(consumer, outcome)
    CONSUMER_PROCESSING_SECONDS.labels(consumer)
    CONSUMER_DEAD_LETTERS.labels(consumer)
