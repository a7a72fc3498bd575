"""Snippet ports: the write-side repository, the read-side queries, the cache and tokens."""

from datetime import datetime
from typing import Protocol
from uuid import UUID

from swiftpaste.application.snippets.read_models import (
    Page,
    SnippetDetails,
    SnippetListing,
    SnippetSummary,
)
from swiftpaste.domain.events import SnippetViewed
from swiftpaste.domain.snippets import ShareGrant, Snippet, SnippetVersion


class ShortIdTaken(Exception):
    """The random short id collided with an existing one; the caller draws another."""


class SnippetRepository(Protocol):
    """Snippets as aggregates, inside the request's transaction."""

    async def add(self, snippet: Snippet) -> None:
        """Stage a new snippet and its versions; raises ShortIdTaken on a collision."""

    async def get_for_update(self, snippet_id: UUID, version: int | None = None) -> Snippet | None:
        """Lock the snippet and load its latest version (and `version`, if given)."""

    async def save(self, snippet: Snippet) -> None:
        """Write the snippet's changes and any new or re-shared versions."""

    async def lock_with_due_expiries(self, now: datetime, limit: int) -> list[Snippet]:
        """Lock up to `limit` live snippets with a share window that ended unannounced.

        Each comes with just those versions loaded. Snippets locked elsewhere are
        skipped, so concurrent schedulers split the work instead of repeating it.
        """


class SnippetQueries(Protocol):
    """Read models, each in its own short read-only session."""

    async def find(self, short_id: str, version: int | None) -> SnippetDetails | None:
        """The snippet with its latest version and the asked-for one (when it exists)."""

    async def listing(self, short_id: str) -> SnippetListing | None:
        """The snippet with a summary of every version (no content)."""

    async def owned_by(self, owner_id: UUID, page: int, size: int) -> Page[SnippetSummary]: ...


class SnippetLookupUnavailable(Exception):
    """The store could not answer a lookup (unreachable, timed out, connection lost)."""


class SnippetFinder(Protocol):
    """The one lookup of the read path, on its own: what `SnippetQueries.find` answers."""

    async def find(self, short_id: str, version: int | None) -> SnippetDetails | None:
        """The snippet with the asked-for version (default the latest), when it exists.

        Raises SnippetLookupUnavailable when the store cannot answer.
        """


class SnippetRenderer(Protocol):
    """Renders the public response body once, so the cache can store the exact bytes."""

    def render(self, details: SnippetDetails, version: SnippetVersion) -> bytes: ...


class CachedSnippet(Protocol):
    @property
    def body(self) -> bytes | None: ...

    @property
    def snippet_id(self) -> UUID | None:
        """The snippet the cached body belongs to (with the body, else None)."""

    @property
    def generation(self) -> bytes | None:
        """The snippet's invalidation counter when looked up; guards the later put."""


class SnippetCache(Protocol):
    """Response bytes of public versions. Failures are absorbed: a cache never fails a read."""

    async def get(self, short_id: str, version: int | None) -> CachedSnippet: ...

    async def put(
        self,
        short_id: str,
        version: int | None,
        body: bytes,
        ttl_seconds: int,
        generation: bytes | None,
        snippet_id: UUID,
    ) -> None:
        """Store unless the snippet was invalidated since `generation` was read."""

    async def invalidate(self, short_id: str, latest_version: int) -> None:
        """Drop every cached version of the snippet (idempotent)."""


class ViewRecorder(Protocol):
    """Takes note of a successful read. Never blocks and never fails the read."""

    def record(self, view: SnippetViewed) -> None: ...


class ShareTokens(Protocol):
    def issue(self, snippet_id: UUID, version: int, expires_at: datetime) -> str: ...

    def verify(self, token: str) -> ShareGrant | None:
        """The grant a genuine token carries; None for anything forged or malformed."""


class ShortIdGenerator(Protocol):
    def new(self) -> str: ...
