"""Prometheus metrics of an API served by several uvicorn workers (multiprocess mode):
every worker writes its samples to one directory, named before prometheus-client is
imported and empty when the server starts; whichever worker answers a scrape adds them up.
"""

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


@dataclass(frozen=True, slots=True)
class MetricsDirectory:
    """Where the workers share their metrics; None when one process serves alone."""

    path: Path | None
    owned: bool
    """Made for this run (a temporary directory), so removed when the server stops."""

    def cleanup(self) -> None:
        if self.owned and self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)


def prepare_metrics_directory(configured: str, workers: int) -> MetricsDirectory:
    """Set up multiprocess mode for `workers` processes and export the variable.

    `configured` (PROMETHEUS_MULTIPROC_DIR) is created if missing and emptied of
    earlier samples. Left empty, several workers get a fresh temporary directory and
    a single worker keeps the ordinary in-process registry.
    """
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
        os.environ[MULTIPROC_DIR_VARIABLE] = str(path)
        return MetricsDirectory(path, owned=False)
    if workers <= 1:
        return MetricsDirectory(None, owned=False)
    path = Path(tempfile.mkdtemp(prefix="swiftpaste-metrics-"))
    os.environ[MULTIPROC_DIR_VARIABLE] = str(path)
    return MetricsDirectory(path, owned=True)


def scrape_registry(multiproc_dir: str) -> CollectorRegistry:
    """What `/metrics` serves: every worker's samples added up, or this process's registry."""
    if not multiproc_dir:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=multiproc_dir)  # type: ignore[no-untyped-call]
    return registry
