"""The Redis client: tight timeouts, so a slow or absent Redis costs a request ~100 ms at most."""

from dataclasses import dataclass

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ConstantBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError


@dataclass(frozen=True, slots=True, kw_only=True)
class RedisOptions:
    url: str
    socket_timeout_seconds: float
    retries: int
    retry_backoff_seconds: float
    max_connections: int


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
