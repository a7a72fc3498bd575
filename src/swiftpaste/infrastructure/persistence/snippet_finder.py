"""AsyncpgSnippetFinder: the read path's lookups, a round of them in one round trip.

The fast read lane answers the reads the cache cannot: private versions are never cached,
so every read of one is a database read. Through the SQLAlchemy engine such a read costs a
pool checkout that pings the connection (a round trip, in a transaction of its own), BEGIN,
the SELECT, ROLLBACK, and the session and ORM bookkeeping around them: about 3 ms of CPU on
a small machine, for one row. This adapter keeps a small pool of its own of asyncpg
connections and, on each, the two forms of `snippet_details_statement` (a given version,
the latest) and `snippet_details_batch_statement` prepared once. A connection outside a
transaction is in autocommit, which is all a lone SELECT needs, so a lookup is one
Bind/Execute round trip. (asyncpg's own pool, which search uses, was measured here too: its
acquire and release and the statement-cache lookup by SQL text made a cache-miss read cost
about 510 µs of the API's CPU instead of 340, `python -m bench.cpu --scenarios miss`.)

Lookups come in rounds: the lane's Redis replies arrive for several reads at once, and
those that missed ask here in the same turn of the event loop. The first of a round waits
that one turn, then answers the round's lookups (up to `MAX_BATCH`) with one statement on
one connection, over arrays of the short ids and versions; alone, it uses the one-row
statement. Per read that saves PostgreSQL a statement (about half its CPU for such a read)
and the API a send and a wake-up. If that statement fails, or the lookup leading it is
cancelled, every lookup of the batch fails as SnippetLookupUnavailable (the lane then sends
those reads to the route).

There is no ping before use: a connection that fails is closed with every idle one (a
broken connection rarely comes alone: PostgreSQL restarted, or the network went), and the
failure is raised as SnippetLookupUnavailable; the lane then hands the request to the
regular route, whose engine pings, reconnects and reports an outage as the route always
does. Connections are opened on demand, at most `max_connections`; a lookup waits for a
free one as long as the engine would wait for a pooled connection (`acquire_timeout`).
Statements are bounded by the server's `statement_timeout`, as on the engine's connections.
"""

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from sqlalchemy import Integer, String, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from swiftpaste.application.ports.snippets import SnippetLookupUnavailable
from swiftpaste.application.snippets.read_models import Author, SnippetDetails
from swiftpaste.domain.snippets import Snippet, SnippetVersion, Visibility
from swiftpaste.infrastructure.persistence.engine import DirectPoolOptions
from swiftpaste.infrastructure.persistence.snippet_queries import (
    snippet_details_batch_statement,
    snippet_details_statement,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class SnippetFinderOptions(DirectPoolOptions):
    application_name: str = "swiftpaste-fast-read"


_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]  # unannotated in SQLAlchemy


def _compiled(statement: Any) -> tuple[str, tuple[str, ...]]:
    """The statement as asyncpg takes it ($1, $2...) and the names of its parameters, in order."""
    compiled = statement.compile(dialect=_DIALECT)
    return compiled.string, tuple(compiled.positiontup or ())


_SHORT_ID = bindparam("short_id", type_=String)
_BY_VERSION = _compiled(snippet_details_statement(_SHORT_ID, bindparam("version", type_=Integer)))
_LATEST = _compiled(snippet_details_statement(_SHORT_ID, None))
_BATCH = _compiled(
    snippet_details_batch_statement(
        bindparam("short_ids", type_=ARRAY(String)), bindparam("versions", type_=ARRAY(Integer))
    )
)
MAX_BATCH = 16
"""Lookups answered by one statement at most: a version's content may be 512 KiB."""


@dataclass(slots=True, eq=False)
class _Connection:
    connection: asyncpg.Connection
    by_version: asyncpg.prepared_stmt.PreparedStatement
    latest: asyncpg.prepared_stmt.PreparedStatement
    batch: asyncpg.prepared_stmt.PreparedStatement
    broken: bool = field(default=False)


_Lookup = tuple[str, int | None]
"""A short id and a version (None: the latest)."""


@dataclass(slots=True, eq=False)
class _Batch:
    lookups: list[_Lookup]
    """The leading lookup's first, then its followers'."""
    answers: "list[asyncio.Future[SnippetDetails | None]]" = field(default_factory=list)
    """The followers', in their order: where the leading lookup puts their answers."""


def _arguments(names: tuple[str, ...], short_id: str, version: int | None) -> list[object]:
    values: dict[str, object] = {"short_id": short_id, "version": version}
    return [values[name] for name in names]


def _batch_arguments(lookups: list[_Lookup]) -> list[object]:
    values: dict[str, object] = {
        "short_ids": [short_id for short_id, _ in lookups],
        "versions": [version for _, version in lookups],
    }
    return [values[name] for name in _BATCH[1]]


def _details(row: asyncpg.Record) -> SnippetDetails:
    """The row mapped as `SqlaSnippetQueries.find` maps it."""
    versions: dict[int, SnippetVersion] = {}
    number = row["version"]
    if number is not None:
        versions[number] = SnippetVersion(
            number=number,
            content=row["content"],
            visibility=Visibility(row["visibility"]),
            language=row["language"],
            expires_at=row["expires_at"],
            created_at=row["version_created_at"],
        )
    snippet = Snippet(
        id=row["id"],
        short_id=row["short_id"],
        title=row["title"],
        owner_id=row["owner_id"],
        latest_version=row["latest_version"],
        views=row["views"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        deleted_at=row["deleted_at"],
        aggregate_version=row["aggregate_version"],
        versions=versions,
    )
    author = Author(id=row["owner_id"], username=row["author_username"])
    return SnippetDetails(snippet=snippet, author=author)


def _expire(waiter: "asyncio.Future[_Connection | None]") -> None:
    if not waiter.done():
        waiter.set_exception(SnippetLookupUnavailable("no database connection free in time"))


# What a lookup can fail with when the server or the network does: asyncpg's errors (the
# server's, and the client's for a closed connection), sockets, timeouts.
_FAILURES = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)


class AsyncpgSnippetFinder:
    """A `SnippetFinder` over a small asyncpg pool of its own; see the module docstring."""

    def __init__(self, options: SnippetFinderOptions) -> None:
        self._options = options
        self._connect_arguments = options.connect_arguments()
        self._idle: list[_Connection] = []
        self._open = 0
        self._closed = False
        self._waiting: deque[asyncio.Future[_Connection | None]] = deque()
        self._gathering: _Batch | None = None
        """The batch that lookups of this round of the event loop join (its first leads)."""

    async def find(self, short_id: str, version: int | None) -> SnippetDetails | None:
        batch = self._gathering
        if batch is not None and len(batch.lookups) < MAX_BATCH:
            # A lookup of this round leads a batch: it answers this one too.
            answer: asyncio.Future[SnippetDetails | None] = (
                asyncio.get_running_loop().create_future()
            )
            batch.lookups.append((short_id, version))
            batch.answers.append(answer)
            return await answer
        batch = self._gathering = _Batch([(short_id, version)])
        try:
            try:
                await asyncio.sleep(0)  # one turn of the loop: this round's other lookups join
            finally:
                if self._gathering is batch:
                    self._gathering = None
            answers = await self._fetch(batch.lookups)
        except BaseException as error:
            failure = (
                error
                if isinstance(error, SnippetLookupUnavailable)
                else SnippetLookupUnavailable(f"the lookup leading the batch ended: {error!r}")
            )
            for answer in batch.answers:
                if not answer.done():
                    answer.set_exception(failure)
            raise
        for answer, details in zip(batch.answers, answers[1:], strict=True):
            if not answer.done():
                answer.set_result(details)
        return answers[0]

    async def _fetch(self, lookups: list[_Lookup]) -> list[SnippetDetails | None]:
        """The lookups' answers, in their order: one statement on one connection."""
        connection = await self._acquire()
        rows: list[asyncpg.Record | None]
        try:
            if len(lookups) == 1:
                short_id, version = lookups[0]
                if version is None:
                    statement, names = connection.latest, _LATEST[1]
                else:
                    statement, names = connection.by_version, _BY_VERSION[1]
                arguments = _arguments(names, short_id, version)
                rows = [await statement.fetchrow(*arguments)]
            else:
                rows = [None] * len(lookups)
                for row in await connection.batch.fetch(*_batch_arguments(lookups)):
                    rows[row["position"] - 1] = row
        except _FAILURES as error:
            # statement_timeout leaves the connection as it was. Anything else, it goes: a
            # lost connection (and most likely its idle siblings with it), or a statement a
            # migration invalidated, which a new connection prepares afresh.
            if not isinstance(error, asyncpg.QueryCanceledError):
                connection.broken = True
                if not isinstance(error, asyncpg.PostgresError):
                    self._close_idle()
            raise SnippetLookupUnavailable(f"snippet lookup failed: {error!r}") from error
        finally:
            self._release(connection)
        return [None if row is None else _details(row) for row in rows]

    async def aclose(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        self._open -= len(idle)
        for connection in idle:
            try:
                await connection.connection.close(timeout=self._options.acquire_timeout_seconds)
            except _FAILURES:
                connection.connection.terminate()
        while self._hand_over(None):
            pass

    # --- pool ---------------------------------------------------------------------------

    async def _acquire(self) -> _Connection:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._options.acquire_timeout_seconds
        while True:
            while self._idle:
                connection = self._idle.pop()
                if not connection.connection.is_closed():
                    return connection
                self._open -= 1
            if self._closed:
                raise SnippetLookupUnavailable("the snippet finder is closed")
            if self._open < self._options.max_connections:
                self._open += 1
                try:
                    return await self._connect()
                except BaseException:
                    self._open -= 1
                    self._hand_over(None)
                    raise
            # Every connection is busy: wait until one is handed over (or a place to open
            # one is freed: None), as long as the engine would wait for its pool.
            waiter: asyncio.Future[_Connection | None] = loop.create_future()
            self._waiting.append(waiter)
            timer = loop.call_at(deadline, _expire, waiter)
            try:
                handed = await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    given = waiter.result()
                    if given is not None:
                        self._release(given)  # handed over just as the caller gave up
                raise
            finally:
                timer.cancel()
            if handed is not None:
                return handed

    def _release(self, connection: _Connection) -> None:
        if connection.broken or self._closed or connection.connection.is_closed():
            self._open -= 1
            connection.connection.terminate()
            self._hand_over(None)
        elif not self._hand_over(connection):
            self._idle.append(connection)

    def _hand_over(self, connection: _Connection | None) -> bool:
        """Wake the longest waiter with `connection` (None: it may open one); False if none."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return True
        return False

    def _close_idle(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            self._open -= 1
            connection.connection.terminate()

    async def _connect(self) -> _Connection:
        try:
            connection = await asyncpg.connect(**self._connect_arguments)
        except (*_FAILURES, ValueError) as error:
            raise SnippetLookupUnavailable(f"cannot connect to PostgreSQL: {error!r}") from error
        try:
            by_version = await connection.prepare(_BY_VERSION[0])
            latest = await connection.prepare(_LATEST[0])
            batch = await connection.prepare(_BATCH[0])
        except BaseException as error:
            connection.terminate()
            if isinstance(error, _FAILURES):
                raise SnippetLookupUnavailable(f"cannot prepare: {error!r}") from error
            raise
        return _Connection(connection, by_version, latest, batch)
