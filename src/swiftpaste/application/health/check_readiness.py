"""CheckReadiness: probe every dependency concurrently, each under a short timeout."""

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from swiftpaste.application.ports.system import DependencyProbe


class DependencyState(StrEnum):
    UP = "up"
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class DependencyStatus:
    name: str
    state: DependencyState
    critical: bool
    latency_ms: float
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ReadinessReport:
    dependencies: tuple[DependencyStatus, ...]

    @property
    def ready(self) -> bool:
        """Ready while every critical dependency is up; others only degrade the service."""
        return all(d.state is DependencyState.UP for d in self.dependencies if d.critical)

    @property
    def degraded(self) -> bool:
        return any(d.state is DependencyState.DOWN for d in self.dependencies)


class CheckReadiness:
    """Report whether the service can take traffic, and how each dependency is doing."""

    def __init__(self, probes: Sequence[DependencyProbe], timeout_seconds: float) -> None:
        self._probes = probes
        self._timeout = timeout_seconds

    async def __call__(self) -> ReadinessReport:
        statuses = await asyncio.gather(*(self._probe(probe) for probe in self._probes))
        return ReadinessReport(dependencies=tuple(statuses))

    async def _probe(self, probe: DependencyProbe) -> DependencyStatus:
        started = time.perf_counter()
        error: str | None = None
        try:
            await asyncio.wait_for(probe.check(), timeout=self._timeout)
        except TimeoutError:
            error = f"no answer within {self._timeout:g}s"
        except Exception as exc:  # noqa: BLE001 - any failure of a probe means "down"
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        latency_ms = round((time.perf_counter() - started) * 1000, 2)
        return DependencyStatus(
            name=probe.name,
            state=DependencyState.DOWN if error else DependencyState.UP,
            critical=probe.critical,
            latency_ms=latency_ms,
            error=error,
        )
