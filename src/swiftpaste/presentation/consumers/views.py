"""The `views` consumer: batches of `snippet.viewed` → the snippets' view counters."""

from typing import Any
from uuid import UUID

from dishka import FromDishka
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import SkipValidation, ValidationError

from swiftpaste.application.integration_events import SnippetViewedEvent
from swiftpaste.application.ports.consumers import StreamPosition
from swiftpaste.application.snippets.count_views import CountViews, ViewRecord
from swiftpaste.presentation.consumers.dead_letters import DeadLetters, records_of
from swiftpaste.presentation.consumers.metrics import (
    VIEWS_BATCH_SIZE,
    VIEWS_CONSUMED,
    VIEWS_COUNTED,
    VIEWS_DUPLICATES_SKIPPED,
    initialise_consumer_metrics,
)
from swiftpaste.presentation.consumers.subscription import (
    Outcome,
    Subscription,
    batch_subscriber,
)

# Validated record by record below: one bad record must not cost the whole batch.
ViewBodies = list[SkipValidation[SnippetViewedEvent]]
VIEWS_FETCH_MAX_WAIT_MS = 500
"""Views are a statistic counted in bulk: the broker may hold a fetch this long (aiokafka's
default), where the indexer asks for `Subscription.fetch_max_wait_ms`."""


def subscribe_views(broker: KafkaBroker, subscription: Subscription) -> DeadLetters:
    """Declare the views consumer's batch subscriber (and its dead letters) on the broker."""
    initialise_consumer_metrics(subscription.consumer)
    dead_letters = DeadLetters.declare(broker, subscription, schema=SnippetViewedEvent)

    @batch_subscriber(
        broker,
        subscription,
        fetch_max_wait_ms=VIEWS_FETCH_MAX_WAIT_MS,
        description=(
            "Adds batches of views to the snippets' counters in one transaction with the "
            "stream positions they cover (committed only after them), so a redelivered "
            "batch is never counted twice."
        ),
    )
    async def count_views(
        views: ViewBodies, message: KafkaMessage, count: FromDishka[CountViews]
    ) -> Outcome:
        records = records_of(message.raw_message)
        batch: list[ViewRecord] = []
        for record, body in zip(records, views, strict=True):
            position = StreamPosition(record.topic, record.partition, record.offset)
            snippet_id = await _snippet_viewed(record, body, dead_letters)
            batch.append(ViewRecord(position, snippet_id))
        tally = await count(subscription.group_id, batch)
        VIEWS_BATCH_SIZE.observe(len(records))
        VIEWS_CONSUMED.inc(len(records))
        VIEWS_COUNTED.inc(tally.counted)
        VIEWS_DUPLICATES_SKIPPED.inc(tally.duplicates)
        return Outcome.OK if tally.counted else Outcome.SKIPPED

    return dead_letters


async def _snippet_viewed(record: Any, body: Any, dead_letters: DeadLetters) -> UUID | None:
    """The viewed snippet's id; an unreadable record is dead-lettered and counts as nothing.

    Sent before the batch commits: if the commit fails, the record may be
    dead-lettered again on the next attempt, but never lost.
    """
    try:
        return SnippetViewedEvent.model_validate(body).snippet_id
    except ValidationError as error:
        await dead_letters.send((record,), error, attempts=1)
        return None
