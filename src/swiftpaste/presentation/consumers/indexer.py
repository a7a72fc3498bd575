"""The `indexer` consumer: batches of snippet lifecycle events → search documents.

A batch is whatever one fetch returned (up to `INDEXER_BATCH_MAX_RECORDS`): its events
are folded per snippet and applied in one transaction, then acknowledged together.
Under load that turns a commit and a Kafka acknowledgement per event into one per
fetch; when quiet, a batch is the one event that just arrived, handled at once.

If the batch fails, its snippets are retried one at a time, each in a transaction of
its own, so one snippet that cannot be indexed holds back only its own records: those
are retried with the batch (the others are then up to date and cost a lookup) and
finally dead-lettered alone.
"""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from dishka import FromDishka
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import SkipValidation, ValidationError

from swiftpaste.application.integration_events import LIFECYCLE_EVENTS, LifecycleEvent
from swiftpaste.application.search.index_snippets import IndexSnippets, IndexTally
from swiftpaste.presentation.consumers.dead_letters import DeadLetters, records_of
from swiftpaste.presentation.consumers.failures import PartlyFailed
from swiftpaste.presentation.consumers.metrics import (
    INDEXER_BATCH_SIZE,
    INDEXER_OUTCOMES,
    INDEXER_SNIPPETS,
    initialise_consumer_metrics,
)
from swiftpaste.presentation.consumers.subscription import (
    Outcome,
    Subscription,
    batch_subscriber,
)

# Validated record by record below: one bad record must not cost the whole batch.
EventBodies = list[SkipValidation[LifecycleEvent]]
Delivered = tuple[Any, LifecycleEvent]
"""A record (an aiokafka ConsumerRecord) and the event it carries."""


def subscribe_indexer(broker: KafkaBroker, subscription: Subscription) -> DeadLetters:
    """Declare the indexer's batch subscriber (and its dead letters) on the broker."""
    initialise_consumer_metrics(subscription.consumer)
    for outcome in INDEXER_OUTCOMES:
        INDEXER_SNIPPETS.labels(outcome)
    dead_letters = DeadLetters.declare(broker, subscription, schema=LifecycleEvent)

    @batch_subscriber(
        broker,
        subscription,
        fetch_max_wait_ms=subscription.fetch_max_wait_ms,
        description=(
            "Keeps the search document of each live snippet equal to its latest version, "
            "a batch of events per transaction (committed only once the documents are); "
            "events no newer than the stored document are skipped."
        ),
    )
    async def index_snippets(
        bodies: EventBodies, message: KafkaMessage, index: FromDishka[IndexSnippets]
    ) -> Outcome:
        records = records_of(message.raw_message)
        delivered: list[Delivered] = []
        for record, body in zip(records, bodies, strict=True):
            event = await _readable(record, body, dead_letters)
            if event is not None:
                delivered.append((record, event))
        INDEXER_BATCH_SIZE.observe(len(records))
        if not delivered:
            return Outcome.SKIPPED
        try:
            tally = await index(event for _, event in delivered)
        except Exception:
            by_snippet = _by_snippet(delivered)
            if len(by_snippet) == 1:
                raise
            tally = await _one_snippet_at_a_time(index, by_snippet)
        _count(tally)
        return Outcome.OK if tally.changed else Outcome.SKIPPED

    return dead_letters


async def _readable(record: Any, body: Any, dead_letters: DeadLetters) -> LifecycleEvent | None:
    """The record's event; an unreadable record is dead-lettered and counts as nothing."""
    try:
        return LIFECYCLE_EVENTS.validate_python(body)
    except ValidationError as error:
        await dead_letters.send((record,), error, attempts=1)
        return None


def _by_snippet(delivered: Sequence[Delivered]) -> dict[UUID, list[Delivered]]:
    groups: dict[UUID, list[Delivered]] = {}
    for record, event in delivered:
        groups.setdefault(event.snippet_id, []).append((record, event))
    return groups


async def _one_snippet_at_a_time(
    index: IndexSnippets, by_snippet: dict[UUID, list[Delivered]]
) -> IndexTally:
    """Index each snippet in a transaction of its own; raise for those that failed.

    If every one failed, the batch's trouble is not one snippet's (PostgreSQL away, say):
    the first error is raised as it is, for the failure handling to judge.
    """
    tally = IndexTally()
    failed: list[Any] = []
    first_error: Exception | None = None
    for group in by_snippet.values():
        try:
            tally += await index(event for _, event in group)
        except Exception as error:  # noqa: BLE001 - judged by the failure handling, via PartlyFailed
            failed.extend(record for record, _ in group)
            first_error = first_error or error
    if first_error is None:
        return tally
    _count(tally)
    if len(failed) == sum(len(group) for group in by_snippet.values()):
        raise first_error
    raise PartlyFailed(failed, first_error)


def _count(tally: IndexTally) -> None:
    INDEXER_SNIPPETS.labels("indexed").inc(tally.indexed)
    INDEXER_SNIPPETS.labels("removed").inc(tally.removed)
    INDEXER_SNIPPETS.labels("up_to_date").inc(tally.up_to_date)
