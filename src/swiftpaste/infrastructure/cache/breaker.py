"""CircuitBreaker: stop calling a store that keeps failing, and notice when it is back.

Redis calls have tight timeouts, but while Redis is away every call still pays them (a
few hundred milliseconds when it is paused). After `failures_to_open` outage errors in a
row the breaker opens: calls fail at once with `CircuitOpen` and their callers fall back
(the rate limiter to its per-process buckets, the cache to PostgreSQL). A background
probe checks the store every `probe_interval_seconds`; its first answer closes the
breaker. Nothing here knows which client talks to the store: it is handed the probe and
the errors that mean an outage.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from prometheus_client import Counter, Gauge

logger = logging.getLogger(__name__)

T = TypeVar("T")

BREAKER_OPEN = Gauge(
    "breaker_open",
    "1 while a process's circuit breaker for the dependency is open (calls skipped).",
    ["dependency"],
    multiprocess_mode="livemax",
)
BREAKER_OPENED = Counter(
    "breaker_opened_total",
    "Times a circuit breaker opened after consecutive failures of its dependency.",
    ["dependency"],
)


class CircuitOpen(ConnectionError):
    """The breaker is open: the store was not called. A ConnectionError (an OSError), so
    code that treats a lost connection as transient treats this one so too."""


class CircuitBreaker:
    def __init__(
        self,
        dependency: str,
        *,
        failures_to_open: int,
        probe_interval_seconds: float,
        probe: Callable[[], Awaitable[object]],
        outage_errors: tuple[type[BaseException], ...],
    ) -> None:
        self.dependency = dependency
        self._failures_to_open = failures_to_open
        self._probe_interval = probe_interval_seconds
        self._probe = probe
        self._outage_errors = outage_errors
        self._failures = 0
        self._probing: asyncio.Task[None] | None = None
        # Both series exist from the start, at 0, for dashboards and alerts to find.
        BREAKER_OPEN.labels(dependency=dependency).set(0)
        BREAKER_OPENED.labels(dependency=dependency)

    @property
    def is_open(self) -> bool:
        return self._probing is not None

    async def call(self, operation: Callable[[], Awaitable[T]]) -> T:
        """The operation's result; CircuitOpen without calling it while the breaker is
        open. An outage error is counted towards opening, and raised."""
        if self._probing is not None:
            raise CircuitOpen(f"{self.dependency} is unreachable; not called until it answers")
        try:
            result = await operation()
        except self._outage_errors:
            self._failures += 1
            if self._failures >= self._failures_to_open and self._probing is None:
                self._open()
            raise
        self._failures = 0
        return result

    def _open(self) -> None:
        logger.warning(
            "%s failed %d times in a row: circuit breaker open, calls skipped until it answers",
            self.dependency,
            self._failures,
            extra={"dependency": self.dependency},
        )
        BREAKER_OPEN.labels(dependency=self.dependency).set(1)
        BREAKER_OPENED.labels(dependency=self.dependency).inc()
        self._probing = asyncio.get_running_loop().create_task(self._probe_until_answered())

    async def _probe_until_answered(self) -> None:
        while True:
            await asyncio.sleep(self._probe_interval)
            try:
                await self._probe()
                break
            except Exception as error:  # noqa: BLE001 - any failure means: not back yet
                logger.debug("%s still unreachable: %s", self.dependency, error)
        self._failures = 0
        self._probing = None
        BREAKER_OPEN.labels(dependency=self.dependency).set(0)
        logger.info(
            "%s answers again: circuit breaker closed",
            self.dependency,
            extra={"dependency": self.dependency},
        )

    async def close(self) -> None:
        """Stop probing (the process is stopping)."""
        probing, self._probing = self._probing, None
        if probing is not None:
            probing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await probing
