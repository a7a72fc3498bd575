"""Search documents in PostgreSQL: what the indexer and `swiftpaste reindex` write.

Every write is guarded by the snippet's `aggregate_version`, so an event that
arrives late, twice or during a rebuild can never put an older state back.

Each document carries its search vectors, built here from its title and content by the
application's code-aware tokenizer (`application.search.code_terms`) and sent in
tsvector input form (`text_search`): PostgreSQL's own parser never cuts them.
"""

from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, case, delete, exists, func, literal, or_, select
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession

from swiftpaste.application.ports.consumers import RefreshedPage, SearchDocument
from swiftpaste.application.search.code_terms import index_terms
from swiftpaste.infrastructure.persistence.tables import (
    search_documents,
    snippet_versions,
    snippets,
)
from swiftpaste.infrastructure.persistence.text_search import tsvector_text

_DOCUMENT_COLUMNS = (
    "snippet_id",
    "short_id",
    "owner_id",
    "title",
    "content",
    "language",
    "visibility",
    "version",
    "expires_at",
    "snippet_created_at",
    "aggregate_version",
)
_VECTOR_COLUMNS = ("title_vector", "search_vector")


def document_values(document: SearchDocument) -> dict[str, Any]:
    """The row of a document: its fields and the search vectors of its title and content."""
    values = {name: getattr(document, name) for name in _DOCUMENT_COLUMNS}
    terms = index_terms(document.title, document.content)
    values["title_vector"] = tsvector_text(terms.title)
    values["search_vector"] = tsvector_text(terms.everything)
    return values


_versions = snippet_versions.c
# Read with a condition (once, a number of times, a password): its owner alone finds it,
# as an unlisted version, so nobody reads it (or sees pieces of it) without the condition.
_GUARDED = or_(
    _versions.burn_after_reading,
    _versions.max_views.is_not(None),
    _versions.password_hash.is_not(None),
)
# Who finds the document: everyone only for a public version read without conditions.
_FOUND_BY = case(
    ((_versions.visibility == "public") & ~_GUARDED, literal("public")), else_=literal("private")
)
# A password's content is never in search, not even in its owner's highlights.
_SEARCHABLE_CONTENT = case(
    (_versions.password_hash.is_not(None), literal("")), else_=_versions.content
)


def _live_documents() -> Select[Any]:
    """Each live snippet with its latest version, shaped as a search document."""
    return (
        select(
            snippets.c.id.label("snippet_id"),
            snippets.c.short_id,
            snippets.c.owner_id,
            snippets.c.title,
            _SEARCHABLE_CONTENT.label("content"),
            snippet_versions.c.language,
            _FOUND_BY.label("visibility"),
            snippet_versions.c.version,
            snippet_versions.c.expires_at,
            snippets.c.created_at.label("snippet_created_at"),
            snippets.c.aggregate_version,
        )
        .join(
            snippet_versions,
            (snippet_versions.c.snippet_id == snippets.c.id)
            & (snippet_versions.c.version == snippets.c.latest_version),
        )
        .where(snippets.c.deleted_at.is_(None))
    )


def _document(row: Any) -> SearchDocument:
    return SearchDocument(**{name: getattr(row, name) for name in _DOCUMENT_COLUMNS})


def _upsert(statement: Insert, *, replace_equal: bool) -> Insert:
    excluded = statement.excluded
    newer: ColumnElement[bool] = (
        search_documents.c.aggregate_version <= excluded.aggregate_version
        if replace_equal
        else search_documents.c.aggregate_version < excluded.aggregate_version
    )
    return statement.on_conflict_do_update(
        index_elements=[search_documents.c.snippet_id],
        set_={
            name: excluded[name]
            for name in (*_DOCUMENT_COLUMNS, *_VECTOR_COLUMNS)
            if name != "snippet_id"
        }
        | {"indexed_at": func.now()},
        where=newer,
    )


_SAVE_NEWER = _upsert(insert(search_documents), replace_equal=False).returning(
    search_documents.c.snippet_id
)
_STATEMENT_MAX_ROWS = 500
_STATEMENT_MAX_CHARS = 4 * 1024 * 1024


def _statement_sized(documents: Sequence[SearchDocument]) -> Iterator[Sequence[SearchDocument]]:
    """The documents in runs of at most 500 rows or about 4 MiB of text per statement."""
    start, chars = 0, 0
    for end, document in enumerate(documents):
        chars += len(document.content) + len(document.title)
        if end + 1 - start >= _STATEMENT_MAX_ROWS or chars >= _STATEMENT_MAX_CHARS:
            yield documents[start : end + 1]
            start, chars = end + 1, 0
    if start < len(documents):
        yield documents[start:]


class SqlaSnippetSnapshots:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def current(self, snippet_ids: Sequence[UUID]) -> dict[UUID, SearchDocument]:
        if not snippet_ids:
            return {}
        rows = await self._session.execute(_live_documents().where(snippets.c.id.in_(snippet_ids)))
        return {row.snippet_id: _document(row) for row in rows}


class SqlaSearchDocuments:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def indexed_versions(self, snippet_ids: Sequence[UUID]) -> dict[UUID, int]:
        if not snippet_ids:
            return {}
        rows = await self._session.execute(
            select(search_documents.c.snippet_id, search_documents.c.aggregate_version).where(
                search_documents.c.snippet_id.in_(snippet_ids)
            ),
        )
        return {row.snippet_id: row.aggregate_version for row in rows}

    async def save(self, documents: Sequence[SearchDocument]) -> int:
        if not documents:
            return 0
        # Sorted by id, so two indexers writing overlapping batches (a rebalance in
        # flight) take the rows' locks in the same order.
        ordered = sorted(documents, key=lambda document: document.snippet_id)
        written = 0
        for chunk in _statement_sized(ordered):
            # One statement with a parameter set per document: SQLAlchemy sends it as one
            # multi-row INSERT, and its SQL is compiled once for all batches.
            result = await self._session.execute(
                _SAVE_NEWER, [document_values(document) for document in chunk]
            )
            written += len(result.all())
        return written

    async def remove(self, snippet_ids: Sequence[UUID]) -> int:
        if not snippet_ids:
            return 0
        removed = await self._session.execute(
            delete(search_documents)
            .where(search_documents.c.snippet_id.in_(snippet_ids))
            .returning(search_documents.c.snippet_id),
        )
        return len(removed.all())

    async def refresh_page(self, after: UUID | None, limit: int) -> RefreshedPage:
        page = select(snippets.c.id).where(snippets.c.deleted_at.is_(None))
        if after is not None:
            page = page.where(snippets.c.id > after)
        ids = list(
            (await self._session.execute(page.order_by(snippets.c.id).limit(limit))).scalars()
        )
        if not ids:
            return RefreshedPage(written=0, last_snippet_id=None)
        # The vectors are cut here, by the same tokenizer as the indexer's: the page's
        # documents are read, and written back with them.
        rows = await self._session.execute(_live_documents().where(snippets.c.id.in_(ids)))
        values = [document_values(_document(row)) for row in rows]
        if not values:
            return RefreshedPage(written=0, last_snippet_id=ids[-1])
        statement = _upsert(insert(search_documents).values(values), replace_equal=True)
        written = await self._session.execute(statement.returning(search_documents.c.snippet_id))
        return RefreshedPage(written=len(written.all()), last_snippet_id=ids[-1])

    async def remove_stale(self) -> int:
        live = exists().where(
            snippets.c.id == search_documents.c.snippet_id, snippets.c.deleted_at.is_(None)
        )
        removed = await self._session.execute(
            delete(search_documents).where(~live).returning(search_documents.c.snippet_id),
        )
        return len(removed.all())
