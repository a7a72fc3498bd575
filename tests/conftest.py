"""Shared fixtures: real PostgreSQL, Valkey and Kafka for every tier above unit.

When DATABASE_URL, REDIS_URL and KAFKA_BOOTSTRAP_SERVERS are all set, the tests use
those servers and start nothing; otherwise they start the embedded servers (the same
launcher `just dev` uses) on free ports, in `.data/test`.
"""

import asyncio
import os
import shutil
import socket
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import asyncpg
import pytest

from swiftpaste.devstack.embedded import EmbeddedStack, StackEndpoints
from swiftpaste.main.migrations import upgrade

T = TypeVar("T")
PROJECT_ROOT = Path(__file__).resolve().parents[1]
SERVER_URL_VARIABLES = ("DATABASE_URL", "REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS")


async def eventually(
    check: Callable[[], Awaitable[T | None]],
    *,
    within: float = 30.0,
    interval: float = 0.05,
    what: str = "the condition",
) -> T:
    """Poll `check` until it returns something truthy, and return that; fail after
    `within` seconds, saying `what` did not happen."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"{what} did not hold within {within}s (last result: {result!r})")
        await asyncio.sleep(interval)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Servers:
    endpoints: StackEndpoints
    stack: EmbeddedStack | None
    """Set when the tests started the servers themselves and may stop and restart them."""

    def require_stack(self) -> EmbeddedStack:
        if self.stack is None:
            pytest.skip("stops and restarts servers: only with the embedded servers")
        return self.stack


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    if all(os.environ.get(name) for name in SERVER_URL_VARIABLES):
        yield Servers(
            StackEndpoints(
                database_url=os.environ["DATABASE_URL"],
                redis_url=os.environ["REDIS_URL"],
                kafka_bootstrap_servers=os.environ["KAFKA_BOOTSTRAP_SERVERS"],
            ),
            stack=None,
        )
        return
    # A data directory per session: parallel test runs never share servers, and
    # initdb on an empty directory takes well under a second.
    data_dir = PROJECT_ROOT / ".data" / "test" / f"session-{os.getpid()}"
    stack = EmbeddedStack(
        data_dir,
        postgres_port=free_port(),
        redis_port=free_port(),
        kafka_port=free_port(),
        attached=True,
    )
    try:
        yield Servers(stack.up(), stack)
    finally:
        stack.down()
        shutil.rmtree(data_dir, ignore_errors=True)


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database."""
    base, _, query = url.partition("?")
    prefix = base.rsplit("/", 1)[0]
    return f"{prefix}/{database}" + (f"?{query}" if query else "")


@contextmanager
def scratch_database(servers: Servers, prefix: str, *, migrated: bool = False) -> Iterator[str]:
    """A new database on the test server (empty, or at head when `migrated`); dropped
    (even if in use) afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin_url = with_database(servers.endpoints.database_url, "postgres").replace(
        "postgresql+asyncpg://", "postgresql://"
    )

    async def admin(statement: str) -> None:
        connection = await asyncpg.connect(admin_url)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        url = with_database(servers.endpoints.database_url, name)
        if migrated:
            upgrade(url)
        yield url
    finally:
        if servers.stack is not None and not servers.stack.postgres.is_running():
            servers.stack.postgres.start()
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def database_url(servers: Servers) -> Iterator[str]:
    """A fresh database for this test session, migrated to head, dropped afterwards."""
    with scratch_database(servers, "swiftpaste_test", migrated=True) as url:
        yield url
