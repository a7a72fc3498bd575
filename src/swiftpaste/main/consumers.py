"""The consumers: `swiftpaste consume indexer|views|cache`, each a FastStream app of its own.

Every consumer has its own consumer group, acks a message only after its work
committed, runs each message (or batch) in a Dishka request scope, measures its
group's lag every `CONSUMER_LAG_INTERVAL_SECONDS` (`consumer_lag`), and answers
`/health`, `/ready` and `/metrics` on its own port. `build_consumer_app` gives the
app (tests start it in-process with `async with app:`); `run_consumer` runs it until
SIGINT/SIGTERM. `asyncapi_app` describes all three for
`faststream docs gen --factory swiftpaste.main.consumers:asyncapi_app`.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, cast

from dishka import AsyncContainer, Provider, make_async_container
from dishka_faststream import FastStreamProvider, setup_dishka
from faststream import FastStream
from faststream.asgi import AsgiFastStream
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from swiftpaste.infrastructure.health.probes import PostgresProbe, RedisProbe
from swiftpaste.infrastructure.messaging.broker import KafkaOptions, ensure_topics, make_broker
from swiftpaste.infrastructure.messaging.consumer_lag import ConsumerLagMonitor, KafkaGroupLag
from swiftpaste.infrastructure.outages import is_transient_failure
from swiftpaste.main.consumer_providers import ConsumerProvider
from swiftpaste.main.logging import configure_logging
from swiftpaste.main.providers import infrastructure_providers
from swiftpaste.main.providers.messaging import kafka_topics
from swiftpaste.main.settings import Settings
from swiftpaste.main.worker_runtime import run_until_signalled, run_worker
from swiftpaste.presentation.consumers.cache import subscribe_cache
from swiftpaste.presentation.consumers.dead_letters import DeadLetters
from swiftpaste.presentation.consumers.failures import FailureHandling, RetryPolicy
from swiftpaste.presentation.consumers.indexer import subscribe_indexer
from swiftpaste.presentation.consumers.subscription import Subscription
from swiftpaste.presentation.consumers.views import subscribe_views
from swiftpaste.presentation.http.worker_probes import ReadinessCheck, WorkerProbes

if TYPE_CHECKING:
    from faststream.asgi.types import ASGIApp

logger = logging.getLogger(__name__)

Subscribe = Callable[[KafkaBroker, Subscription], DeadLetters]

SUBSCRIBERS: dict[str, Subscribe] = {
    "indexer": subscribe_indexer,
    "views": subscribe_views,
    "cache": subscribe_cache,
}
PROBE_PATHS = ("/health", "/ready", "/metrics")
_TOPIC_RETRY_MAX_SECONDS = 10.0


class BrokerNotConnected(Exception):
    """The Kafka broker is not connected or did not answer."""


def subscription_for(name: str, settings: Settings) -> Subscription:
    if name == "indexer":
        batch_max_records = settings.indexer_batch_max_records
        batch_timeout_ms = settings.indexer_batch_timeout_ms
    else:
        batch_max_records = settings.views_batch_max_records
        batch_timeout_ms = settings.views_batch_timeout_ms
    return Subscription(
        consumer=name,
        topic=(
            settings.kafka_snippet_views_topic
            if name == "views"
            else settings.kafka_snippet_events_topic
        ),
        group_id=settings.consumer_group(name),
        dead_letter_topic=settings.kafka_dead_letter_topic,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        batch_max_records=batch_max_records,
        batch_timeout_ms=batch_timeout_ms,
    )


def http_port(name: str, settings: Settings) -> int:
    ports = {
        "indexer": settings.indexer_http_port,
        "views": settings.views_http_port,
        "cache": settings.cache_http_port,
    }
    return ports[name]


def _subscriber(name: str) -> Subscribe:
    try:
        return SUBSCRIBERS[name]
    except KeyError:
        known = ", ".join(SUBSCRIBERS)
        raise ValueError(f"unknown consumer {name!r}; expected one of {known}") from None


def _container(settings: Settings | None, *providers: Provider) -> AsyncContainer:
    return make_async_container(
        *infrastructure_providers(),
        ConsumerProvider(),
        FastStreamProvider(),
        *providers,
        context={Settings: settings} if settings is not None else None,
    )


def _readiness_checks(
    name: str, broker: KafkaBroker, container: AsyncContainer, settings: Settings
) -> dict[str, ReadinessCheck]:
    async def kafka() -> None:
        if not await broker.ping(timeout=settings.health_probe_timeout_seconds):
            raise BrokerNotConnected("broker not connected or not answering")

    async def postgres() -> None:
        await PostgresProbe(await container.get(AsyncEngine)).check()

    async def redis() -> None:
        await RedisProbe(await container.get(Redis)).check()

    checks: dict[str, ReadinessCheck] = {"kafka": kafka, "postgres": postgres}
    if name == "cache":
        checks["redis"] = redis
    return checks


def _provision_topics(settings: Settings) -> Callable[[], Awaitable[None]]:
    async def provision() -> None:
        """Create missing topics, waiting for Kafka as long as it takes (until stopped)."""
        backoff = 0.5
        while True:
            try:
                await ensure_topics(settings.kafka_bootstrap_servers, kafka_topics(settings))
            except Exception as error:  # noqa: BLE001 - any failure is retried the same way
                logger.warning("Kafka is not reachable yet; retrying in %.1fs: %s", backoff, error)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _TOPIC_RETRY_MAX_SECONDS)
            else:
                return

    return provision


def lag_monitor(name: str, settings: Settings) -> ConsumerLagMonitor:
    """The `consumer_lag` gauge of consumer `name`, measured outside its group."""
    subscription = subscription_for(name, settings)
    return ConsumerLagMonitor(
        KafkaGroupLag(
            settings.kafka_bootstrap_servers,
            client_id=f"{settings.kafka_client_id}-{name}-lag",
            request_timeout_ms=settings.kafka_request_timeout_ms,
        ),
        consumer=name,
        group_id=subscription.group_id,
        topic=subscription.topic,
        interval_seconds=settings.consumer_lag_interval_seconds,
        timeout_seconds=settings.kafka_request_timeout_ms / 1000,
    )


def _assemble(
    name: str, settings: Settings, *providers: Provider
) -> tuple[AsgiFastStream, WorkerProbes]:
    subscribe = _subscriber(name)
    broker = make_broker(
        KafkaOptions(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            client_id=f"{settings.kafka_client_id}-{name}",
            enable_idempotence=settings.kafka_enable_idempotence,
            request_timeout_ms=settings.kafka_request_timeout_ms,
        ),
    )
    dead_letters = subscribe(broker, subscription_for(name, settings))
    container = _container(settings, *providers)
    probes = WorkerProbes(
        f"consume-{name}",
        _readiness_checks(name, broker, container, settings),
        timeout_seconds=settings.health_probe_timeout_seconds,
    )
    lag = lag_monitor(name, settings)
    app = AsgiFastStream(
        broker,
        # WorkerProbes is a plain ASGI app; its signature is only spelled more loosely.
        asgi_routes=[(path, cast("ASGIApp", probes)) for path in PROBE_PATHS],
        on_startup=[_provision_topics(settings)],
        after_startup=[lag.start],
        on_shutdown=[lag.stop],
        logger=logging.getLogger(f"swiftpaste.consume.{name}"),
    )
    setup_dishka(container, app, auto_inject=True, finalize_container=True)
    # Inserted after Dishka's, so it wraps it: every attempt gets a fresh request scope.
    broker.insert_middleware(
        FailureHandling(
            consumer=name,
            policy=RetryPolicy(
                max_attempts=settings.consumer_max_attempts,
                backoff_seconds=settings.consumer_retry_backoff_seconds,
            ),
            dead_letters=dead_letters,
            is_transient=is_transient_failure,
        ),
    )
    return app, probes


def build_consumer_app(name: str, settings: Settings, *providers: Provider) -> AsgiFastStream:
    """The consumer `name` as an ASGI FastStream app; extra providers (tests) override defaults.

    `async with app:` runs the consumer; its HTTP routes (`/health`, `/ready`,
    `/metrics`) answer whether or not it runs.
    """
    app, _ = _assemble(name, settings, *providers)
    return app


async def _consume_until_stopped(app: AsgiFastStream, stop: asyncio.Event) -> None:
    starting = asyncio.create_task(app.start(), name="consumer-start")
    stopping = asyncio.create_task(stop.wait(), name="consumer-stop-signal")
    try:
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if starting.done():
            starting.result()  # a failed start ends the process with its error
            await stopping
    finally:
        for task in (starting, stopping):
            task.cancel()
        await asyncio.gather(starting, stopping, return_exceptions=True)
        # In-flight work gets the broker's graceful timeout to finish; whatever is
        # still running then is abandoned unacked, and Kafka hands it out again.
        await app.stop()


def run_consumer(name: str, settings: Settings) -> None:
    """Run one consumer with its probe server until SIGINT/SIGTERM."""
    configure_logging(settings.log_level, process=f"consume-{name}")
    app, probes = _assemble(name, settings)

    async def work(stop: asyncio.Event) -> None:
        await _consume_until_stopped(app, stop)

    with contextlib.suppress(KeyboardInterrupt):
        run_worker(
            run_until_signalled(work, probes, settings.worker_http_host, http_port(name, settings))
        )


def asyncapi_app() -> FastStream:
    """All three consumers on one broker, for the AsyncAPI document (nothing connects).

    Topic and group names are the defaults; deployments may rename them through
    the environment.
    """
    defaults = Settings.model_construct()
    broker = KafkaBroker("kafka:9092", description="The Kafka cluster of SwiftPaste.")
    for name, subscribe in SUBSCRIBERS.items():
        subscribe(broker, subscription_for(name, defaults))
    app = FastStream(
        broker,
        specification=AsyncAPI(
            title="SwiftPaste consumers",
            version="0.1.0",
            description=(
                "The indexer, views and cache consumers: what they read, in which group, "
                "and what they send to the dead-letter topic."
            ),
        ),
    )
    # Resolves nothing: only strips the injected parameters from the message schemas.
    setup_dishka(_container(None), app, auto_inject=True)
    return app
