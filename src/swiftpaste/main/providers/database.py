"""PostgreSQL: the engine for transactions, the read pool, repositories and read models."""

from collections.abc import AsyncIterator

from dishka import Provider, Scope, provide
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from swiftpaste.application.ports.persistence import (
    IdempotencyKeys,
    PersonalAccessTokenRepository,
    RefreshTokenRepository,
    UnitOfWork,
    UserRepository,
)
from swiftpaste.application.ports.search import SearchQueries
from swiftpaste.application.ports.security import PersonalAccessTokenLookup, SessionRevocations
from swiftpaste.application.ports.snippets import (
    SnippetQueries,
    SnippetRepository,
    SnippetTransactions,
)
from swiftpaste.infrastructure.persistence.access_tokens import (
    AsyncpgAccessTokenLookup,
    SqlaAccessTokenRepository,
)
from swiftpaste.infrastructure.persistence.engine import (
    EngineOptions,
    make_engine,
    make_session_factory,
)
from swiftpaste.infrastructure.persistence.idempotency import SqlaIdempotencyKeys
from swiftpaste.infrastructure.persistence.outbox import TrackedAggregates
from swiftpaste.infrastructure.persistence.read_pool import ReadPool, ReadPoolOptions
from swiftpaste.infrastructure.persistence.refresh_tokens import (
    AsyncpgSessionRevocations,
    SqlaRefreshTokenRepository,
)
from swiftpaste.infrastructure.persistence.search_queries import AsyncpgSearchQueries
from swiftpaste.infrastructure.persistence.snippet_queries import AsyncpgSnippetQueries
from swiftpaste.infrastructure.persistence.snippets import SqlaSnippetRepository
from swiftpaste.infrastructure.persistence.unit_of_work import (
    SqlaSnippetTransactions,
    SqlaUnitOfWork,
)
from swiftpaste.infrastructure.persistence.users import SqlaUserRepository
from swiftpaste.main.settings import Settings


def engine_options(settings: Settings, *, pre_ping: bool = True) -> EngineOptions:
    return EngineOptions(
        url=settings.database_url,
        connect_timeout_seconds=settings.db_connect_timeout_seconds,
        statement_timeout_ms=settings.db_statement_timeout_ms,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        slow_query_seconds=settings.db_slow_query_seconds,
        pre_ping=pre_ping,
    )


def read_pool_options(settings: Settings) -> ReadPoolOptions:
    return ReadPoolOptions(
        url=settings.database_url,
        max_connections=settings.db_read_connections,
        acquire_timeout_seconds=settings.db_connect_timeout_seconds,
        statement_timeout_ms=settings.db_statement_timeout_ms,
    )


class DatabaseProvider(Provider):
    """The pools at APP scope; one session per request (or message), which every
    repository and the unit of work share."""

    @provide(scope=Scope.APP)
    async def engine(self, settings: Settings) -> AsyncIterator[AsyncEngine]:
        engine = make_engine(engine_options(settings))
        yield engine
        await engine.dispose()

    @provide(scope=Scope.APP)
    def session_factory(self, engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
        return make_session_factory(engine)

    @provide(scope=Scope.APP)
    async def read_pool(self, settings: Settings) -> AsyncIterator[ReadPool]:
        pool = await ReadPool.open(read_pool_options(settings))
        yield pool
        await pool.aclose()

    snippet_queries = provide(AsyncpgSnippetQueries, scope=Scope.APP, provides=SnippetQueries)
    search_queries = provide(AsyncpgSearchQueries, scope=Scope.APP, provides=SearchQueries)
    session_revocations = provide(
        AsyncpgSessionRevocations, scope=Scope.APP, provides=SessionRevocations
    )
    # For the reads that count: a transaction of their own, outside any request scope.
    snippet_transactions = provide(
        SqlaSnippetTransactions, scope=Scope.APP, provides=SnippetTransactions
    )
    access_token_lookup = provide(
        AsyncpgAccessTokenLookup, scope=Scope.APP, provides=PersonalAccessTokenLookup
    )

    @provide(scope=Scope.REQUEST)
    async def session(
        self, factory: async_sessionmaker[AsyncSession]
    ) -> AsyncIterator[AsyncSession]:
        async with factory() as session:
            yield session

    aggregates = provide(TrackedAggregates, scope=Scope.REQUEST)
    uow = provide(SqlaUnitOfWork, scope=Scope.REQUEST, provides=UnitOfWork)
    users = provide(SqlaUserRepository, scope=Scope.REQUEST, provides=UserRepository)
    refresh_tokens = provide(
        SqlaRefreshTokenRepository, scope=Scope.REQUEST, provides=RefreshTokenRepository
    )
    snippets = provide(SqlaSnippetRepository, scope=Scope.REQUEST, provides=SnippetRepository)
    access_tokens = provide(
        SqlaAccessTokenRepository, scope=Scope.REQUEST, provides=PersonalAccessTokenRepository
    )

    @provide(scope=Scope.REQUEST)
    def idempotency_keys(self, session: AsyncSession, settings: Settings) -> IdempotencyKeys:
        # Replies are sealed with the server secret: see persistence.idempotency.
        return SqlaIdempotencyKeys(session, settings.jwt_secret_value)
