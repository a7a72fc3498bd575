"""ReadSnippet, ReadUncachedSnippet and ReadSnippetContent: the cache-first read path."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from swiftpaste.application.ports.snippets import (
    ShareTokens,
    SnippetCache,
    SnippetFinder,
    SnippetQueries,
    SnippetRenderer,
    ViewRecorder,
)
from swiftpaste.application.ports.system import Clock
from swiftpaste.application.snippets.read_models import SnippetDetails
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
    reader_id: UUID | None = None
    share_token: str | None = None


def visible_version(
    details: SnippetDetails, query: ReadSnippetQuery, grant: ShareGrant | None, now: datetime
) -> SnippetVersion:
    """The version the query asks for, if its reader may see it; else the domain's error."""
    return details.snippet.read(query.version, reader_id=query.reader_id, grant=grant, now=now)


def is_cacheable(details: SnippetDetails, version: SnippetVersion) -> bool:
    """Only public versions of live snippets are ever cached."""
    return version.visibility is Visibility.PUBLIC and not details.snippet.is_deleted


def cache_ttl(version: SnippetVersion, policy: CachePolicy, now: datetime) -> int:
    """Seconds the response may live in the cache: never past the version's expiry."""
    if version.expires_at is None:
        return policy.ttl_seconds
    return max(0, min(policy.ttl_seconds, int((version.expires_at - now).total_seconds())))


def found(details: SnippetDetails | None) -> SnippetDetails:
    if details is None:
        raise SnippetNotFound("snippet not found")
    return details


def share_grant(share_tokens: ShareTokens, token: str | None) -> ShareGrant | None:
    return share_tokens.verify(token) if token else None


def viewed(query: ReadSnippetQuery, snippet_id: UUID, now: datetime) -> SnippetViewed:
    """The view a successful read records."""
    return SnippetViewed(
        snippet_id=snippet_id, short_id=query.short_id, version=query.version, occurred_at=now
    )


class ReadSnippet:
    """The snippet response body, from the cache when possible.

    A cache hit returns the stored bytes without touching the database. On a miss
    the visibility and expiry rules run against PostgreSQL, the body is rendered
    once, and a public version is cached until the earlier of the cache TTL and its
    expiry. Private versions are never cached. Every successful read, hit or miss,
    is recorded as a view.
    """

    def __init__(
        self,
        cache: SnippetCache,
        queries: SnippetQueries,
        renderer: SnippetRenderer,
        share_tokens: ShareTokens,
        clock: Clock,
        policy: CachePolicy,
        views: ViewRecorder,
    ) -> None:
        self._cache = cache
        self._queries = queries
        self._renderer = renderer
        self._share_tokens = share_tokens
        self._clock = clock
        self._policy = policy
        self._views = views

    async def __call__(self, query: ReadSnippetQuery) -> bytes:
        cached = await self._cache.get(query.short_id, query.version)
        if cached.body is not None and cached.snippet_id is not None:
            self._views.record(viewed(query, cached.snippet_id, self._clock.now()))
            return cached.body
        details = found(await self._queries.find(query.short_id, query.version))
        now = self._clock.now()
        grant = share_grant(self._share_tokens, query.share_token)
        version = visible_version(details, query, grant, now)
        body = self._renderer.render(details, version)
        snippet_id = details.snippet.id
        if is_cacheable(details, version):
            ttl = cache_ttl(version, self._policy, now)
            if ttl > 0:
                await self._cache.put(
                    query.short_id, query.version, body, ttl, cached.generation, snippet_id
                )
        self._views.record(viewed(query, snippet_id, now))
        return body


class ReadUncachedSnippet:
    """A read the cache cannot answer and may never hold, straight from the store.

    The fast read lane asks this once its cache lookup missed: a private version (its
    owner's read, or a share link's) is never cached, so each of its reads lands here, and
    so does every read that ends in 404 or 410. The access rules are ReadSnippet's, and the
    body is rendered by the same renderer. A version that may be cached (public) is not
    answered here: None says so, and ReadSnippet then reads it and caches it.
    """

    def __init__(
        self,
        finder: SnippetFinder,
        renderer: SnippetRenderer,
        share_tokens: ShareTokens,
        clock: Clock,
        views: ViewRecorder,
    ) -> None:
        self._finder = finder
        self._renderer = renderer
        self._share_tokens = share_tokens
        self._clock = clock
        self._views = views

    async def __call__(self, query: ReadSnippetQuery) -> bytes | None:
        """The response body; None for a cacheable version. Raises the domain's errors,
        and SnippetLookupUnavailable when the store cannot answer."""
        details = found(await self._finder.find(query.short_id, query.version))
        now = self._clock.now()
        grant = share_grant(self._share_tokens, query.share_token)
        version = visible_version(details, query, grant, now)
        if is_cacheable(details, version):
            return None
        body = self._renderer.render(details, version)
        self._views.record(viewed(query, details.snippet.id, now))
        return body


class ReadSnippetContent:
    """Just the content of a version, under the same access rules (for `/raw`)."""

    def __init__(
        self,
        queries: SnippetQueries,
        share_tokens: ShareTokens,
        clock: Clock,
        views: ViewRecorder,
    ) -> None:
        self._queries = queries
        self._share_tokens = share_tokens
        self._clock = clock
        self._views = views

    async def __call__(self, query: ReadSnippetQuery) -> str:
        details = found(await self._queries.find(query.short_id, query.version))
        now = self._clock.now()
        grant = share_grant(self._share_tokens, query.share_token)
        version = visible_version(details, query, grant, now)
        self._views.record(viewed(query, details.snippet.id, now))
        return version.content
