"""SqlaSnippetQueries: the read side, each query in its own short session."""

from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from swiftpaste.application.snippets.read_models import (
    Author,
    Page,
    SnippetDetails,
    SnippetListing,
    SnippetSummary,
    VersionSummary,
)
from swiftpaste.domain.snippets import Visibility
from swiftpaste.infrastructure.persistence.snippets import to_snippet, to_version
from swiftpaste.infrastructure.persistence.tables import snippet_versions, snippets, users


def snippet_details_statement(
    short_id: ColumnElement[str] | str, version: ColumnElement[int] | int | None
) -> Select[Any]:
    """The snippet, its author's name and one version (None: the latest), in one row.

    The version columns are NULL when that version does not exist. `AsyncpgSnippetFinder`
    prepares this very statement, with bound parameters in place of the values.
    """
    wanted = version if version is not None else snippets.c.latest_version
    return _with_author_and_version(select(*_DETAILS_COLUMNS), wanted).where(
        snippets.c.short_id == short_id
    )


def snippet_details_batch_statement(
    short_ids: ColumnElement[Any], versions: ColumnElement[Any]
) -> Select[Any]:
    """`snippet_details_statement` for many lookups at once: `short_ids` and `versions` are
    arrays of the same length (a NULL version: the latest). Each row is the row
    `snippet_details_statement` gives for one lookup, with that lookup's 1-based `position`
    in the arrays first; a lookup of no snippet has no row."""
    wanted = (
        func.unnest(short_ids, versions)
        .table_valued("short_id", "version", with_ordinality="position")
        .render_derived(name="wanted")
    )
    statement = select(wanted.c.position, *_DETAILS_COLUMNS).select_from(wanted)
    statement = statement.join(snippets, snippets.c.short_id == wanted.c.short_id)
    return _with_author_and_version(
        statement, func.coalesce(wanted.c.version, snippets.c.latest_version)
    )


_DETAILS_COLUMNS = (
    snippets,
    users.c.username.label("author_username"),
    snippet_versions.c.version,
    snippet_versions.c.content,
    snippet_versions.c.visibility,
    snippet_versions.c.language,
    snippet_versions.c.expires_at,
    snippet_versions.c.created_at.label("version_created_at"),
)


def _with_author_and_version(
    statement: Select[Any], version: ColumnElement[int] | int
) -> Select[Any]:
    return statement.join(users, users.c.id == snippets.c.owner_id).outerjoin(
        snippet_versions,
        (snippet_versions.c.snippet_id == snippets.c.id) & (snippet_versions.c.version == version),
    )


class SqlaSnippetQueries:
    """Opens a session only when asked, so a cache hit never touches PostgreSQL."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    async def find(self, short_id: str, version: int | None) -> SnippetDetails | None:
        statement = snippet_details_statement(short_id, version)
        async with self._session_factory() as session:
            row = (await session.execute(statement)).one_or_none()
        if row is None:
            return None
        versions = {}
        if row.version is not None:
            versions[row.version] = to_version(row, created_at_column="version_created_at")
        return SnippetDetails(
            snippet=to_snippet(row, versions),
            author=Author(id=row.owner_id, username=row.author_username),
        )

    async def listing(self, short_id: str) -> SnippetListing | None:
        async with self._session_factory() as session:
            row = (
                await session.execute(select(snippets).where(snippets.c.short_id == short_id))
            ).one_or_none()
            if row is None:
                return None
            version_rows = await session.execute(
                select(
                    snippet_versions.c.version,
                    snippet_versions.c.visibility,
                    snippet_versions.c.language,
                    snippet_versions.c.expires_at,
                    snippet_versions.c.created_at,
                    func.octet_length(snippet_versions.c.content).label("size_bytes"),
                )
                .where(snippet_versions.c.snippet_id == row.id)
                .order_by(snippet_versions.c.version),
            )
            summaries = tuple(
                VersionSummary(
                    number=v.version,
                    visibility=Visibility(v.visibility),
                    language=v.language,
                    expires_at=v.expires_at,
                    created_at=v.created_at,
                    size_bytes=v.size_bytes,
                )
                for v in version_rows
            )
        return SnippetListing(snippet=to_snippet(row, {}), versions=summaries)

    async def owned_by(self, owner_id: UUID, page: int, size: int) -> Page[SnippetSummary]:
        live = (snippets.c.owner_id == owner_id) & snippets.c.deleted_at.is_(None)
        async with self._session_factory() as session:
            total = (
                await session.execute(select(func.count()).select_from(snippets).where(live))
            ).scalar_one()
            rows = await session.execute(
                select(snippets)
                .where(live)
                .order_by(snippets.c.created_at.desc(), snippets.c.id.desc())
                .limit(size)
                .offset((page - 1) * size),
            )
            items = tuple(
                SnippetSummary(
                    id=r.id,
                    short_id=r.short_id,
                    title=r.title,
                    latest_version=r.latest_version,
                    views=r.views,
                    created_at=r.created_at,
                    updated_at=r.updated_at,
                )
                for r in rows
            )
        return Page(items=items, total=total, page=page, size=size)
