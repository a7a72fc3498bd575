"""Rate limits on the real API: budgets per user or address, headers, 429, and limits that
hold (per process) while Valkey is stopped or paused."""

import os
import signal
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import httpx
import pytest
from asgi_lifespan import LifespanManager

from swiftpaste.devstack.embedded import EmbeddedStack
from swiftpaste.main.api import make_api
from tests.conftest import Servers
from tests.e2e.conftest import make_settings, register_and_log_in

SNIPPETS = "/v1/api/snippet"


@pytest.fixture
async def limited(servers: Servers, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The API with small budgets: 5 reads and 4 writes, refilled very slowly."""
    settings = make_settings(
        servers,
        database_url,
        rate_limit_read_capacity=5,
        rate_limit_read_refill_per_second=0.01,
        rate_limit_write_capacity=4,
        rate_limit_write_refill_per_second=0.01,
        trusted_proxies="10.0.0.0/8",
    )
    app = make_api(settings)
    # Each test gets its own client address, so budgets never leak between tests.
    octets = uuid.uuid4().bytes[:3]
    address = f"10.{octets[0]}.{octets[1]}.{octets[2]}"
    async with (
        LifespanManager(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=(address, 1234)),
            base_url="http://swiftpaste.test",
        ) as client,
    ):
        yield client


async def test_reads_carry_the_budget_headers_and_stop_at_zero(
    limited: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    owner = await register_and_log_in(client)
    created = await client.post(
        f"{SNIPPETS}/", json={"title": "t", "content": "c"}, headers=owner.auth
    )
    short_id = created.json()["short_id"]
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    remaining = []
    for _ in range(5):
        response = await limited.get(f"{SNIPPETS}/{short_id}", headers=forwarded)
        assert response.status_code == 200
        assert response.headers["RateLimit-Limit"] == "5"
        assert int(response.headers["RateLimit-Reset"]) > 0
        remaining.append(int(response.headers["RateLimit-Remaining"]))
    assert remaining == [4, 3, 2, 1, 0]
    refused = await limited.get(f"{SNIPPETS}/{short_id}", headers=forwarded)
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "rate_limited"
    assert error["requestId"] == refused.headers["X-Request-Id"]
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["RateLimit-Remaining"] == "0"
    # Another client behind the same trusted proxy has its own budget.
    other = await limited.get(f"{SNIPPETS}/{short_id}", headers={"X-Forwarded-For": "203.0.113.10"})
    assert other.status_code == 200


async def test_writes_have_their_own_budget_per_user(
    limited: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    first = await register_and_log_in(client)
    second = await register_and_log_in(client)
    for _ in range(4):
        response = await limited.post(
            f"{SNIPPETS}/", json={"title": "t", "content": "c"}, headers=first.auth
        )
        assert response.status_code == 201
        assert "RateLimit-Remaining" in response.headers
    refused = await limited.post(
        f"{SNIPPETS}/", json={"title": "t", "content": "c"}, headers=first.auth
    )
    assert refused.status_code == 429
    mine = await client.get(f"{SNIPPETS}/", headers=first.auth)
    assert mine.json()["total"] == 4  # the refused write changed nothing
    assert (
        await limited.post(f"{SNIPPETS}/", json={"title": "t", "content": "c"}, headers=second.auth)
    ).status_code == 201


async def test_login_attempts_spend_the_write_budget(limited: httpx.AsyncClient) -> None:
    statuses = [
        (
            await limited.post(
                "/auth/jwt/login", data={"username": "nobody", "password": "guess-guess"}
            )
        ).status_code
        for _ in range(5)
    ]
    assert statuses == [401, 401, 401, 401, 429]


@contextmanager
def valkey_away(stack: EmbeddedStack, outage: str) -> Iterator[None]:
    """Valkey stopped (connections refused) or paused (connections hang: SIGSTOP)."""
    pid = stack.valkey.pid()
    assert pid is not None
    if outage == "stopped":
        stack.valkey.stop()
    else:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        if outage == "stopped":
            stack.valkey.start()
        else:
            os.kill(pid, signal.SIGCONT)


# With these settings a read paid about 0.1 s with Valkey stopped and 0.4 s with it paused
# before the circuit breaker; with it open, a read costs a few milliseconds.
MEAN_READ_SECONDS = 0.05


@pytest.mark.embedded
@pytest.mark.parametrize("outage", ["stopped", "paused"])
async def test_with_valkey_away_limits_hold_and_reads_stay_fast(
    limited: httpx.AsyncClient,
    client: httpx.AsyncClient,
    servers: Servers,
    outage: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    stack = servers.require_stack()
    owner = await register_and_log_in(client)
    created = await client.post(
        f"{SNIPPETS}/", json={"title": "t", "content": "c"}, headers=owner.auth
    )
    path = f"{SNIPPETS}/{created.json()['short_id']}"

    def from_client(address: str) -> dict[str, str]:
        return {"X-Forwarded-For": address}

    with valkey_away(stack, outage):
        # The first reads pay Valkey's timeouts, until the circuit breaker opens.
        for number in range(3):
            first = await limited.get(path, headers=from_client(f"198.51.100.{number}"))
            assert first.status_code == 200
        seconds = []
        for number in range(6):
            started = time.perf_counter()
            read = await limited.get(path, headers=from_client(f"203.0.113.{number}"))
            seconds.append(time.perf_counter() - started)
            assert read.status_code == 200
        # One client's read budget, now kept by this process.
        remaining = []
        for _ in range(5):
            read = await limited.get(path, headers=from_client("192.0.2.7"))
            assert read.status_code == 200
            remaining.append(int(read.headers["RateLimit-Remaining"]))
        refused = await limited.get(path, headers=from_client("192.0.2.7"))
        logins = [
            (
                await limited.post(
                    "/auth/jwt/login", data={"username": "nobody", "password": "guess-guess"}
                )
            ).status_code
            for _ in range(5)
        ]

    assert sum(seconds) / len(seconds) < MEAN_READ_SECONDS, seconds
    assert remaining == [4, 3, 2, 1, 0]
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1
    assert logins == [401, 401, 401, 401, 429]
    assert "circuit breaker open" in caplog.text
