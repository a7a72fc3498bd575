"""SearchSnippets: ranked full-text search over everything the caller may see.

Ranking (computed by the search port, defined here): every required word, phrase or
`or` alternative that matches adds to the score — 1.0 when it matches the title,
0.4 when it matches only the content — so a title match ranks above content matches,
and matching more alternatives of an `or` ranks higher. Equal scores go newest first,
then by snippet id, so pages never overlap or skip.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from swiftpaste.application.errors import InvalidQuery
from swiftpaste.application.ports.search import SearchCriteria, SearchQueries
from swiftpaste.application.search.highlight import SCAN_CHARS, Highlighter
from swiftpaste.application.search.query import parse_query
from swiftpaste.application.snippets.read_models import Author, Page
from swiftpaste.domain.snippets import LANGUAGE_MAX_LENGTH
from swiftpaste.domain.users import USERNAME_PATTERN

MAX_PAGE_SIZE = 100
MAX_RESULT_WINDOW = 10_000
"""Deepest result reachable by paging (page times size); deeper pages are refused."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchSnippetsQuery:
    text: str
    reader_id: UUID | None
    page: int = 1
    size: int = 20
    author: str | None = None
    language: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchResult:
    short_id: str
    title: str
    author: Author | None
    """None for an anonymous snippet."""
    language: str | None
    latest_version: int
    views: int
    created_at: datetime
    score: float
    highlights: tuple[str, ...]


def _aware(moment: datetime | None) -> datetime | None:
    """A time without a zone is taken as UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _language(language: str | None) -> str | None:
    if language is None or not language.strip():
        return None
    language = language.strip().lower()
    if len(language) > LANGUAGE_MAX_LENGTH or not language.isprintable():
        raise InvalidQuery(f"language must be at most {LANGUAGE_MAX_LENGTH} printable characters")
    return language


def _author(author: str | None) -> str | None:
    if author is None or not author.strip():
        return None
    author = author.strip()
    if USERNAME_PATTERN.fullmatch(author) is None:
        raise InvalidQuery("author must be a username: 3-32 letters, digits, '_' or '-'")
    return author


class SearchSnippets:
    def __init__(self, queries: SearchQueries) -> None:
        self._queries = queries

    async def __call__(self, request: SearchSnippetsQuery) -> Page[SearchResult]:
        query = parse_query(request.text)
        if request.page < 1 or not 1 <= request.size <= MAX_PAGE_SIZE:
            raise InvalidQuery(f"page must be at least 1 and size between 1 and {MAX_PAGE_SIZE}")
        if request.page * request.size > MAX_RESULT_WINDOW:
            raise InvalidQuery(
                f"only the first {MAX_RESULT_WINDOW} results can be paged through:"
                " narrow the query instead"
            )
        after, before = _aware(request.created_after), _aware(request.created_before)
        if after is not None and before is not None and after >= before:
            raise InvalidQuery("created_after must be earlier than created_before")
        found = await self._queries.search(
            SearchCriteria(
                query=query,
                reader_id=request.reader_id,
                author=_author(request.author),
                language=_language(request.language),
                created_after=after,
                created_before=before,
                offset=(request.page - 1) * request.size,
                limit=request.size,
                excerpt_chars=SCAN_CHARS,
            ),
        )
        highlighter = Highlighter(query)
        results = tuple(
            SearchResult(
                short_id=hit.short_id,
                title=hit.title,
                author=hit.author,
                language=hit.language,
                latest_version=hit.latest_version,
                views=hit.views,
                created_at=hit.created_at,
                score=hit.score,
                highlights=highlighter.fragments(hit.title, hit.content_excerpt),
            )
            for hit in found.hits
        )
        return Page(results, found.total, request.page, request.size)
