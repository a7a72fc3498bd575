"""The Redis client: tight timeouts, so a slow or absent Redis costs a request ~100 ms at most;
and its circuit breaker, so an absent one soon costs nothing."""

from dataclasses import dataclass

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ConstantBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from swiftpaste.infrastructure.cache.breaker import CircuitBreaker


@dataclass(frozen=True, slots=True, kw_only=True)
class RedisOptions:
    url: str
    socket_timeout_seconds: float
    retries: int
    retry_backoff_seconds: float
    max_connections: int


# What means Redis is away (or too slow), as opposed to a wrong command.
REDIS_OUTAGES: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeoutError, OSError)


def make_redis_breaker(
    redis: "Redis", *, failures_to_open: int, probe_interval_seconds: float
) -> CircuitBreaker:
    """The breaker in front of every call to `redis`; a PING tells when it is back."""
    return CircuitBreaker(
        "redis",
        failures_to_open=failures_to_open,
        probe_interval_seconds=probe_interval_seconds,
        probe=redis.ping,
        outage_errors=REDIS_OUTAGES,
    )


def make_redis(options: RedisOptions) -> "Redis":
    return Redis.from_url(
        options.url,
        socket_timeout=options.socket_timeout_seconds,
        socket_connect_timeout=options.socket_timeout_seconds,
        retry=Retry(ConstantBackoff(options.retry_backoff_seconds), options.retries),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
        max_connections=options.max_connections,
        health_check_interval=0,
    )
