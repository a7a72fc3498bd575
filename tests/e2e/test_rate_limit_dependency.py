"""The rate_limit route dependency in a small app, with the real limiter on a real Valkey."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from ipaddress import ip_network
from uuid import UUID, uuid4

import httpx
import pytest
from dishka import AsyncContainer, Provider, Scope, make_async_container
from dishka.integrations.fastapi import FastapiProvider, setup_dishka
from fastapi import Depends, FastAPI
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from swiftpaste.application.auth.credentials import BearerCredentials
from swiftpaste.application.ports.rate_limit import (
    RateLimiter,
    RateLimitExceeded,
    RateLimitPolicy,
    RateLimits,
)
from swiftpaste.application.ports.security import (
    AccessClaims,
    AccessTokenCodec,
    PersonalAccessTokenLookup,
)
from swiftpaste.application.ports.system import Clock
from swiftpaste.infrastructure.cache.breaker import CircuitBreaker
from swiftpaste.infrastructure.cache.client import RedisOptions, make_redis, make_redis_breaker
from swiftpaste.infrastructure.cache.rate_limiter import RedisRateLimiter
from swiftpaste.infrastructure.clock import SystemClock
from swiftpaste.infrastructure.persistence.access_tokens import AsyncpgAccessTokenLookup
from swiftpaste.infrastructure.persistence.engine import make_engine
from swiftpaste.infrastructure.persistence.read_pool import ReadPool
from swiftpaste.infrastructure.security.tokens import JwtAccessTokenCodec
from swiftpaste.main.providers.database import engine_options, read_pool_options
from swiftpaste.main.settings import Settings
from swiftpaste.presentation.http.errors import install_error_handlers
from swiftpaste.presentation.http.middleware import RequestContextMiddleware
from swiftpaste.presentation.http.rate_limit import (
    TrustedProxies,
    rate_limit,
    rate_limit_exceeded_handler,
)
from tests.conftest import Servers
from tests.e2e.conftest import make_settings

SECRET = "rate-limit-test-secret-" + "r" * 40
NO_REFILL = 0.001  # one token in about 17 minutes: nothing refills during a test
PROXY = "10.0.0.1"
DIRECT_CLIENT = "198.51.100.7"


@dataclass(frozen=True)
class Budgets:
    limits: RateLimits
    proxies: TrustedProxies


def make_container(settings: Settings, budgets: Budgets) -> AsyncContainer:
    async def redis() -> AsyncIterator[Redis]:
        client = make_redis(
            RedisOptions(
                url=settings.redis_url,
                socket_timeout_seconds=0.5,
                retries=1,
                retry_backoff_seconds=0.05,
                max_connections=20,
            )
        )
        yield client
        await client.aclose()

    def breaker(client: Redis) -> CircuitBreaker:
        return make_redis_breaker(client, failures_to_open=3, probe_interval_seconds=1.0)

    async def read_pool() -> AsyncIterator[ReadPool]:
        pool = await ReadPool.open(read_pool_options(settings))
        yield pool
        await pool.aclose()

    async def engine() -> AsyncIterator[AsyncEngine]:
        created = make_engine(engine_options(settings))
        yield created
        await created.dispose()

    provider = Provider(scope=Scope.APP)
    provider.provide(redis)
    provider.provide(breaker)
    provider.provide(read_pool)
    provider.provide(engine)
    provider.provide(RedisRateLimiter, provides=RateLimiter)
    provider.provide(lambda: JwtAccessTokenCodec(SECRET), provides=AccessTokenCodec)
    # Bearers are identified as the app does: access tokens decoded, personal ones looked up.
    provider.provide(AsyncpgAccessTokenLookup, provides=PersonalAccessTokenLookup)
    provider.provide(SystemClock, provides=Clock)
    provider.provide(BearerCredentials)
    provider.from_context(provides=RateLimits)
    provider.from_context(provides=TrustedProxies)
    return make_async_container(
        provider,
        FastapiProvider(),
        context={RateLimits: budgets.limits, TrustedProxies: budgets.proxies},
    )


def make_app(container: AsyncContainer) -> FastAPI:
    app = FastAPI()

    @app.get("/things", dependencies=[Depends(rate_limit("read"))])
    async def list_things() -> dict[str, str]:
        return {"things": "listed"}

    @app.post("/things", dependencies=[Depends(rate_limit("write"))])
    async def create_thing() -> dict[str, str]:
        return {"thing": "created"}

    install_error_handlers(app)
    app.add_exception_handler(RateLimitExceeded, rate_limit_exceeded_handler)
    setup_dishka(container, app)
    app.add_middleware(RequestContextMiddleware)
    return app


def policies(
    read_capacity: int = 100, write_capacity: int = 100, *, proxies: tuple[str, ...] = ()
) -> Budgets:
    """Policies with names of their own, so every test has buckets of its own."""
    run = uuid.uuid4().hex[:12]
    return Budgets(
        RateLimits(
            read=RateLimitPolicy(f"read-{run}", read_capacity, NO_REFILL),
            write=RateLimitPolicy(f"write-{run}", write_capacity, NO_REFILL),
            password=RateLimitPolicy(f"password-{run}", 1, NO_REFILL),
            anonymous=RateLimitPolicy(f"anonymous-{run}", write_capacity, NO_REFILL),
        ),
        TrustedProxies(tuple(ip_network(proxy) for proxy in proxies)),
    )


ClientFactory = Callable[[Budgets, str], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def connect(servers: Servers, database_url: str) -> AsyncIterator[ClientFactory]:
    """Connects a client at a given address to an app with the given settings."""
    containers: dict[int, AsyncContainer] = {}
    apps: dict[int, FastAPI] = {}
    clients: list[httpx.AsyncClient] = []

    async def factory(settings: Budgets, address: str) -> httpx.AsyncClient:
        key = id(settings)
        if key not in apps:
            containers[key] = make_container(make_settings(servers, database_url), settings)
            apps[key] = make_app(containers[key])
        transport = httpx.ASGITransport(app=apps[key], client=(address, 40000))
        client = httpx.AsyncClient(transport=transport, base_url="http://swiftpaste.test")
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.aclose()
    for container in containers.values():
        await container.close()


def bearer(user_id: UUID) -> dict[str, str]:
    now = datetime.now(UTC).replace(microsecond=0)
    token = JwtAccessTokenCodec(SECRET).encode(
        AccessClaims(
            user_id=user_id,
            session_id=uuid4(),
            token_id=uuid4().hex,
            issued_at=now,
            expires_at=now + timedelta(minutes=15),
        )
    )
    return {"Authorization": f"Bearer {token}"}


async def spend(
    client: httpx.AsyncClient,
    times: int,
    headers: dict[str, str] | list[tuple[str, str]] | None = None,
) -> list[int]:
    """Status codes of `times` reads in a row."""
    return [(await client.get("/things", headers=headers)).status_code for _ in range(times)]


async def test_allowed_requests_carry_the_ratelimit_headers(connect: ClientFactory) -> None:
    client = await connect(policies(read_capacity=3), DIRECT_CLIENT)
    responses = [await client.get("/things") for _ in range(3)]
    assert [response.status_code for response in responses] == [200, 200, 200]
    assert [response.headers["RateLimit-Remaining"] for response in responses] == ["2", "1", "0"]
    assert {response.headers["RateLimit-Limit"] for response in responses} == {"3"}
    assert all(int(response.headers["RateLimit-Reset"]) >= 1 for response in responses)
    assert responses[0].json() == {"things": "listed"}


async def test_over_budget_is_429_in_the_error_envelope(connect: ClientFactory) -> None:
    settings = policies(write_capacity=2)
    client = await connect(settings, DIRECT_CLIENT)
    assert [(await client.post("/things")).status_code for _ in range(2)] == [200, 200]

    refused = await client.post("/things", headers={"X-Request-Id": "rl-test-1"})
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "rate_limited"
    assert error["message"].startswith(f"too many {settings.limits.write.name} requests; retry in ")
    assert error["requestId"] == "rl-test-1"
    assert error["details"]["policy"] == settings.limits.write.name
    retry_after = int(refused.headers["Retry-After"])
    assert retry_after >= 1
    assert error["details"]["retry_after_seconds"] == retry_after
    assert refused.headers["RateLimit-Limit"] == "2"
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert int(refused.headers["RateLimit-Reset"]) >= retry_after
    assert refused.headers["X-Request-Id"] == "rl-test-1"


async def test_read_and_write_budgets_are_separate(connect: ClientFactory) -> None:
    client = await connect(policies(read_capacity=1, write_capacity=1), DIRECT_CLIENT)
    assert (await client.post("/things")).status_code == 200
    assert (await client.post("/things")).status_code == 429
    assert (await client.get("/things")).status_code == 200


async def test_signed_in_callers_are_limited_per_user(connect: ClientFactory) -> None:
    settings = policies(read_capacity=2)
    alice, bob = uuid4(), uuid4()
    office = await connect(settings, DIRECT_CLIENT)
    home = await connect(settings, "203.0.113.50")

    # Alice's budget follows her from one address to another...
    assert await spend(office, 1, headers=bearer(alice)) == [200]
    assert await spend(home, 2, headers=bearer(alice)) == [200, 429]
    # ...and Bob, behind the same address as Alice, has his own.
    assert await spend(office, 2, headers=bearer(bob)) == [200, 200]
    # Signed-in use spent nothing of the address's anonymous budget.
    assert await spend(office, 3) == [200, 200, 429]


async def test_invalid_token_counts_against_the_address(connect: ClientFactory) -> None:
    client = await connect(policies(read_capacity=2), DIRECT_CLIENT)
    forged = {"Authorization": "Bearer not.a.jwt"}
    other_secret = {"Authorization": "Basic dXNlcjpwYXNz"}
    assert await spend(client, 1, headers=forged) == [200]
    assert await spend(client, 1, headers=other_secret) == [200]
    assert await spend(client, 1) == [429]


async def test_forwarded_for_is_ignored_from_an_untrusted_peer(connect: ClientFactory) -> None:
    client = await connect(policies(read_capacity=2, proxies=(PROXY,)), DIRECT_CLIENT)
    statuses = [
        (await client.get("/things", headers={"X-Forwarded-For": f"203.0.113.{n}"})).status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]


async def test_forwarded_for_is_honoured_from_a_trusted_proxy(connect: ClientFactory) -> None:
    settings = policies(read_capacity=2, proxies=("10.0.0.0/8",))
    proxy = await connect(settings, PROXY)
    alice = {"X-Forwarded-For": "203.0.113.10"}
    # A forged entry in front of the address the proxy appended changes nothing.
    alice_forging = {"X-Forwarded-For": "1.2.3.4, 203.0.113.10"}
    bob = {"X-Forwarded-For": "203.0.113.11"}
    assert await spend(proxy, 1, headers=alice) == [200]
    assert await spend(proxy, 2, headers=alice_forging) == [200, 429]
    assert await spend(proxy, 2, headers=bob) == [200, 200]
    # Several X-Forwarded-For headers are one list.
    two_headers = [("X-Forwarded-For", "1.2.3.4"), ("X-Forwarded-For", "203.0.113.11")]
    assert await spend(proxy, 1, headers=two_headers) == [429]


async def test_ipv6_clients_are_limited_per_64(connect: ClientFactory) -> None:
    settings = policies(read_capacity=2)
    first = await connect(settings, "2001:db8:1:2::1")
    same_network = await connect(settings, "2001:db8:1:2:ffff::9")
    other_network = await connect(settings, "2001:db8:1:3::1")
    assert await spend(first, 1) == [200]
    assert await spend(same_network, 2) == [200, 429]
    assert await spend(other_network, 1) == [200]
