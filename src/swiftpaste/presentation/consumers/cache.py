"""The `cache` consumer: snippet lifecycle events → cache evictions."""

from dishka import FromDishka
from faststream.kafka import KafkaBroker
from faststream.middlewares import AckPolicy

from swiftpaste.application.integration_events import LifecycleEvent
from swiftpaste.application.snippets.evict_cached_snippet import EvictCachedSnippet
from swiftpaste.presentation.consumers.dead_letters import DeadLetters
from swiftpaste.presentation.consumers.metrics import initialise_consumer_metrics
from swiftpaste.presentation.consumers.subscription import Outcome, Subscription


def subscribe_cache(broker: KafkaBroker, subscription: Subscription) -> DeadLetters:
    """Declare the cache consumer's subscriber (and its dead letters) on the broker."""
    initialise_consumer_metrics(subscription.consumer)
    dead_letters = DeadLetters.declare(broker, subscription, schema=LifecycleEvent)

    @broker.subscriber(
        subscription.topic,
        group_id=subscription.group_id,
        # Committed only after Redis confirmed the eviction.
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        session_timeout_ms=subscription.session_timeout_ms,
        heartbeat_interval_ms=subscription.heartbeat_interval_ms,
        fetch_max_wait_ms=subscription.fetch_max_wait_ms,
        no_reply=True,
        title=f"{subscription.topic}:{subscription.consumer}",
        description=(
            "Evicts every cached version of a snippet that was revised, shared, deleted "
            "or whose share expired."
            f" Consumer group: {subscription.group_id}."
        ),
    )
    async def evict_cached_snippet(
        event: LifecycleEvent, evict: FromDishka[EvictCachedSnippet]
    ) -> Outcome:
        return Outcome.OK if await evict(event) else Outcome.SKIPPED

    return dead_letters
