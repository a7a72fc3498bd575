"""HttpMetrics: samples added up in plain Python, handed to prometheus_client in bulk."""

import asyncio
import random
import uuid
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Histogram, generate_latest

from swiftpaste.presentation.http.metrics import HttpMetrics, _Histogram

BOUNDS = (0.001, 0.0025, 0.01, 0.5, 10.0)


def _exposed(registry: CollectorRegistry) -> list[str]:
    """The exposition without the `_created` sample (the moment each histogram was made)."""
    lines = generate_latest(registry).decode().splitlines()
    return [line for line in lines if "_created" not in line]


def _histogram() -> tuple[CollectorRegistry, Any]:
    registry = CollectorRegistry()
    histogram = Histogram(
        "sample_seconds", "A sample.", ("route",), buckets=BOUNDS, registry=registry
    )
    return registry, histogram.labels("/r")


def _values() -> list[float]:
    chosen = random.Random(7)
    # Every bound exactly, just above it, zero, beyond the last bound, and a spread.
    edges = [v for bound in BOUNDS for v in (bound, bound + 1e-9)]
    return [*edges, 0.0, 1e6, *(chosen.expovariate(50) for _ in range(500))]


def test_added_up_samples_expose_exactly_what_observe_would() -> None:
    direct_registry, direct = _histogram()
    bulk_registry, child = _histogram()
    bulk = _Histogram(child)
    assert bulk.bulk  # the installed prometheus_client has the layout the bulk path needs
    for value in _values():
        direct.observe(value)
        bulk.add(value)
    assert _exposed(bulk_registry) != _exposed(direct_registry)  # not yet
    bulk.flush()
    assert _exposed(bulk_registry) == _exposed(direct_registry)
    bulk.flush()  # nothing waiting: nothing added twice
    assert _exposed(bulk_registry) == _exposed(direct_registry)


def test_a_child_of_another_layout_gets_every_value_through_observe() -> None:
    class Observed:
        def __init__(self) -> None:
            self.values: list[float] = []

        def observe(self, value: float) -> None:
            self.values.append(value)

    child = Observed()
    histogram = _Histogram(child)
    assert not histogram.bulk
    histogram.add(0.2)
    histogram.add(3.0)
    assert child.values == []
    histogram.flush()
    assert child.values == [0.2, 3.0]


def _route() -> str:
    return f"/test/{uuid.uuid4().hex}"


def _requests(route: str, status: int = 200) -> float:
    labels = {"method": "GET", "route": route, "status": str(status)}
    return REGISTRY.get_sample_value("http_requests_total", labels) or 0.0


def _errors(route: str, status: int) -> float:
    labels = {"method": "GET", "route": route, "status": str(status)}
    return REGISTRY.get_sample_value("http_request_errors_total", labels) or 0.0


def _latency(route: str, suffix: str, **bucket: str) -> float:
    labels = {"method": "GET", "route": route, **bucket}
    return REGISTRY.get_sample_value(f"http_request_latency_seconds_{suffix}", labels) or 0.0


def _response_bytes(route: str) -> float:
    labels = {"method": "GET", "route": route}
    return REGISTRY.get_sample_value("http_response_size_bytes_sum", labels) or 0.0


def _observe(metrics: HttpMetrics, route: str, status: int = 200) -> None:
    metrics.observe("GET", route, status, seconds=0.003, request_bytes=0, response_bytes=2048)


def test_off_an_event_loop_a_request_is_handed_over_at_once() -> None:
    metrics, route = HttpMetrics(), _route()
    _observe(metrics, route)
    assert _requests(route) == 1
    assert _latency(route, "count") == 1
    assert _latency(route, "sum") == 0.003
    assert _response_bytes(route) == 2048


async def test_on_the_loop_requests_wait_for_a_flush() -> None:
    metrics, route = HttpMetrics(flush_seconds=60), _route()
    for _ in range(3):
        _observe(metrics, route)
    assert _requests(route) == 0
    metrics.flush()  # what a scrape and the API's shutdown do
    assert _requests(route) == 3
    assert _latency(route, "count") == 3
    assert _latency(route, "bucket", le="0.0025") == 0
    assert _latency(route, "bucket", le="0.005") == 3
    assert _response_bytes(route) == 3 * 2048
    metrics.flush()
    assert _requests(route) == 3


async def test_on_the_loop_waiting_requests_are_flushed_after_flush_seconds() -> None:
    metrics, route = HttpMetrics(flush_seconds=0.05), _route()
    _observe(metrics, route)
    _observe(metrics, route, status=404)
    assert _requests(route) == 0
    await asyncio.sleep(0.2)
    assert _requests(route) == 1
    assert _requests(route, 404) == 1
    assert _errors(route, 404) == 1
    assert _errors(route, 200) == 0
    _observe(metrics, route)  # the next round has a timer of its own
    await asyncio.sleep(0.2)
    assert _requests(route) == 2


async def test_label_sets_past_the_cap_are_recorded_at_once() -> None:
    metrics, first, second = HttpMetrics(flush_seconds=60, max_routes=1), _route(), _route()
    _observe(metrics, first)
    _observe(metrics, second)
    assert _requests(first) == 0  # added up, waiting
    assert _requests(second) == 1  # past the cap: straight to prometheus_client
    metrics.flush()
    assert _requests(first) == 1
