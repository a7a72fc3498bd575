"""The real API app (lifespan included) over httpx, wired to the session's real servers."""

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from swiftpaste.main.api import make_api
from swiftpaste.main.settings import Settings
from tests.conftest import Servers

TEST_PASSWORD = "correct horse battery staple"


def make_settings(servers: Servers, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url,
        "redis_url": servers.endpoints.redis_url,
        "kafka_bootstrap_servers": servers.endpoints.kafka_bootstrap_servers,
        "jwt_secret": "test-secret-" + "x" * 40,
        "argon2_time_cost": 2,
        "argon2_memory_cost_kib": 19 * 1024,
        "argon2_parallelism": 1,
        "health_probe_timeout_seconds": 1.0,
        "db_connect_timeout_seconds": 1.0,
        # Every test shares one client address: budgets are tested on their own.
        "rate_limit_read_capacity": 1_000_000,
        "rate_limit_write_capacity": 1_000_000,
        "rate_limit_anonymous_capacity": 1_000_000,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture(scope="session")
def settings(servers: Servers, database_url: str) -> Settings:
    return make_settings(servers, database_url)


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    api = make_api(settings)
    async with LifespanManager(api, startup_timeout=30, shutdown_timeout=30):
        yield api


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://swiftpaste.test") as http:
        yield http


ClientWith = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def client_with(servers: Servers, database_url: str) -> ClientWith:
    """A client of an app of its own, built with the given settings (over the same servers),
    from an address of its own: its budgets are not those other tests spent."""

    @asynccontextmanager
    async def connect(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        api = make_api(make_settings(servers, database_url, **overrides))
        address = f"2001:db8:{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}::1"
        async with LifespanManager(api, startup_timeout=30, shutdown_timeout=30):
            transport = httpx.ASGITransport(app=api, client=(address, 40000))
            async with httpx.AsyncClient(
                transport=transport, base_url="http://swiftpaste.test"
            ) as http:
                yield http

    return connect


async def query_database(database_url: str, sql: str, *arguments: Any) -> list[asyncpg.Record]:
    """Rows as PostgreSQL holds them, read over a connection of its own."""
    connection = await asyncpg.connect(
        database_url.replace("postgresql+asyncpg://", "postgresql://")
    )
    try:
        rows: list[asyncpg.Record] = await connection.fetch(sql, *arguments)
        return rows
    finally:
        await connection.close()


@dataclass(frozen=True)
class Account:
    id: str
    email: str
    username: str
    password: str
    access_token: str
    refresh_token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def unique_username(prefix: str = "user") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


async def register_and_log_in(
    client: httpx.AsyncClient, username: str | None = None, password: str = TEST_PASSWORD
) -> Account:
    username = username or unique_username()
    email = f"{username}@example.com"
    registered = await client.post(
        "/auth/register", json={"email": email, "username": username, "password": password}
    )
    assert registered.status_code == 201, registered.text
    tokens = await client.post("/auth/jwt/login", data={"username": username, "password": password})
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    return Account(
        id=registered.json()["id"],
        email=email,
        username=username,
        password=password,
        access_token=body["access_token"],
        refresh_token=body["refresh_token"],
    )


@pytest.fixture
async def account(client: httpx.AsyncClient) -> Account:
    return await register_and_log_in(client)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def issue_token(
    client: httpx.AsyncClient, account: Account, *scopes: str, days: int | None = None
) -> str:
    """A personal access token of the account, with these scopes (default: read and write)."""
    body: dict[str, Any] = {"name": "tests", "scopes": list(scopes or SNIPPET_SCOPES)}
    if days is not None:
        body["expires_in_days"] = days
    issued = await client.post("/users/me/tokens", json=body, headers=account.auth)
    assert issued.status_code == 201, issued.text
    token: str = issued.json()["token"]
    return token


SNIPPET_SCOPES = ("snippets:read", "snippets:write")
