"""Snippet ports: the write-side repository, the read model, the cache and tokens."""

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
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


class SnippetTransaction(Protocol):
    """A unit of work of its own, for a read that changes the snippet it reads."""

    @property
    def snippets(self) -> SnippetRepository: ...

    async def commit(self) -> None: ...


class SnippetTransactions(Protocol):
    def begin(self) -> AbstractAsyncContextManager[SnippetTransaction]:
        """A transaction, rolled back at the end unless committed."""


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


@dataclass(frozen=True, slots=True)
class Rendered:
    """A version rendered once, as it is sent and cached. A form that shows the snippet's
    view count has it between `head` and `tail`, so a cached copy shows the live count."""

    head: bytes
    tail: bytes | None = None
    """None: this form shows no view count; `head` is the whole body."""

    def body(self, views: int) -> bytes:
        return self.head if self.tail is None else b"%b%d%b" % (self.head, views, self.tail)


class SnippetRenderer(Protocol):
    def render(
        self, details: SnippetDetails, version: SnippetVersion, representation: Representation
    ) -> Rendered: ...


class CachedSnippet(Protocol):
    @property
    def admitted(self) -> Admitted: ...

    @property
    def rendered(self) -> Rendered | None:
        """The cached form; None on a miss, a refusal or when the cache could not answer."""

    @property
    def views(self) -> int | None:
        """The snippet's counted views, as fresh as the cache knows them (with `rendered`)."""

    @property
    def snippet_id(self) -> UUID | None:
        """The snippet the cached body belongs to (with the body, else None)."""

    @property
    def etag(self) -> str | None:
        """The entity tag of the cached body (with the body, else None)."""

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
        rendered: Rendered,
        views: int,
        ttl_seconds: int,
        generation: bytes | None,
        snippet_id: UUID,
        etag: str,
    ) -> None:
        """Store unless the snippet was invalidated since `generation` was read; `views`
        is the count `rendered` was made with."""

    async def invalidate(self, short_id: str, latest_version: int) -> None:
        """Drop every cached form of every version of the snippet (idempotent)."""


class LiveViewCounts(Protocol):
    """The view counts reads show, kept where a cached read finds them."""

    async def publish(self, totals: dict[str, int]) -> None:
        """The new totals by short id. Never raises: a count not published in time is
        published with the next view of the snippet, and a read falls back to the count
        its cached copy was made with."""


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
