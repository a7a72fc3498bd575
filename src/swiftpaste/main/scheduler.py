"""`swiftpaste scheduler`: announce ended share windows as `snippet.expired`.

Every `SCHEDULER_INTERVAL_SECONDS` the scheduler runs `ExpireDueShares` in a fresh
request scope, again and again while a run fills its batch. Each run locks the
snippets it handles with SKIP LOCKED and commits the marks and the events (through
the outbox) together, so replicas share the work and every ended window is
announced exactly once. A failed run (the database away, a timeout) is logged,
counted and retried at the next tick.
"""

import asyncio
import contextlib
import logging
import time

from dishka import AsyncContainer, Scope, make_async_container
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncEngine

from swiftpaste.application.snippets.expire_shares import ExpireDueShares
from swiftpaste.infrastructure.health.probes import PostgresProbe
from swiftpaste.main.logging import configure_logging
from swiftpaste.main.providers import service_providers
from swiftpaste.main.settings import Settings
from swiftpaste.main.worker_runtime import run_until_signalled, run_worker
from swiftpaste.presentation.http.worker_probes import WorkerProbes

logger = logging.getLogger(__name__)

SCHEDULER_RUNS = Counter(
    "scheduler_runs_total", "Scheduler ticks that completed (with or without expiries)."
)
SCHEDULER_EXPIRED_VERSIONS = Counter(
    "scheduler_expired_versions_total",
    "Ended share windows announced as snippet.expired.",
)
SCHEDULER_ERRORS = Counter(
    "scheduler_errors_total", "Scheduler ticks that failed; retried at the next tick."
)


def make_scheduler_container(settings: Settings) -> AsyncContainer:
    return make_async_container(*service_providers(), context={Settings: settings})


async def expire_due_shares(
    container: AsyncContainer, batch_size: int, stop: asyncio.Event | None = None
) -> int:
    """One tick: run `ExpireDueShares` until a run no longer fills its batch.

    Returns the number of versions announced; raises what a run raised.
    """
    announced = 0
    while stop is None or not stop.is_set():
        async with container(scope=Scope.REQUEST) as request:
            expire = await request.get(ExpireDueShares)
            run = await expire(batch_size)
        announced += run.versions
        SCHEDULER_EXPIRED_VERSIONS.inc(run.versions)
        if run.snippets < batch_size:
            break
    return announced


async def run_scheduler_loop(
    container: AsyncContainer, settings: Settings, stop: asyncio.Event
) -> None:
    """Tick every `scheduler_interval_seconds` until `stop` is set; never raises."""
    interval = settings.scheduler_interval_seconds
    while not stop.is_set():
        started = time.monotonic()
        try:
            announced = await expire_due_shares(container, settings.scheduler_batch_size, stop)
        except Exception as error:  # noqa: BLE001 - logged, counted and retried next tick
            SCHEDULER_ERRORS.inc()
            logger.warning(
                "expiring shares failed; retrying in %.1fs: %s: %s",
                interval,
                type(error).__name__,
                error,
            )
        else:
            SCHEDULER_RUNS.inc()
            if announced:
                logger.info("announced ended share windows", extra={"versions": announced})
        remaining = interval - (time.monotonic() - started)
        if remaining > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), remaining)


async def serve_scheduler(settings: Settings) -> None:
    container = make_scheduler_container(settings)
    try:
        engine = await container.get(AsyncEngine)
        probes = WorkerProbes(
            "scheduler",
            {"postgres": PostgresProbe(engine).check},
            timeout_seconds=settings.health_probe_timeout_seconds,
        )

        async def work(stop: asyncio.Event) -> None:
            await run_scheduler_loop(container, settings, stop)

        await run_until_signalled(
            work, probes, settings.worker_http_host, settings.scheduler_http_port
        )
    finally:
        await container.close()


def run_scheduler(settings: Settings) -> None:
    """`swiftpaste scheduler`: announce ended share windows until SIGINT/SIGTERM."""
    configure_logging(settings.log_level, process="scheduler")
    run_worker(serve_scheduler(settings))
