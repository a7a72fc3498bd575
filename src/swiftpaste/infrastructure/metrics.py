"""Prometheus metrics owned by the adapters: database and cache."""

from prometheus_client import Counter, Histogram

DB_QUERY_LATENCY = Histogram(
    "db_query_latency_seconds",
    "Time spent executing one SQL statement.",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
DB_SLOW_QUERIES = Counter(
    "db_slow_queries_total",
    "SQL statements slower than DB_SLOW_QUERY_SECONDS.",
)
CACHE_HITS = Counter("cache_hit_total", "Reads answered from the Redis cache.")
CACHE_MISSES = Counter("cache_miss_total", "Reads the Redis cache could not answer.")
CACHE_ERRORS = Counter(
    "cache_error_total",
    "Redis operations that failed (timeouts, connection errors); the caller fell back.",
)
