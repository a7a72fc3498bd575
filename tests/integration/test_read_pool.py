"""ReadPool against real PostgreSQL: a broken connection is retried once, an outage or a
timeout is DatabaseUnavailable, a wrong statement is a bug."""

from collections.abc import AsyncIterator
from urllib.parse import urlparse

import asyncpg
import pytest

from swiftpaste.application.errors import DatabaseUnavailable
from swiftpaste.infrastructure.persistence.read_pool import ReadPool, ReadPoolOptions
from tests.conftest import eventually, free_port


def options(database_url: str, **overrides: object) -> ReadPoolOptions:
    values: dict[str, object] = {
        "url": database_url,
        "max_connections": 2,
        "acquire_timeout_seconds": 1.0,
        "statement_timeout_ms": 2000,
        **overrides,
    }
    return ReadPoolOptions(**values)  # type: ignore[arg-type]


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[ReadPool]:
    opened = await ReadPool.open(options(database_url))
    yield opened
    await opened.aclose()


async def test_a_statement_runs_in_autocommit_with_the_read_settings(pool: ReadPool) -> None:
    row = await pool.fetch_one(
        "SELECT current_setting('jit'), current_setting('plan_cache_mode'),"
        " current_setting('application_name'), pg_current_xact_id_if_assigned()",
        (),
    )
    assert row is not None
    assert tuple(row) == ("off", "force_generic_plan", "swiftpaste-read", None)


async def test_a_connection_killed_under_it_is_replaced_and_the_statement_runs(
    pool: ReadPool, database_url: str
) -> None:
    first = await pool.fetch_one("SELECT pg_backend_pid()", ())
    assert first is not None
    admin = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        await admin.execute("SELECT pg_terminate_backend($1)", first[0])

        async def ended() -> bool:
            alive = await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", first[0]
            )
            return bool(alive == 0)

        # The signal is asynchronous: the backend may still answer a moment longer.
        await eventually(ended, within=10, what="the killed backend ended")
    finally:
        await admin.close()
    second = await pool.fetch_one("SELECT pg_backend_pid()", ())
    assert second is not None
    assert second[0] != first[0]


async def test_a_statement_timeout_is_database_unavailable(database_url: str) -> None:
    pool = await ReadPool.open(options(database_url, statement_timeout_ms=50))
    try:
        with pytest.raises(DatabaseUnavailable):
            await pool.fetch("SELECT pg_sleep(1)", ())
        assert await pool.fetch_one("SELECT 1", ()) is not None  # and it works again
    finally:
        await pool.aclose()


async def test_an_unreachable_server_is_database_unavailable(database_url: str) -> None:
    port = urlparse(database_url).port
    nowhere = database_url.replace(f":{port}/", f":{free_port()}/")
    pool = await ReadPool.open(options(nowhere, acquire_timeout_seconds=0.5))
    try:
        with pytest.raises(DatabaseUnavailable):
            await pool.fetch("SELECT 1", ())
    finally:
        await pool.aclose()


async def test_a_wrong_statement_is_a_bug_not_an_outage(pool: ReadPool) -> None:
    with pytest.raises(asyncpg.UndefinedColumnError):
        await pool.fetch("SELECT no_such_column FROM snippets", ())
