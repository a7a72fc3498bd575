"""ReadSnippet: every read of a snippet, whoever reads it and in whichever form."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from swiftpaste.application.auth.credentials import BearerCredentials, Caller
from swiftpaste.application.errors import NotAuthenticated
from swiftpaste.application.ports.rate_limit import (
    Admission,
    Admitted,
    RateLimitDecision,
    RateLimitExceeded,
    RateLimits,
    user_budget,
)
from swiftpaste.application.ports.security import SessionRevocations
from swiftpaste.application.ports.snippets import (
    Representation,
    ShareTokens,
    SnippetCache,
    SnippetQueries,
    SnippetRenderer,
    ViewRecorder,
)
from swiftpaste.application.ports.system import Clock
from swiftpaste.application.snippets.etags import snippet_etag
from swiftpaste.application.snippets.read_models import SnippetDetails
from swiftpaste.domain.access_tokens import Scope
from swiftpaste.domain.errors import SnippetNotFound
from swiftpaste.domain.events import SnippetViewed
from swiftpaste.domain.snippets import SnippetVersion, Visibility


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
    token is looked up before, by `BearerCredentials`); a hit is returned as stored. On a
    miss the snippet's own rules decide from the database, and a public version is cached
    until the earlier of the cache TTL and the end of its share window. Every successful
    read is recorded as a view. Either way the read carries its entity tag.
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
        if cached.body is not None and cached.snippet_id is not None and cached.etag is not None:
            self._views.record(_viewed(query, cached.snippet_id, self._clock.now()))
            return SnippetRead(cached.body, decision, cached.etag)

        details = await self._queries.find(query.short_id, query.version)
        if details is None:
            raise SnippetNotFound("snippet not found")
        now = self._clock.now()
        grant = self._share_tokens.verify(query.share_token) if query.share_token else None
        reader_id = caller.user_id if caller else None
        snippet = details.snippet
        version = snippet.read(query.version, reader_id=reader_id, grant=grant, now=now)
        body = self._renderer.render(details, version, query.representation)
        etag = snippet_etag(
            snippet.id, snippet.aggregate_version, version.number, query.representation
        )
        if _is_cacheable(details, version):
            ttl = _cache_ttl(version, self._policy, now)
            if ttl > 0:
                await self._cache.put(
                    query.short_id,
                    query.version,
                    query.representation,
                    body,
                    ttl,
                    cached.generation,
                    snippet.id,
                    etag,
                )
        self._views.record(_viewed(query, snippet.id, now))
        return SnippetRead(body, decision, etag)

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
    """Only public versions of live snippets are ever cached."""
    return version.visibility is Visibility.PUBLIC and not details.snippet.is_deleted


def _cache_ttl(version: SnippetVersion, policy: CachePolicy, now: datetime) -> int:
    """Seconds a rendered version may stay cached: never past the end of its share window."""
    if version.expires_at is None:
        return policy.ttl_seconds
    return max(0, min(policy.ttl_seconds, int((version.expires_at - now).total_seconds())))


def _viewed(query: ReadSnippetQuery, snippet_id: UUID, now: datetime) -> SnippetViewed:
    return SnippetViewed(
        snippet_id=snippet_id, short_id=query.short_id, version=query.version, occurred_at=now
    )
