"""SearchConnections: the API's own small asyncpg pool for search statements.

Through the SQLAlchemy engine a search costs a pool checkout that pings the connection
(BEGIN, a ping, ROLLBACK: three round trips) and SQLAlchemy's cursor and row machinery,
for a statement that is compiled once per shape anyway. Here a search is one Bind/Execute
round trip on a connection outside any transaction (autocommit), its statement prepared
once per connection (asyncpg's statement cache), and the rows come back as they are.

The connections carry settings made for that one statement, sent when they connect:

- `plan_cache_mode = force_generic_plan`: the plan is the same whatever the words (the GIN
  index, then the heap), but PostgreSQL's default would plan some shapes again on every
  execution (about 1 ms of CPU each) because their custom plans look cheaper;
- `jit = off`: compiling a search would cost more than running it;
- `max_parallel_workers_per_gather = 0`: on a busy server, workers only add overhead to a
  statement of a few milliseconds.

(Behind PgBouncer these are ignored, see docker/pgbouncer/pgbouncer.ini: searches then
run with the server's defaults, as they would through the engine.)

There is no ping before use. A statement that fails because its connection broke
(PostgreSQL restarted, the network went) retires every pooled connection and runs once
more on a new one; a second failure, no free connection within the acquire timeout, or a
statement timeout is `DependencyUnavailable` (503): search is a read, and the caller may
simply ask again.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from swiftpaste.application.errors import DependencyUnavailable
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

_UNAVAILABLE_MESSAGE = "search is unavailable right now; try again"

SEARCH_SERVER_SETTINGS = {
    "plan_cache_mode": "force_generic_plan",
    "jit": "off",
    "max_parallel_workers_per_gather": "0",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchConnectionOptions(DirectPoolOptions):
    application_name: str = "swiftpaste-search"


async def _keep_state(_: asyncpg.Connection) -> None:
    """Nothing to reset on release: a search leaves no session state behind (asyncpg's
    default reset would cost a round trip per search)."""


class SearchConnections:
    """Runs one read-only statement at a time per connection; see the module docstring."""

    def __init__(self, pool: asyncpg.Pool, acquire_timeout_seconds: float) -> None:
        self._pool = pool
        self._acquire_timeout = acquire_timeout_seconds

    @classmethod
    async def open(cls, options: SearchConnectionOptions) -> "SearchConnections":
        """The pool, empty: connections are opened on demand, at most `max_connections`."""
        pool = await asyncpg.create_pool(
            min_size=0,
            max_size=options.max_connections,
            reset=_keep_state,
            **options.connect_arguments(**SEARCH_SERVER_SETTINGS),
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
            raise DependencyUnavailable(_UNAVAILABLE_MESSAGE) from error

    async def _fetch(self, sql: str, arguments: Sequence[Any]) -> list[asyncpg.Record]:
        try:
            async with self._pool.acquire(timeout=self._acquire_timeout) as connection:
                rows: list[asyncpg.Record] = await connection.fetch(sql, *arguments)
                return rows
        except _UNAVAILABLE as error:  # caught first: a TimeoutError is an OSError too
            raise DependencyUnavailable(_UNAVAILABLE_MESSAGE) from error
