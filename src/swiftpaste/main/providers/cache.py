"""Redis: the client and its circuit breaker, the rate limiter, the snippet cache and the
logout denylist."""

from collections.abc import AsyncIterator

from dishka import Provider, Scope, alias, provide
from redis.asyncio import Redis

from swiftpaste.application.ports.rate_limit import RateLimiter
from swiftpaste.application.ports.security import AccessTokenDenylist
from swiftpaste.application.ports.snippets import LiveViewCounts, SnippetCache
from swiftpaste.infrastructure.cache.breaker import CircuitBreaker
from swiftpaste.infrastructure.cache.client import RedisOptions, make_redis, make_redis_breaker
from swiftpaste.infrastructure.cache.denylist import RedisAccessTokenDenylist
from swiftpaste.infrastructure.cache.rate_limiter import RedisRateLimiter
from swiftpaste.infrastructure.cache.snippet_cache import RedisLiveViewCounts, RedisSnippetCache
from swiftpaste.main.settings import Settings


class CacheProvider(Provider):
    scope = Scope.APP

    @provide
    async def redis(self, settings: Settings) -> AsyncIterator[Redis]:
        client = make_redis(
            RedisOptions(
                url=settings.redis_url,
                socket_timeout_seconds=settings.redis_socket_timeout_seconds,
                retries=settings.redis_retries,
                retry_backoff_seconds=settings.redis_retry_backoff_seconds,
                max_connections=settings.redis_max_connections,
            ),
        )
        yield client
        await client.aclose()

    @provide
    async def redis_breaker(
        self, redis: Redis, settings: Settings
    ) -> AsyncIterator[CircuitBreaker]:
        breaker = make_redis_breaker(
            redis,
            failures_to_open=settings.redis_breaker_failures,
            probe_interval_seconds=settings.redis_breaker_probe_seconds,
        )
        yield breaker
        await breaker.close()

    rate_limiter = provide(RedisRateLimiter)
    rate_limiter_port = alias(source=RedisRateLimiter, provides=RateLimiter)
    denylist = provide(RedisAccessTokenDenylist, provides=AccessTokenDenylist)

    @provide
    def snippet_cache(
        self,
        redis: Redis,
        limiter: RedisRateLimiter,
        breaker: CircuitBreaker,
        settings: Settings,
    ) -> RedisSnippetCache:
        # Generations outlive the bodies they guard.
        return RedisSnippetCache(
            redis, limiter, breaker, generation_ttl_seconds=2 * settings.cache_ttl_seconds
        )

    snippet_cache_port = alias(source=RedisSnippetCache, provides=SnippetCache)

    @provide
    def live_view_counts(
        self, redis: Redis, breaker: CircuitBreaker, settings: Settings
    ) -> LiveViewCounts:
        return RedisLiveViewCounts(redis, breaker, ttl_seconds=2 * settings.cache_ttl_seconds)
