"""The `indexer` consumer: snippet lifecycle events → search documents."""

from dishka import FromDishka
from faststream.kafka import KafkaBroker
from faststream.middlewares import AckPolicy

from swiftpaste.application.integration_events import LifecycleEvent
from swiftpaste.application.search.index_snippet import IndexOutcome, IndexSnippet
from swiftpaste.presentation.consumers.dead_letters import DeadLetters
from swiftpaste.presentation.consumers.metrics import initialise_consumer_metrics
from swiftpaste.presentation.consumers.subscription import Outcome, Subscription


def subscribe_indexer(broker: KafkaBroker, subscription: Subscription) -> DeadLetters:
    """Declare the indexer's subscriber (and its dead letters) on the broker."""
    initialise_consumer_metrics(subscription.consumer)
    dead_letters = DeadLetters.declare(broker, subscription, schema=LifecycleEvent)

    @broker.subscriber(
        subscription.topic,
        group_id=subscription.group_id,
        # Committed only once the document is: a crash means redelivery, never a gap.
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        session_timeout_ms=subscription.session_timeout_ms,
        heartbeat_interval_ms=subscription.heartbeat_interval_ms,
        fetch_max_wait_ms=subscription.fetch_max_wait_ms,
        no_reply=True,
        title=f"{subscription.topic}:{subscription.consumer}",
        description=(
            "Keeps the search document of each live snippet equal to its latest version; "
            "events no newer than the stored document are skipped."
            f" Consumer group: {subscription.group_id}."
        ),
    )
    async def index_snippet(event: LifecycleEvent, index: FromDishka[IndexSnippet]) -> Outcome:
        outcome = await index(event)
        return Outcome.SKIPPED if outcome is IndexOutcome.UP_TO_DATE else Outcome.OK

    return dead_letters
