"""The fakes, wired together the way the container wires the real adapters for one request."""

import pytest

from swiftpaste.application.auth.credentials import BearerCredentials
from swiftpaste.application.auth.revocation import SessionRevoker
from swiftpaste.application.auth.tokens import TokenLifetimes, TokenPairIssuer
from swiftpaste.application.ports.rate_limit import RateLimitPolicy, RateLimits
from swiftpaste.application.snippets.create_snippet import SnippetLimits
from swiftpaste.application.snippets.read_snippet import CachePolicy, ReadSnippet
from swiftpaste.application.snippets.share_snippet import SharePolicy
from swiftpaste.domain.users import User
from tests.unit.fakes import (
    FakeAccessTokenCodec,
    FakeAccessTokens,
    FakeDenylist,
    FakeIdempotencyKeys,
    FakePasswordHasher,
    FakeRateLimiter,
    FakeRefreshTokenRepository,
    FakeRenderer,
    FakeSessionRevocations,
    FakeShareTokens,
    FakeSnippetCache,
    FakeSnippetQueries,
    FakeSnippetRepository,
    FakeSnippetTransactions,
    FakeUnitOfWork,
    FakeUserRepository,
    FakeViewRecorder,
    FixedClock,
    SequenceShortIds,
    a_user,
)

ACCESS_SECONDS = 15 * 60
REFRESH_SECONDS = 30 * 24 * 3600

MAX_CONTENT_BYTES = 64
CACHE_TTL_SECONDS = 300
SHARE_DEFAULT_TTL_SECONDS = 3600
SHARE_MIN_TTL_SECONDS = 60
SHARE_MAX_TTL_SECONDS = 86_400
READS_ALLOWED = 5
PASSWORD_GUESSES = 3


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def journal() -> list[str]:
    """Commits, denylist writes and cache invalidations, in the order they happened."""
    return []


@pytest.fixture
def uow(journal: list[str]) -> FakeUnitOfWork:
    return FakeUnitOfWork(journal)


@pytest.fixture
def users(uow: FakeUnitOfWork) -> FakeUserRepository:
    return FakeUserRepository(uow)


@pytest.fixture
def refresh_tokens(uow: FakeUnitOfWork) -> FakeRefreshTokenRepository:
    return FakeRefreshTokenRepository(uow)


@pytest.fixture
def hasher() -> FakePasswordHasher:
    return FakePasswordHasher()


@pytest.fixture
def codec(clock: FixedClock) -> FakeAccessTokenCodec:
    return FakeAccessTokenCodec(clock)


@pytest.fixture
def denylist(clock: FixedClock, journal: list[str]) -> FakeDenylist:
    return FakeDenylist(clock, journal)


@pytest.fixture
def access_tokens(uow: FakeUnitOfWork) -> FakeAccessTokens:
    return FakeAccessTokens(uow)


@pytest.fixture
def credentials(
    codec: FakeAccessTokenCodec, access_tokens: FakeAccessTokens, clock: FixedClock
) -> BearerCredentials:
    return BearerCredentials(codec, access_tokens, clock)


@pytest.fixture
def idempotency_keys(uow: FakeUnitOfWork) -> FakeIdempotencyKeys:
    return FakeIdempotencyKeys(uow)


@pytest.fixture
def lifetimes() -> TokenLifetimes:
    return TokenLifetimes(access_seconds=ACCESS_SECONDS, refresh_seconds=REFRESH_SECONDS)


@pytest.fixture
def issuer(
    codec: FakeAccessTokenCodec,
    refresh_tokens: FakeRefreshTokenRepository,
    clock: FixedClock,
    lifetimes: TokenLifetimes,
) -> TokenPairIssuer:
    return TokenPairIssuer(codec, refresh_tokens, clock, lifetimes)


@pytest.fixture
def revoker(denylist: FakeDenylist, clock: FixedClock, lifetimes: TokenLifetimes) -> SessionRevoker:
    return SessionRevoker(denylist, clock, lifetimes)


# --- snippets ---------------------------------------------------------------------


@pytest.fixture
def snippets(uow: FakeUnitOfWork) -> FakeSnippetRepository:
    return FakeSnippetRepository(uow)


@pytest.fixture
def snippet_queries(
    snippets: FakeSnippetRepository, users: FakeUserRepository
) -> FakeSnippetQueries:
    return FakeSnippetQueries(snippets, users)


@pytest.fixture
def snippet_cache(journal: list[str], denylist: FakeDenylist) -> FakeSnippetCache:
    return FakeSnippetCache(journal, denylist)


@pytest.fixture
def session_revocations(refresh_tokens: FakeRefreshTokenRepository) -> FakeSessionRevocations:
    return FakeSessionRevocations(refresh_tokens)


@pytest.fixture
def share_tokens() -> FakeShareTokens:
    return FakeShareTokens()


@pytest.fixture
def short_ids() -> SequenceShortIds:
    return SequenceShortIds()


@pytest.fixture
def renderer() -> FakeRenderer:
    return FakeRenderer()


@pytest.fixture
def views() -> FakeViewRecorder:
    """The views the read path recorded."""
    return FakeViewRecorder()


@pytest.fixture
def owner(users: FakeUserRepository) -> User:
    """The user whose snippets the snippet tests are about."""
    return users.seed(a_user(email="owner@example.com", username="owner"))


@pytest.fixture
def stranger(users: FakeUserRepository) -> User:
    """Another signed-in user, who owns none of them."""
    return users.seed(a_user(email="stranger@example.com", username="stranger"))


@pytest.fixture
def snippet_limits() -> SnippetLimits:
    return SnippetLimits(max_content_bytes=MAX_CONTENT_BYTES)


@pytest.fixture
def cache_policy() -> CachePolicy:
    return CachePolicy(ttl_seconds=CACHE_TTL_SECONDS)


@pytest.fixture
def share_policy() -> SharePolicy:
    return SharePolicy(
        default_ttl_seconds=SHARE_DEFAULT_TTL_SECONDS,
        min_ttl_seconds=SHARE_MIN_TTL_SECONDS,
        max_ttl_seconds=SHARE_MAX_TTL_SECONDS,
    )


@pytest.fixture
def rate_limits() -> RateLimits:
    """Budgets that never refill during a test: `READS_ALLOWED` reads per key."""
    return RateLimits(
        read=RateLimitPolicy("read", READS_ALLOWED, 0.001),
        write=RateLimitPolicy("write", 1, 0.001),
        password=RateLimitPolicy("password", PASSWORD_GUESSES, 0.001),
        anonymous=RateLimitPolicy("anonymous", 1, 0.001),
    )


@pytest.fixture
def read_snippet(
    snippet_cache: FakeSnippetCache,
    snippet_queries: FakeSnippetQueries,
    renderer: FakeRenderer,
    credentials: BearerCredentials,
    session_revocations: FakeSessionRevocations,
    share_tokens: FakeShareTokens,
    clock: FixedClock,
    views: FakeViewRecorder,
    cache_policy: CachePolicy,
    rate_limits: RateLimits,
    hasher: FakePasswordHasher,
    rate_limiter: FakeRateLimiter,
    snippet_transactions: FakeSnippetTransactions,
) -> ReadSnippet:
    return ReadSnippet(
        snippet_cache,
        snippet_queries,
        renderer,
        credentials,
        session_revocations,
        share_tokens,
        clock,
        views,
        cache_policy,
        rate_limits,
        hasher,
        rate_limiter,
        snippet_transactions,
    )


@pytest.fixture
def rate_limiter() -> FakeRateLimiter:
    return FakeRateLimiter()


@pytest.fixture
def snippet_transactions(
    snippets: FakeSnippetRepository, uow: FakeUnitOfWork
) -> FakeSnippetTransactions:
    return FakeSnippetTransactions(snippets, uow)
