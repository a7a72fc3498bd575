"""ReadPool: the API's asyncpg connections for its read-only statements.

Snippet reads, listings and searches are single statements that need no transaction:
each runs on a connection in autocommit, prepared once per connection (asyncpg's statement
cache), without the engine's pre-ping and BEGIN/ROLLBACK. Why this pool exists beside the
engine's: docs/adr/0006-two-database-pools.md.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from swiftpaste.application.errors import DatabaseUnavailable
from swiftpaste.infrastructure.persistence.engine import DirectPoolOptions

# The connection is gone, or going: worth one more try on a new one.
_BROKEN = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    OSError,
)
# Not worth another try now: the server is starting, the statement timed out, or no
# connection was free (or could be opened) in time.
_UNAVAILABLE = (asyncpg.CannotConnectNowError, asyncpg.QueryCanceledError, TimeoutError)

# Settings for short read-only statements: a plan made once per statement (the same plan
# whatever the values), no JIT compilation and no parallel workers for a few milliseconds.
READ_SERVER_SETTINGS = {
    "plan_cache_mode": "force_generic_plan",
    "jit": "off",
    "max_parallel_workers_per_gather": "0",
}

_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]  # unannotated in SQLAlchemy


@dataclass(frozen=True, slots=True)
class Statement:
    """A SQLAlchemy statement compiled once for asyncpg: `$n` placeholders, and the names
    of its parameters in their order."""

    sql: str
    names: tuple[str, ...]

    @classmethod
    def of(cls, statement: Any) -> "Statement":
        compiled = statement.compile(dialect=_DIALECT)
        return cls(compiled.string, tuple(compiled.positiontup or ()))

    def arguments(self, values: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(values[name] for name in self.names)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadPoolOptions(DirectPoolOptions):
    application_name: str = "swiftpaste-read"


async def _keep_state(_: asyncpg.Connection) -> None:
    """Nothing to reset on release: a read leaves no session state behind (asyncpg's
    default reset would cost a round trip per statement)."""


class ReadPool:
    """Runs one read-only statement at a time per connection.

    A statement whose connection broke (PostgreSQL restarted, the network went) retires
    every pooled connection and runs once more on a new one; a second failure, no free
    connection within the acquire timeout, or a statement timeout is DatabaseUnavailable.
    """

    def __init__(self, pool: asyncpg.Pool, acquire_timeout_seconds: float) -> None:
        self._pool = pool
        self._acquire_timeout = acquire_timeout_seconds

    @classmethod
    async def open(cls, options: ReadPoolOptions) -> "ReadPool":
        """The pool, empty: connections are opened on demand, at most `max_connections`."""
        pool = await asyncpg.create_pool(
            min_size=0,
            max_size=options.max_connections,
            reset=_keep_state,
            **options.connect_arguments(**READ_SERVER_SETTINGS),
        )
        return cls(pool, options.acquire_timeout_seconds)

    async def aclose(self) -> None:
        await self._pool.close()

    async def fetch(self, sql: str, arguments: Sequence[Any]) -> list[asyncpg.Record]:
        try:
            return await self._fetch(sql, arguments)
        except _BROKEN:
            # A broken connection rarely comes alone: retire them all, try once more.
            await self._pool.expire_connections()
        try:
            return await self._fetch(sql, arguments)
        except _BROKEN as error:
            raise DatabaseUnavailable from error

    async def fetch_one(self, sql: str, arguments: Sequence[Any]) -> asyncpg.Record | None:
        rows = await self.fetch(sql, arguments)
        return rows[0] if rows else None

    async def _fetch(self, sql: str, arguments: Sequence[Any]) -> list[asyncpg.Record]:
        try:
            async with self._pool.acquire(timeout=self._acquire_timeout) as connection:
                rows: list[asyncpg.Record] = await connection.fetch(sql, *arguments)
                return rows
        except _UNAVAILABLE as error:  # caught first: a TimeoutError is an OSError too
            raise DatabaseUnavailable from error
