"""Search port: ranked matches among the documents the indexer keeps."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from swiftpaste.application.search.query import SearchQuery
from swiftpaste.application.snippets.read_models import Author


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchCriteria:
    """What to look for, for whom, and which page of the ranking."""

    query: SearchQuery
    reader_id: UUID | None
    """Signed-in caller: their own snippets of any visibility are searched too."""
    author: str | None = None
    """Only snippets of the account with this username (any case)."""
    language: str | None = None
    """Only snippets in this language (lower case)."""
    created_after: datetime | None = None
    created_before: datetime | None = None
    offset: int = 0
    limit: int = 20
    excerpt_chars: int = 10_000
    """How much of each hit's content to return for highlighting."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchHit:
    snippet_id: UUID
    short_id: str
    title: str
    author: Author | None
    """None for an anonymous snippet."""
    language: str | None
    latest_version: int
    views: int
    created_at: datetime
    score: float
    content_excerpt: str
    """The start of the content (`excerpt_chars` characters), for highlights."""


@dataclass(frozen=True, slots=True)
class SearchHits:
    hits: tuple[SearchHit, ...]
    total: int
    """Every match the caller may see, not just this page."""


class SearchQueries(Protocol):
    async def search(self, criteria: SearchCriteria) -> SearchHits:
        """Matches the caller may see, best first: score, then newest, then id.

        Visible means: public, with no share window or one still open; or the
        caller's own, whatever its visibility or expiry.
        """
