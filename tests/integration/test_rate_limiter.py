"""RedisRateLimiter against a real Valkey: the bucket, refill, atomicity, expiry, and the
per-process buckets and circuit breaker that take over while Valkey is away."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from swiftpaste.application.ports.rate_limit import RateLimitPolicy
from swiftpaste.infrastructure.cache.breaker import CircuitBreaker
from swiftpaste.infrastructure.cache.client import RedisOptions, make_redis, make_redis_breaker
from swiftpaste.infrastructure.cache.rate_limiter import RedisRateLimiter
from tests.conftest import Servers

# Refills one token in about 17 minutes: nothing refills while a test runs.
NO_REFILL = 0.001


def redis_client(url: str, *, timeout: float = 0.5, retries: int = 1) -> Redis:
    return make_redis(
        RedisOptions(
            url=url,
            socket_timeout_seconds=timeout,
            retries=retries,
            retry_backoff_seconds=0.05,
            max_connections=100,
        )
    )


@pytest.fixture
async def redis(servers: Servers) -> AsyncIterator[Redis]:
    client = redis_client(servers.endpoints.redis_url)
    yield client
    await client.aclose()


def breaker_for(client: Redis, probe_interval_seconds: float = 0.2) -> CircuitBreaker:
    return make_redis_breaker(
        client, failures_to_open=3, probe_interval_seconds=probe_interval_seconds
    )


@pytest.fixture
async def breaker(redis: Redis) -> AsyncIterator[CircuitBreaker]:
    opened = breaker_for(redis)
    yield opened
    await opened.close()


@pytest.fixture
def limiter(redis: Redis, breaker: CircuitBreaker) -> RedisRateLimiter:
    return RedisRateLimiter(redis, breaker)


async def closes_within(breaker: CircuitBreaker, seconds: float) -> bool:
    for _ in range(round(seconds / 0.05)):
        if not breaker.is_open:
            return True
        await asyncio.sleep(0.05)
    return not breaker.is_open


def fresh_key() -> str:
    return f"test:{uuid.uuid4().hex}"


def sample(name: str, labels: dict[str, str] | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_fresh_key_allows_capacity_then_refuses(limiter: RedisRateLimiter) -> None:
    policy = RateLimitPolicy("write", capacity=5, refill_per_second=0.5)
    key = fresh_key()
    limited_before = sample("rate_limited_requests_total", {"policy": "write"})

    decisions = [await limiter.hit(key, policy) for _ in range(5)]
    assert [decision.allowed for decision in decisions] == [True] * 5
    assert [decision.remaining for decision in decisions] == [4, 3, 2, 1, 0]
    assert {decision.limit for decision in decisions} == {5}
    assert {decision.retry_after_seconds for decision in decisions} == {0}
    assert decisions[0].reset_seconds == 2  # one token short, refilled at 0.5 a second

    refused = await limiter.hit(key, policy)
    assert not refused.allowed
    assert refused.limit == 5
    assert refused.remaining == 0
    assert refused.retry_after_seconds == 2  # the next token, at 0.5 a second
    assert refused.reset_seconds == 10  # all five tokens
    assert sample("rate_limited_requests_total", {"policy": "write"}) == limited_before + 1


async def test_tokens_refill_over_time_up_to_capacity(limiter: RedisRateLimiter) -> None:
    policy = RateLimitPolicy("read", capacity=2, refill_per_second=20)
    key = fresh_key()
    assert (await limiter.hit(key, policy)).allowed
    assert (await limiter.hit(key, policy)).allowed
    refused = await limiter.hit(key, policy)
    assert not refused.allowed
    assert refused.retry_after_seconds == 1  # 50 ms, rounded up to a whole second

    await asyncio.sleep(0.3)  # six tokens' worth of time, but the bucket holds two
    after_pause = await limiter.hit(key, policy)
    assert after_pause.allowed
    assert after_pause.remaining == 1


async def test_keys_and_policies_are_independent(limiter: RedisRateLimiter) -> None:
    write = RateLimitPolicy("write", capacity=1, refill_per_second=NO_REFILL)
    read = RateLimitPolicy("read", capacity=1, refill_per_second=NO_REFILL)
    key, other_key = fresh_key(), fresh_key()
    assert (await limiter.hit(key, write)).allowed
    assert not (await limiter.hit(key, write)).allowed

    assert (await limiter.hit(other_key, write)).allowed
    assert (await limiter.hit(key, read)).allowed


async def test_concurrent_hits_never_exceed_capacity(limiter: RedisRateLimiter) -> None:
    policy = RateLimitPolicy("write", capacity=10, refill_per_second=NO_REFILL)
    key = fresh_key()
    decisions = await asyncio.gather(*(limiter.hit(key, policy) for _ in range(50)))
    allowed = [decision for decision in decisions if decision.allowed]
    assert len(allowed) == 10
    # Each allowed hit took a different token: no two saw the same bucket state.
    assert sorted(decision.remaining for decision in allowed) == list(range(10))


async def test_bucket_key_expires_once_full_again(limiter: RedisRateLimiter, redis: Redis) -> None:
    policy = RateLimitPolicy("read", capacity=3, refill_per_second=10)
    key = fresh_key()
    bucket = RedisRateLimiter.bucket_key(key, policy)

    await limiter.hit(key, policy)
    assert 0 < await redis.pttl(bucket) <= 100  # one token short, back in 100 ms
    await limiter.hit(key, policy)
    assert 0 < await redis.pttl(bucket) <= 200  # two short

    await asyncio.sleep(0.35)
    assert await redis.exists(bucket) == 0
    assert (await limiter.hit(key, policy)).remaining == 2  # a fresh, full bucket


async def test_a_bucket_full_only_in_the_future_owes_no_more_than_a_refill(
    limiter: RedisRateLimiter, redis: Redis
) -> None:
    # What a bucket looks like after the server's clock stepped back an hour.
    policy = RateLimitPolicy("write", capacity=3, refill_per_second=1)
    key = fresh_key()
    seconds, microseconds = await redis.time()
    an_hour_ahead = seconds + microseconds / 1_000_000 + 3600
    await redis.set(RedisRateLimiter.bucket_key(key, policy), repr(an_hour_ahead), px=3_600_000)

    refused = await limiter.hit(key, policy)

    assert not refused.allowed
    assert refused.retry_after_seconds == 1  # the next token, not the hour
    assert refused.reset_seconds == 3  # an empty bucket's refill


async def test_slow_policy_key_lives_no_longer_than_a_refill(
    limiter: RedisRateLimiter, redis: Redis
) -> None:
    policy = RateLimitPolicy("write", capacity=100, refill_per_second=1)
    key = fresh_key()
    await limiter.hit(key, policy)
    assert 0 < await redis.pttl(RedisRateLimiter.bucket_key(key, policy)) <= 1000


async def test_with_valkey_stopped_the_process_buckets_limit_and_redis_takes_over_again(
    servers: Servers, limiter: RedisRateLimiter, breaker: CircuitBreaker
) -> None:
    stack = servers.require_stack()
    policy = RateLimitPolicy("write", capacity=2, refill_per_second=NO_REFILL)
    local_before = sample("rate_limit_local_total")
    opened_before = sample("breaker_opened_total", {"dependency": "redis"})

    stack.valkey.stop()
    try:
        key = fresh_key()
        decisions = [await limiter.hit(key, policy) for _ in range(3)]
        assert breaker.is_open
        assert sample("breaker_open", {"dependency": "redis"}) == 1
        other = await limiter.hit(fresh_key(), policy)
    finally:
        stack.valkey.start()

    # The same bucket, kept in this process: honest headers, then a refusal.
    assert [d.allowed for d in decisions] == [True, True, False]
    assert [d.remaining for d in decisions] == [1, 0, 0]
    assert {d.limit for d in decisions} == {2}
    assert decisions[2].retry_after_seconds > 0
    assert other.allowed
    assert sample("rate_limit_local_total") == local_before + 4
    assert sample("breaker_opened_total", {"dependency": "redis"}) == opened_before + 1

    # The probe closes the breaker once Valkey answers; Redis decides again, though its
    # script cache is empty now.
    assert await closes_within(breaker, seconds=5)
    assert sample("breaker_open", {"dependency": "redis"}) == 0
    key = fresh_key()
    assert (await limiter.hit(key, policy)).remaining == 1
    assert sample("rate_limit_local_total") == local_before + 4


async def test_a_redis_that_never_answers_costs_nothing_once_the_breaker_is_open() -> None:
    """A server that accepts connections and never answers (as a paused Valkey does)."""
    connections: list[asyncio.StreamWriter] = []

    async def never_answer(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = redis_client(f"redis://127.0.0.1:{port}/0", timeout=0.05, retries=0)
    breaker = breaker_for(client, probe_interval_seconds=60)
    limiter = RedisRateLimiter(client, breaker)
    policy = RateLimitPolicy("read", capacity=5, refill_per_second=NO_REFILL)
    key = fresh_key()
    try:
        for _ in range(3):  # these pay the timeout, and open the breaker
            assert (await asyncio.wait_for(limiter.hit(key, policy), 2)).allowed
        assert breaker.is_open
        started = time.perf_counter()
        decisions = [await limiter.hit(key, policy) for _ in range(10)]
        elapsed = time.perf_counter() - started
        assert [d.allowed for d in decisions] == [True, True] + [False] * 8
        assert elapsed < 0.05  # ten decisions, none waiting for the timeout (50 ms each)
    finally:
        await breaker.close()
        await client.aclose()
        for writer in connections:
            writer.close()
        server.close()
        await server.wait_closed()
