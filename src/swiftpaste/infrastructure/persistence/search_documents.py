"""Search documents in PostgreSQL: what the indexer and `swiftpaste reindex` write.

Every write is guarded by the snippet's `aggregate_version`, so an event that
arrives late, twice or during a rebuild can never put an older state back.
"""

from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, delete, exists, func, select
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession

from swiftpaste.application.ports.consumers import RefreshedPage, SearchDocument
from swiftpaste.infrastructure.persistence.tables import (
    search_documents,
    snippet_versions,
    snippets,
)

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


def _live_documents() -> Select[Any]:
    """Each live snippet with its latest version, shaped as a search document."""
    return (
        select(
            snippets.c.id.label("snippet_id"),
            snippets.c.short_id,
            snippets.c.owner_id,
            snippets.c.title,
            snippet_versions.c.content,
            snippet_versions.c.language,
            snippet_versions.c.visibility,
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


def _upsert(statement: Insert, *, replace_equal: bool) -> Insert:
    excluded = statement.excluded
    newer: ColumnElement[bool] = (
        search_documents.c.aggregate_version <= excluded.aggregate_version
        if replace_equal
        else search_documents.c.aggregate_version < excluded.aggregate_version
    )
    return statement.on_conflict_do_update(
        index_elements=[search_documents.c.snippet_id],
        set_={name: excluded[name] for name in _DOCUMENT_COLUMNS if name != "snippet_id"}
        | {"indexed_at": func.now()},
        where=newer,
    )


class SqlaSnippetSnapshots:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def current(self, snippet_id: UUID) -> SearchDocument | None:
        row = (
            await self._session.execute(_live_documents().where(snippets.c.id == snippet_id))
        ).one_or_none()
        if row is None:
            return None
        return SearchDocument(**{name: getattr(row, name) for name in _DOCUMENT_COLUMNS})


class SqlaSearchDocuments:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def indexed_version(self, snippet_id: UUID) -> int | None:
        version: int | None = (
            await self._session.execute(
                select(search_documents.c.aggregate_version).where(
                    search_documents.c.snippet_id == snippet_id
                ),
            )
        ).scalar_one_or_none()
        return version

    async def save(self, document: SearchDocument) -> bool:
        values = {name: getattr(document, name) for name in _DOCUMENT_COLUMNS}
        statement = _upsert(insert(search_documents).values(values), replace_equal=False)
        written = await self._session.execute(statement.returning(search_documents.c.snippet_id))
        return written.first() is not None

    async def remove(self, snippet_id: UUID) -> bool:
        removed = await self._session.execute(
            delete(search_documents)
            .where(search_documents.c.snippet_id == snippet_id)
            .returning(search_documents.c.snippet_id),
        )
        return removed.first() is not None

    async def refresh_page(self, after: UUID | None, limit: int) -> RefreshedPage:
        page = select(snippets.c.id).where(snippets.c.deleted_at.is_(None))
        if after is not None:
            page = page.where(snippets.c.id > after)
        ids = list(
            (await self._session.execute(page.order_by(snippets.c.id).limit(limit))).scalars()
        )
        if not ids:
            return RefreshedPage(written=0, last_snippet_id=None)
        # Built in the database: the page's contents never travel through this process.
        statement = _upsert(
            insert(search_documents).from_select(
                list(_DOCUMENT_COLUMNS), _live_documents().where(snippets.c.id.in_(ids))
            ),
            replace_equal=True,
        )
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
