"""`swiftpaste relay` and `swiftpaste outbox status`: the outbox relay process."""

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from swiftpaste.infrastructure.messaging.broker import KafkaOptions
from swiftpaste.infrastructure.messaging.relay import (
    OutboxRelay,
    OutboxStatus,
    RelayOptions,
    outbox_status,
)
from swiftpaste.infrastructure.persistence.engine import EngineOptions, make_engine
from swiftpaste.main.logging import configure_logging
from swiftpaste.main.providers.messaging import kafka_topics
from swiftpaste.main.settings import Settings
from swiftpaste.main.worker_runtime import run_until_signalled, run_worker
from swiftpaste.presentation.http.worker_probes import WorkerProbes

# A batch transaction, the backlog count and the probe: a few connections suffice.
_RELAY_POOL_SIZE = 3


def relay_engine(settings: Settings, application_name: str = "swiftpaste-relay") -> AsyncEngine:
    return make_engine(
        EngineOptions(
            url=settings.database_url,
            connect_timeout_seconds=settings.db_connect_timeout_seconds,
            statement_timeout_ms=settings.db_statement_timeout_ms,
            pool_size=min(settings.db_pool_size, _RELAY_POOL_SIZE),
            max_overflow=min(settings.db_max_overflow, _RELAY_POOL_SIZE),
            slow_query_seconds=settings.db_slow_query_seconds,
            application_name=application_name,
            # A batch that meets a dead connection fails, the pool drops the connection
            # and the batch is retried: no round trip per batch to test it first.
            pre_ping=False,
        ),
    )


def kafka_options(settings: Settings) -> KafkaOptions:
    return KafkaOptions(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=settings.kafka_client_id,
        enable_idempotence=settings.kafka_enable_idempotence,
        request_timeout_ms=settings.kafka_request_timeout_ms,
    )


def relay_options(settings: Settings) -> RelayOptions:
    return RelayOptions(
        batch_size=settings.outbox_batch_size,
        poll_interval_seconds=settings.outbox_poll_interval_seconds,
        retention_seconds=settings.outbox_retention_seconds,
        max_backoff_seconds=settings.outbox_max_backoff_seconds,
        connect_timeout_seconds=settings.db_connect_timeout_seconds,
    )


@asynccontextmanager
async def build_relay(settings: Settings) -> AsyncIterator[OutboxRelay]:
    """A started relay with its own engine and producer, both closed on exit.

    If Kafka is unreachable at start the relay is still yielded: `run` keeps
    reconnecting, and `publish_batch` raises until the broker is back.
    """
    engine = relay_engine(settings)
    relay = OutboxRelay(
        engine, kafka_options(settings), kafka_topics(settings), relay_options(settings)
    )
    try:
        await relay.start()
        yield relay
    finally:
        await relay.close()
        await engine.dispose()


def relay_probes(relay: OutboxRelay, settings: Settings) -> WorkerProbes:
    return WorkerProbes(
        "relay",
        {"postgres": relay.check_database, "kafka": relay.check_kafka},
        timeout_seconds=settings.health_probe_timeout_seconds,
    )


async def serve_relay(settings: Settings) -> None:
    async with build_relay(settings) as relay:
        await run_until_signalled(
            relay.run,
            relay_probes(relay, settings),
            settings.worker_http_host,
            settings.relay_http_port,
        )


def run_relay(settings: Settings) -> None:
    """`swiftpaste relay`: publish the outbox until SIGINT/SIGTERM."""
    configure_logging(settings.log_level, process="relay")
    run_worker(serve_relay(settings))


# -- swiftpaste outbox status ------------------------------------------------------


def _age(moment: datetime, now: datetime) -> str:
    seconds = max((now - moment).total_seconds(), 0.0)
    if seconds < 120:  # noqa: PLR2004 - below two minutes, seconds read best
        return f"{seconds:.1f}s ago"
    return f"{timedelta(seconds=round(seconds))} ago"


def format_outbox_status(status: OutboxStatus, retention_seconds: int) -> list[str]:
    """One human-readable line per figure."""
    now = status.checked_at
    oldest = (
        f"{status.oldest_pending_at.isoformat()} ({_age(status.oldest_pending_at, now)})"
        if status.oldest_pending_at
        else "-"
    )
    last = (
        f"{status.last_published_at.isoformat()} ({_age(status.last_published_at, now)})"
        if status.last_published_at
        else "never"
    )
    return [
        f"pending events:       {status.pending}",
        f"oldest pending:       {oldest}",
        (
            f"published rows kept:  {status.published} "
            f"(retention {timedelta(seconds=retention_seconds)})"
        ),
        f"last published:       {last}",
    ]


async def _read_status(settings: Settings) -> OutboxStatus:
    engine = relay_engine(settings, application_name="swiftpaste-outbox-status")
    try:
        return await outbox_status(engine)
    finally:
        await engine.dispose()


def print_outbox_status(settings: Settings) -> None:
    """`swiftpaste outbox status`: the backlog and what is kept, for an operator."""
    try:
        status = asyncio.run(_read_status(settings))
    except (DBAPIError, OSError) as error:
        sys.stderr.write(f"swiftpaste: cannot read the outbox: {error}\n")
        raise SystemExit(1) from None
    lines = format_outbox_status(status, settings.outbox_retention_seconds)
    sys.stdout.write("\n".join(lines) + "\n")
