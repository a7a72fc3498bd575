"""HTTP metrics, labelled by route template (never raw paths, so label sets stay bounded)."""

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
