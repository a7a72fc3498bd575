"""Dishka providers: clients at APP scope, session, repositories and use cases per REQUEST."""

from collections.abc import AsyncIterator
from typing import TypeVar

from dishka import Provider, Scope, alias, from_context, provide
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from swiftpaste.application.auth.authenticate import Authenticate
from swiftpaste.application.auth.log_in import LogIn
from swiftpaste.application.auth.log_out import LogOut
from swiftpaste.application.auth.refresh_session import RefreshSession
from swiftpaste.application.auth.register_user import RegisterUser
from swiftpaste.application.auth.revocation import SessionRevoker
from swiftpaste.application.auth.tokens import TokenLifetimes, TokenPairIssuer
from swiftpaste.application.auth.update_profile import UpdateProfile
from swiftpaste.application.health.check_readiness import CheckReadiness
from swiftpaste.application.ports.persistence import (
    RefreshTokenRepository,
    UnitOfWork,
    UserRepository,
)
from swiftpaste.application.ports.rate_limit import RateLimiter, RateLimitPolicy
from swiftpaste.application.ports.search import SearchQueries
from swiftpaste.application.ports.security import (
    AccessTokenCodec,
    AccessTokenDenylist,
    PasswordHasher,
)
from swiftpaste.application.ports.snippets import (
    ShareTokens,
    ShortIdGenerator,
    SnippetCache,
    SnippetFinder,
    SnippetQueries,
    SnippetRenderer,
    SnippetRepository,
    ViewRecorder,
)
from swiftpaste.application.ports.system import Clock
from swiftpaste.application.search.search_snippets import SearchSnippets
from swiftpaste.application.snippets.create_snippet import CreateSnippet, SnippetLimits
from swiftpaste.application.snippets.delete_snippet import DeleteSnippet
from swiftpaste.application.snippets.expire_shares import ExpireDueShares
from swiftpaste.application.snippets.list_my_snippets import ListMySnippets
from swiftpaste.application.snippets.list_versions import ListSnippetVersions
from swiftpaste.application.snippets.read_snippet import (
    CachePolicy,
    ReadSnippet,
    ReadSnippetContent,
    ReadUncachedSnippet,
)
from swiftpaste.application.snippets.revise_snippet import ReviseSnippet
from swiftpaste.application.snippets.share_snippet import SharePolicy, ShareSnippet
from swiftpaste.infrastructure.cache.client import RedisOptions, make_redis
from swiftpaste.infrastructure.cache.denylist import RedisAccessTokenDenylist
from swiftpaste.infrastructure.cache.rate_limiter import RedisRateLimiter
from swiftpaste.infrastructure.cache.snippet_cache import RedisSnippetCache
from swiftpaste.infrastructure.clock import SystemClock
from swiftpaste.infrastructure.health.probes import KafkaProbe, PostgresProbe, RedisProbe
from swiftpaste.infrastructure.messaging.broker import (
    KafkaOptions,
    TopicSpec,
    make_broker,
)
from swiftpaste.infrastructure.messaging.views import KafkaViewPublisher, ViewPublisherOptions
from swiftpaste.infrastructure.persistence.engine import (
    DirectPoolOptions,
    EngineOptions,
    make_engine,
    make_session_factory,
)
from swiftpaste.infrastructure.persistence.outbox import OutboxTopics, TrackedAggregates
from swiftpaste.infrastructure.persistence.refresh_tokens import SqlaRefreshTokenRepository
from swiftpaste.infrastructure.persistence.search_connections import (
    SearchConnectionOptions,
    SearchConnections,
)
from swiftpaste.infrastructure.persistence.search_queries import AsyncpgSearchQueries
from swiftpaste.infrastructure.persistence.snippet_finder import (
    AsyncpgSnippetFinder,
    SnippetFinderOptions,
)
from swiftpaste.infrastructure.persistence.snippet_queries import SqlaSnippetQueries
from swiftpaste.infrastructure.persistence.snippets import SqlaSnippetRepository
from swiftpaste.infrastructure.persistence.unit_of_work import SqlaUnitOfWork
from swiftpaste.infrastructure.persistence.users import SqlaUserRepository
from swiftpaste.infrastructure.security.passwords import Argon2Parameters, Argon2PasswordHasher
from swiftpaste.infrastructure.security.share_tokens import HmacShareTokens
from swiftpaste.infrastructure.security.tokens import JwtAccessTokenCodec
from swiftpaste.infrastructure.short_ids import RandomShortIdGenerator
from swiftpaste.main.multiprocess_metrics import scrape_registry
from swiftpaste.main.settings import Settings
from swiftpaste.presentation.http.rate_limit import RateLimitSettings
from swiftpaste.presentation.http.snippet_schemas import JsonSnippetRenderer
from swiftpaste.presentation.http.snippets import PublicLinks


def kafka_topics(settings: Settings) -> list[TopicSpec]:
    replication = settings.kafka_replication_factor
    return [
        TopicSpec(
            settings.kafka_snippet_events_topic,
            settings.kafka_snippet_events_partitions,
            replication,
        ),
        TopicSpec(
            settings.kafka_snippet_views_topic, settings.kafka_snippet_views_partitions, replication
        ),
        TopicSpec(
            settings.kafka_dead_letter_topic, settings.kafka_dead_letter_partitions, replication
        ),
    ]


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


_Pool = TypeVar("_Pool", bound=DirectPoolOptions)


def direct_pool_options(settings: Settings, kind: type[_Pool], connections: int) -> _Pool:
    """A direct asyncpg pool's options: the engine's server and timeouts, its own size."""
    return kind(
        url=settings.database_url,
        max_connections=connections,
        acquire_timeout_seconds=settings.db_connect_timeout_seconds,
        statement_timeout_ms=settings.db_statement_timeout_ms,
    )


class InfrastructureProvider(Provider):
    """Long-lived clients, built once per process and closed at shutdown."""

    scope = Scope.APP
    settings = from_context(provides=Settings)

    @provide
    async def engine(self, settings: Settings) -> AsyncIterator[AsyncEngine]:
        engine = make_engine(engine_options(settings))
        yield engine
        await engine.dispose()

    @provide
    def session_factory(self, engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
        return make_session_factory(engine)

    @provide
    async def snippet_finder(self, settings: Settings) -> AsyncIterator[AsyncpgSnippetFinder]:
        # The fast read lane's own connections (DB_FAST_READ_CONNECTIONS), opened on demand.
        finder = AsyncpgSnippetFinder(
            direct_pool_options(settings, SnippetFinderOptions, settings.db_fast_read_connections)
        )
        yield finder
        await finder.aclose()

    snippet_finder_port = alias(source=AsyncpgSnippetFinder, provides=SnippetFinder)

    @provide
    async def search_connections(self, settings: Settings) -> AsyncIterator[SearchConnections]:
        # Search's own connections (DB_SEARCH_CONNECTIONS), opened on demand.
        connections = await SearchConnections.open(
            direct_pool_options(settings, SearchConnectionOptions, settings.db_search_connections)
        )
        yield connections
        await connections.aclose()

    @provide
    async def redis(self, settings: Settings) -> AsyncIterator[Redis]:
        client = make_redis(
            RedisOptions(
                url=settings.redis_url,
                socket_timeout_seconds=settings.redis_socket_timeout_seconds,
                retries=settings.redis_retries,
                retry_backoff_seconds=settings.redis_retry_backoff_seconds,
                max_connections=settings.redis_max_connections,
            ),
        )
        yield client
        await client.aclose()

    @provide
    def broker(self, settings: Settings) -> KafkaBroker:
        return make_broker(
            KafkaOptions(
                bootstrap_servers=settings.kafka_bootstrap_servers,
                client_id=settings.kafka_client_id,
                enable_idempotence=settings.kafka_enable_idempotence,
                request_timeout_ms=settings.kafka_request_timeout_ms,
            ),
        )

    @provide
    def view_publisher(self, settings: Settings) -> KafkaViewPublisher:
        return KafkaViewPublisher(
            ViewPublisherOptions(
                bootstrap_servers=settings.kafka_bootstrap_servers,
                client_id=settings.kafka_client_id,
                topic=settings.kafka_snippet_views_topic,
                buffer_size=settings.views_buffer_size,
                linger_ms=settings.views_linger_ms,
                request_timeout_ms=settings.kafka_request_timeout_ms,
            ),
            kafka_topics(settings),
        )

    @provide
    def view_recorder(self, publisher: KafkaViewPublisher) -> ViewRecorder:
        return publisher

    @provide
    def metrics_registry(self, settings: Settings) -> CollectorRegistry:
        # With several uvicorn workers, a scrape must add up every worker's samples.
        return scrape_registry(settings.prometheus_multiproc_dir)

    clock = provide(SystemClock, provides=Clock)

    @provide
    def password_hasher(self, settings: Settings) -> PasswordHasher:
        return Argon2PasswordHasher(
            Argon2Parameters(
                time_cost=settings.argon2_time_cost,
                memory_cost_kib=settings.argon2_memory_cost_kib,
                parallelism=settings.argon2_parallelism,
            ),
        )

    @provide
    def token_codec(self, settings: Settings) -> AccessTokenCodec:
        return JwtAccessTokenCodec(settings.jwt_secret_value)

    @provide
    def token_lifetimes(self, settings: Settings) -> TokenLifetimes:
        return TokenLifetimes(
            access_seconds=settings.jwt_lifetime_seconds,
            refresh_seconds=settings.refresh_token_lifetime_seconds,
        )

    denylist = provide(RedisAccessTokenDenylist, provides=AccessTokenDenylist)
    rate_limiter = provide(RedisRateLimiter, provides=RateLimiter)
    snippet_queries = provide(SqlaSnippetQueries, provides=SnippetQueries)
    short_ids = provide(RandomShortIdGenerator, provides=ShortIdGenerator)
    renderer = provide(JsonSnippetRenderer, provides=SnippetRenderer)

    @provide
    def snippet_cache(self, redis: Redis, settings: Settings) -> SnippetCache:
        return RedisSnippetCache(redis, generation_ttl_seconds=2 * settings.cache_ttl_seconds)

    @provide
    def share_tokens(self, settings: Settings) -> ShareTokens:
        return HmacShareTokens(settings.jwt_secret_value)

    @provide
    def snippet_limits(self, settings: Settings) -> SnippetLimits:
        return SnippetLimits(max_content_bytes=settings.snippet_max_content_bytes)

    @provide
    def cache_policy(self, settings: Settings) -> CachePolicy:
        return CachePolicy(ttl_seconds=settings.cache_ttl_seconds)

    @provide
    def share_policy(self, settings: Settings) -> SharePolicy:
        return SharePolicy(
            default_ttl_seconds=settings.share_default_ttl_seconds,
            min_ttl_seconds=settings.share_min_ttl_seconds,
            max_ttl_seconds=settings.share_max_ttl_seconds,
        )

    @provide
    def rate_limit_settings(self, settings: Settings) -> RateLimitSettings:
        return RateLimitSettings(
            read=RateLimitPolicy(
                "read",
                settings.rate_limit_read_capacity,
                settings.rate_limit_read_refill_per_second,
            ),
            write=RateLimitPolicy(
                "write",
                settings.rate_limit_write_capacity,
                settings.rate_limit_write_refill_per_second,
            ),
            trusted_proxies=tuple(settings.trusted_proxies),
        )

    @provide
    def outbox_topics(self, settings: Settings) -> OutboxTopics:
        return OutboxTopics(lifecycle=settings.kafka_snippet_events_topic)

    @provide
    def public_links(self, settings: Settings) -> PublicLinks:
        return PublicLinks(base_url=settings.public_base_url)

    # The read path is built once: it needs no request-scoped collaborator, so a
    # cache hit resolves nothing per request.
    read_snippet = provide(ReadSnippet)
    read_uncached_snippet = provide(ReadUncachedSnippet)
    read_snippet_content = provide(ReadSnippetContent)
    list_snippet_versions = provide(ListSnippetVersions)
    list_my_snippets = provide(ListMySnippets)
    # Search, like the read path, needs nothing per request: one statement per search.
    search_queries = provide(AsyncpgSearchQueries, provides=SearchQueries)
    search_snippets = provide(SearchSnippets)

    @provide
    def check_readiness(
        self,
        engine: AsyncEngine,
        redis: Redis,
        views: KafkaViewPublisher,
        settings: Settings,
    ) -> CheckReadiness:
        timeout = settings.health_probe_timeout_seconds
        return CheckReadiness(
            [PostgresProbe(engine), RedisProbe(redis), KafkaProbe(views, timeout)],
            timeout_seconds=timeout,
        )


class PersistenceProvider(Provider):
    """One session per request (or message); every repository and the unit of work share it."""

    scope = Scope.REQUEST

    @provide
    async def session(
        self, factory: async_sessionmaker[AsyncSession]
    ) -> AsyncIterator[AsyncSession]:
        async with factory() as session:
            yield session

    aggregates = provide(TrackedAggregates)
    uow = provide(SqlaUnitOfWork, provides=UnitOfWork)
    users = provide(SqlaUserRepository, provides=UserRepository)
    refresh_tokens = provide(SqlaRefreshTokenRepository, provides=RefreshTokenRepository)
    snippets = provide(SqlaSnippetRepository, provides=SnippetRepository)


class UseCaseProvider(Provider):
    scope = Scope.REQUEST

    issuer = provide(TokenPairIssuer)
    revoker = provide(SessionRevoker)
    register_user = provide(RegisterUser)
    log_in = provide(LogIn)
    refresh_session = provide(RefreshSession)
    log_out = provide(LogOut)
    authenticate = provide(Authenticate)
    update_profile = provide(UpdateProfile)
    create_snippet = provide(CreateSnippet)
    revise_snippet = provide(ReviseSnippet)
    share_snippet = provide(ShareSnippet)
    delete_snippet = provide(DeleteSnippet)
    expire_due_shares = provide(ExpireDueShares)


def service_providers() -> list[Provider]:
    return [InfrastructureProvider(), PersistenceProvider(), UseCaseProvider()]
