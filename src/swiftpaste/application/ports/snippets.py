"""Snippet ports: the write-side repository, the read model, the cache and tokens."""

from datetime import datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from swiftpaste.application.ports.rate_limit import Admission, Admitted
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
    """The read model: one read-only statement per call, outside any transaction.

    Every method raises DependencyUnavailable when the database cannot answer.
    """

    async def find(self, short_id: str, version: int | None) -> SnippetDetails | None:
        """The snippet with the asked-for version (default the latest) when it exists."""

    async def listing(self, short_id: str) -> SnippetListing | None:
        """The snippet with a summary of every version (no content)."""

    async def owned_by(self, owner_id: UUID, page: int, size: int) -> Page[SnippetSummary]: ...


class Representation(StrEnum):
    """The forms a version is read in; each is rendered, and cached, on its own."""

    JSON = "json"
    RAW = "raw"
    PAGE = "page"
    """The web page, as every reader gets it (per-reader parts are added at the edge)."""
    EMBED = "embed"
    """The highlighted snippet alone, for an iframe on another site."""


class SnippetRenderer(Protocol):
    """Renders a version once, so the cache can store the exact bytes that are sent."""

    def render(
        self, details: SnippetDetails, version: SnippetVersion, representation: Representation
    ) -> bytes: ...


class CachedSnippet(Protocol):
    @property
    def admitted(self) -> Admitted: ...

    @property
    def body(self) -> bytes | None:
        """The cached bytes; None on a miss, a refusal or when the cache could not answer."""

    @property
    def snippet_id(self) -> UUID | None:
        """The snippet the cached body belongs to (with the body, else None)."""

    @property
    def generation(self) -> bytes | None:
        """The snippet's invalidation counter when looked up; guards the later put. None
        when the cache could not answer: nothing is written back then."""


class SnippetCache(Protocol):
    """Rendered versions of public snippets. A cache never fails a read."""

    async def look_up(
        self,
        admission: Admission,
        short_id: str,
        version: int | None,
        representation: Representation,
    ) -> CachedSnippet:
        """Admit the request (its budget, its token) and, if admitted, look the version
        up: the read path's one round trip."""

    async def put(
        self,
        short_id: str,
        version: int | None,
        representation: Representation,
        body: bytes,
        ttl_seconds: int,
        generation: bytes | None,
        snippet_id: UUID,
    ) -> None:
        """Store unless the snippet was invalidated since `generation` was read."""

    async def invalidate(self, short_id: str, latest_version: int) -> None:
        """Drop every cached form of every version of the snippet (idempotent)."""


class ViewRecorder(Protocol):
    """Takes note of a successful read. Never blocks and never fails the read."""

    def record(self, view: SnippetViewed) -> None: ...


class ShareTokens(Protocol):
    def issue(self, snippet_id: UUID, version: int, expires_at: datetime) -> str: ...

    def verify(self, token: str) -> ShareGrant | None:
        """The grant a genuine token carries; None for anything forged or malformed."""


class ShortIdGenerator(Protocol):
    def new(self) -> str: ...


class LanguageDetector(Protocol):
    def detect(self, content: str, filename: str | None) -> str | None:
        """The language of a file of this name (if any), else of this content when the
        guess is confident; None when neither tells."""
