"""System ports: the clock and dependency probes."""

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""


class DependencyProbe(Protocol):
    """Checks one backing service; `critical` ones make the service unready when down."""

    name: str
    critical: bool

    async def check(self) -> None:
        """Return when the dependency answers; raise otherwise."""
