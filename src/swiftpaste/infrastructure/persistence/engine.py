"""The async engine: connection and statement timeouts, and per-query metrics."""

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from swiftpaste.infrastructure.metrics import DB_QUERY_LATENCY, DB_SLOW_QUERIES


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineOptions:
    url: str
    connect_timeout_seconds: float
    statement_timeout_ms: int
    pool_size: int
    max_overflow: int
    slow_query_seconds: float
    application_name: str = "swiftpaste"
    pre_ping: bool = True
    """Test each pooled connection before use (a round trip), so a connection that died
    with a PostgreSQL restart is replaced instead of failing a request. Workers that retry
    a failed batch anyway can do without it."""


def make_engine(options: EngineOptions) -> AsyncEngine:
    engine = create_async_engine(
        options.url,
        pool_size=options.pool_size,
        max_overflow=options.max_overflow,
        pool_timeout=options.connect_timeout_seconds,
        pool_pre_ping=options.pre_ping,
        connect_args={
            "timeout": options.connect_timeout_seconds,
            "server_settings": {
                "statement_timeout": str(options.statement_timeout_ms),
                "application_name": options.application_name,
            },
        },
    )
    _observe_queries(engine, options.slow_query_seconds)
    return engine


# Options of SQLAlchemy's asyncpg adapter that asyncpg.connect itself does not take.
_ADAPTER_OPTIONS = (
    "async_creator_fn",
    "prepared_statement_cache_size",
    "prepared_statement_name_func",
)


def asyncpg_connect_arguments(
    url: str, *, timeout: float, server_settings: Mapping[str, str]
) -> dict[str, Any]:
    """asyncpg.connect's arguments for an engine URL (`postgresql+asyncpg://...`), as
    SQLAlchemy would pass them: for the pools that talk to asyncpg directly."""
    dialect = asyncpg_dialect()  # type: ignore[no-untyped-call]  # unannotated in SQLAlchemy
    _, arguments = dialect.create_connect_args(make_url(url))  # type: ignore[no-untyped-call]
    for name in _ADAPTER_OPTIONS:
        arguments.pop(name, None)
    return {**arguments, "timeout": timeout, "server_settings": dict(server_settings)}


@dataclass(frozen=True, slots=True, kw_only=True)
class DirectPoolOptions:
    """A small pool of plain asyncpg connections beside the engine's (the read lane's,
    search's): the same server, user and options, its own size and name."""

    url: str
    """The engine's URL (`postgresql+asyncpg://...`): the same server, user and options."""
    max_connections: int
    acquire_timeout_seconds: float
    """Connecting, and waiting for a free connection when all are busy."""
    statement_timeout_ms: int
    application_name: str = "swiftpaste"

    def connect_arguments(self, **server_settings: str) -> dict[str, Any]:
        """asyncpg.connect's arguments; `server_settings` add to the timeout and the name."""
        return asyncpg_connect_arguments(
            self.url,
            timeout=self.acquire_timeout_seconds,
            server_settings={
                **server_settings,
                "statement_timeout": str(self.statement_timeout_ms),
                "application_name": self.application_name,
            },
        )


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def _observe_queries(engine: AsyncEngine, slow_query_seconds: float) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "before_cursor_execute")
    def _start_timer(
        conn: Any, cursor: Any, statement: Any, parameters: Any, context: Any, executemany: Any
    ) -> None:
        conn.info.setdefault("query_started", []).append(time.perf_counter())

    @event.listens_for(sync_engine, "after_cursor_execute")
    def _record(
        conn: Any, cursor: Any, statement: Any, parameters: Any, context: Any, executemany: Any
    ) -> None:
        started: list[float] = conn.info.get("query_started", [])
        if not started:
            return
        elapsed = time.perf_counter() - started.pop()
        DB_QUERY_LATENCY.observe(elapsed)
        if elapsed >= slow_query_seconds:
            DB_SLOW_QUERIES.inc()

    @event.listens_for(sync_engine, "handle_error")
    def _discard_timer(context: Any) -> None:
        # A failed statement never reaches after_cursor_execute; drop its start time.
        connection = context.connection
        if connection is not None and connection.info.get("query_started"):
            connection.info["query_started"].pop()
