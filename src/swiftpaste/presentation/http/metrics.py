"""HTTP metrics, labelled by route template (never raw paths, so label sets stay bounded)."""

import asyncio
import math
from bisect import bisect_left
from typing import Any

from prometheus_client import Counter, Histogram

_SIZE_BUCKETS = (64, 256, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304)

HTTP_REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests answered.",
    ("method", "route", "status"),
)
HTTP_REQUEST_ERRORS = Counter(
    "http_request_errors_total",
    "HTTP requests answered with a 4xx or 5xx status.",
    ("method", "route", "status"),
)
HTTP_REQUEST_LATENCY = Histogram(
    "http_request_latency_seconds",
    "Time from receiving a request to sending the last byte of its response.",
    ("method", "route"),
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
HTTP_REQUEST_SIZE = Histogram(
    "http_request_size_bytes",
    "Request body size as announced by Content-Length.",
    ("method", "route"),
    buckets=_SIZE_BUCKETS,
)
HTTP_RESPONSE_SIZE = Histogram(
    "http_response_size_bytes",
    "Response body size.",
    ("method", "route"),
    buckets=_SIZE_BUCKETS,
)

FLUSH_SECONDS = 0.5
"""How long a request's samples may wait in `HTTP_METRICS` before prometheus_client has them
(a scrape of this process takes them at once, `HttpMetrics.flush`)."""
MAX_ROUTES = 1024
"""Label sets added up in bulk; beyond (methods are the client's choice) each is recorded
at once, as prometheus_client would."""


class _Histogram:
    """Samples of one histogram child, added up until they are handed over.

    prometheus_client keeps a histogram child as a count per bucket (the first whose
    upper bound is at least the value) and a sum; `observe` finds the bucket with a loop in
    Python and takes a lock twice, per value. Here a value costs a `bisect` and two
    additions, and `flush` adds the counts and the sum in one go. A child without that
    layout (another prometheus_client) is handed every value through `observe` instead.
    """

    __slots__ = ("_bounds", "_buckets", "_child", "_counts", "_sum", "_total", "_values")

    def __init__(self, child: Any) -> None:
        self._child = child
        bounds = getattr(child, "_upper_bounds", None)
        buckets = getattr(child, "_buckets", None)
        total = getattr(child, "_sum", None)
        bulk = (
            isinstance(bounds, list)
            and isinstance(buckets, list)
            and len(bounds) == len(buckets)
            and bounds[-1] == math.inf
            and all(hasattr(bucket, "inc") for bucket in buckets)
            and hasattr(total, "inc")
        )
        self._bounds: list[float] | None = bounds if bulk else None
        self._buckets: list[Any] = buckets if bulk and buckets is not None else []
        self._sum: Any = total
        self._counts = [0] * len(self._buckets)
        self._total = 0.0
        self._values: list[float] = []

    @property
    def bulk(self) -> bool:
        """Whether values are added up here (else each goes through `observe`)."""
        return self._bounds is not None

    def add(self, value: float) -> None:
        if self._bounds is None:
            self._values.append(value)
            return
        # bisect_left: the first bound at least the value, the bucket `observe` picks (the
        # last bound is +Inf, so there always is one).
        self._counts[bisect_left(self._bounds, value)] += 1
        self._total += value

    def flush(self) -> None:
        if self._bounds is None:
            values, self._values = self._values, []
            for value in values:
                self._child.observe(value)
            return
        counts = self._counts
        for index, count in enumerate(counts):
            if count:
                self._buckets[index].inc(count)
                counts[index] = 0
        if self._total:
            self._sum.inc(self._total)
            self._total = 0.0


class _Route:
    """The samples of one (method, route, status) since the last flush."""

    __slots__ = ("errors", "latency", "request_size", "requests", "response_size", "waiting")

    def __init__(self, method: str, route: str, status: int) -> None:
        status_label = str(status)
        self.requests = HTTP_REQUESTS.labels(method, route, status_label)
        self.errors = (
            HTTP_REQUEST_ERRORS.labels(method, route, status_label)
            if status >= 400  # noqa: PLR2004
            else None
        )
        self.latency = _Histogram(HTTP_REQUEST_LATENCY.labels(method, route))
        self.request_size = _Histogram(HTTP_REQUEST_SIZE.labels(method, route))
        self.response_size = _Histogram(HTTP_RESPONSE_SIZE.labels(method, route))
        self.waiting = 0

    def add(self, seconds: float, request_bytes: int, response_bytes: int) -> None:
        self.waiting += 1
        self.latency.add(seconds)
        self.request_size.add(request_bytes)
        self.response_size.add(response_bytes)

    def flush(self) -> None:
        if not self.waiting:
            return
        self.requests.inc(self.waiting)
        if self.errors is not None:
            self.errors.inc(self.waiting)
        self.waiting = 0
        self.latency.flush()
        self.request_size.flush()
        self.response_size.flush()


class HttpMetrics:
    """The per-request HTTP metrics, added up in plain Python and handed over in bulk.

    Every request adds to `http_requests_total`, `http_request_errors_total` and three
    histograms. Through prometheus_client that is seven locked additions and three bucket
    searches, about a tenth of what a cache hit costs the API. Here a request only adds to
    plain numbers; they reach prometheus_client's metrics `FLUSH_SECONDS` later, on the
    event loop (one flush for every request of that time), when the metrics endpoint is
    scraped, and when the API stops. Off an event loop a request is handed over at once.
    The figures are the ones prometheus_client would hold; with several workers
    (`PROMETHEUS_MULTIPROC_DIR`), each worker's reach the shared files within
    `FLUSH_SECONDS`.
    """

    def __init__(self, flush_seconds: float = FLUSH_SECONDS, max_routes: int = MAX_ROUTES) -> None:
        self._flush_seconds = flush_seconds
        self._max_routes = max_routes
        self._routes: dict[tuple[str, str, int], _Route] = {}
        self._waiting: list[_Route] = []
        self._timer: asyncio.TimerHandle | None = None

    def observe(
        self,
        method: str,
        route: str,
        status: int,
        *,
        seconds: float,
        request_bytes: int,
        response_bytes: int,
    ) -> None:
        key = (method, route, status)
        entry = self._routes.get(key)
        if entry is None:
            entry = _Route(method, route, status)
            if len(self._routes) >= self._max_routes:
                entry.add(seconds, request_bytes, response_bytes)
                entry.flush()
                return
            self._routes[key] = entry
        if not entry.waiting:
            self._waiting.append(entry)
        entry.add(seconds, request_bytes, response_bytes)
        if self._timer is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self.flush()
                return
            self._timer = loop.call_later(self._flush_seconds, self.flush)

    def flush(self) -> None:
        """Hand everything waiting to prometheus_client now."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        waiting, self._waiting = self._waiting, []
        for entry in waiting:
            entry.flush()


HTTP_METRICS = HttpMetrics()
"""The API's one recorder (prometheus_client's metrics are process-wide as well)."""
