"""ReadSnippet: every read of a snippet, whoever reads it and in whichever form."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from swiftpaste.application.auth.credentials import BearerCredentials, Caller
from swiftpaste.application.errors import NotAuthenticated, PasswordIncorrect, PasswordRequired
from swiftpaste.application.ports.rate_limit import (
    Admission,
    Admitted,
    RateLimitDecision,
    RateLimiter,
    RateLimitExceeded,
    RateLimits,
    user_budget,
)
from swiftpaste.application.ports.security import PasswordHasher, SessionRevocations
from swiftpaste.application.ports.snippets import (
    Representation,
    ShareTokens,
    SnippetCache,
    SnippetQueries,
    SnippetRenderer,
    SnippetTransactions,
    ViewRecorder,
)
from swiftpaste.application.ports.system import Clock
from swiftpaste.application.snippets.etags import snippet_etag
from swiftpaste.application.snippets.read_models import SnippetDetails
from swiftpaste.domain.access_tokens import Scope
from swiftpaste.domain.errors import SnippetNotFound
from swiftpaste.domain.events import SnippetViewed
from swiftpaste.domain.snippets import ShareGrant, SnippetVersion, Visibility


@dataclass(frozen=True, slots=True)
class CachePolicy:
    ttl_seconds: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadSnippetQuery:
    short_id: str
    version: int | None = None
    """None: the latest."""
    representation: Representation = Representation.JSON
    access_token: str | None = None
    """The bearer credential sent, if any: its user reads, and spends the read budget."""
    address_key: str
    """The budget of a caller without a token: its client address."""
    share_token: str | None = None
    password: str | None = None
    """The password of a protected version, as the reader gave it."""


@dataclass(frozen=True, slots=True)
class SnippetRead:
    body: bytes
    decision: RateLimitDecision
    """The read budget after this read (for the RateLimit headers)."""
    etag: str
    """The entity tag of what was read (`etags.snippet_etag`)."""


class ReadSnippet:
    """A version of a snippet (default the latest), rendered, if the caller may see it.

    One round trip to the cache spends the caller's read budget, checks a session's access
    token against the logout denylist and looks the rendered version up (a personal access
    token is looked up before, by `BearerCredentials`); a hit is returned as stored, with
    the live view count. On a miss the snippet's own rules decide from the database; a
    protected version asks for its password (wrong guesses are limited per snippet and
    address); a read that counts (burn after reading, a view limit) is counted in a
    transaction of its own, with the snippet locked. Public and unlisted versions read
    without conditions are cached until the earlier of the cache TTL and the end of their
    share window. Every successful read is recorded as a view, and carries its entity tag.
    """

    def __init__(
        self,
        cache: SnippetCache,
        queries: SnippetQueries,
        renderer: SnippetRenderer,
        credentials: BearerCredentials,
        revocations: SessionRevocations,
        share_tokens: ShareTokens,
        clock: Clock,
        views: ViewRecorder,
        policy: CachePolicy,
        limits: RateLimits,
        hasher: PasswordHasher,
        limiter: RateLimiter,
        transactions: SnippetTransactions,
    ) -> None:
        self._cache = cache
        self._queries = queries
        self._renderer = renderer
        self._credentials = credentials
        self._revocations = revocations
        self._share_tokens = share_tokens
        self._clock = clock
        self._views = views
        self._policy = policy
        self._limits = limits
        self._hasher = hasher
        self._limiter = limiter
        self._transactions = transactions

    async def __call__(self, query: ReadSnippetQuery) -> SnippetRead:
        caller, refusal = await self._identify(query.access_token)
        admission = (
            Admission(user_budget(caller.user_id), self._limits.read, caller.session)
            if caller
            else Admission(query.address_key, self._limits.read)
        )
        cached = await self._cache.look_up(
            admission, query.short_id, query.version, query.representation
        )
        await self._check(cached.admitted, admission)
        if refusal is not None:
            raise refusal
        if caller is not None:
            caller.require(Scope.SNIPPETS_READ)
        decision = cached.admitted.decision
        rendered = cached.rendered
        if rendered is not None and cached.snippet_id is not None and cached.etag is not None:
            views = cached.views if cached.views is not None else 0
            self._views.record(_viewed(query, cached.snippet_id, self._clock.now()))
            return SnippetRead(rendered.body(views), decision, cached.etag)

        details = await self._queries.find(query.short_id, query.version)
        if details is None:
            raise SnippetNotFound("snippet not found")
        now = self._clock.now()
        grant = self._share_tokens.verify(query.share_token) if query.share_token else None
        reader_id = caller.user_id if caller else None
        snippet = details.snippet
        version = snippet.read(query.version, reader_id=reader_id, grant=grant, now=now)
        if not snippet.is_owned_by(reader_id):
            await self._check_password(details, version, query)
            if version.counts_reads:
                version = await self._count_read(details, version, reader_id, grant)
        rendered = self._renderer.render(details, version, query.representation)
        views = snippet.views
        etag = snippet_etag(snippet, version, query.representation)
        if _is_cacheable(details, version):
            ttl = _cache_ttl(version, self._policy, now)
            if ttl > 0:
                await self._cache.put(
                    query.short_id,
                    query.version,
                    query.representation,
                    rendered,
                    views,
                    ttl,
                    cached.generation,
                    snippet.id,
                    etag,
                )
        self._views.record(_viewed(query, snippet.id, now))
        return SnippetRead(rendered.body(views), decision, etag)

    async def _check_password(
        self, details: SnippetDetails, version: SnippetVersion, query: ReadSnippetQuery
    ) -> None:
        """A protected version opens with its password; wrong guesses spend a budget of
        their own, per snippet and client address."""
        if version.password_hash is None:
            return
        if query.password is None:
            raise PasswordRequired(
                "this snippet is protected: send its password in the X-Snippet-Password header"
            )
        guesses = f"{details.snippet.id}:{query.address_key}"
        policy = self._limits.password
        left = await self._limiter.peek(guesses, policy)
        if not left.allowed:
            raise RateLimitExceeded(policy.name, left)
        if not self._hasher.verify(version.password_hash, query.password):
            await self._limiter.hit(guesses, policy)
            raise PasswordIncorrect("the password is not this snippet's password")

    async def _count_read(
        self,
        details: SnippetDetails,
        version: SnippetVersion,
        reader_id: UUID | None,
        grant: ShareGrant | None,
    ) -> SnippetVersion:
        """Count the read with the snippet locked: concurrent readers are counted one by
        one, so a version read once or N times is read once or N times."""
        async with self._transactions.begin() as transaction:
            snippet = await transaction.snippets.get_for_update(details.snippet.id, version.number)
            if snippet is None:
                raise SnippetNotFound("snippet not found")
            read = snippet.consume_read(
                version.number, reader_id=reader_id, grant=grant, now=self._clock.now()
            )
            await transaction.snippets.save(snippet)
            await transaction.commit()
        return read

    async def _identify(self, bearer: str | None) -> tuple[Caller | None, NotAuthenticated | None]:
        """The caller; (None, the refusal) for a credential that is refused, which is
        raised once the caller's address paid for the request."""
        if bearer is None:
            return None, None
        try:
            return await self._credentials.identify(bearer), None
        except NotAuthenticated as refusal:
            return None, refusal

    async def _check(self, admitted: Admitted, admission: Admission) -> None:
        if not admitted.decision.allowed:
            raise RateLimitExceeded(admission.policy.name, admitted.decision)
        claims = admission.claims
        if claims is None:
            return
        revoked = admitted.revoked
        if revoked is None:  # the denylist could not be asked: the database knows too
            revoked = await self._revocations.is_revoked(claims.session_id)
        if revoked:
            raise NotAuthenticated("access token has been revoked")


def _is_cacheable(details: SnippetDetails, version: SnippetVersion) -> bool:
    """Versions anyone with the link reads as they are; never private or guarded ones."""
    return (
        version.visibility is not Visibility.PRIVATE
        and not version.is_guarded
        and not details.snippet.is_deleted
    )


def _cache_ttl(version: SnippetVersion, policy: CachePolicy, now: datetime) -> int:
    """Seconds a rendered version may stay cached: never past the end of its share window."""
    if version.expires_at is None:
        return policy.ttl_seconds
    return max(0, min(policy.ttl_seconds, int((version.expires_at - now).total_seconds())))


def _viewed(query: ReadSnippetQuery, snippet_id: UUID, now: datetime) -> SnippetViewed:
    return SnippetViewed(
        snippet_id=snippet_id, short_id=query.short_id, version=query.version, occurred_at=now
    )
