"""AsyncpgSnippetQueries: the snippet read model, one statement per call on the read pool."""

from typing import Any
from uuid import UUID

from sqlalchemy import Integer, Select, String, bindparam, func, select
from sqlalchemy.types import Uuid

from swiftpaste.application.snippets.read_models import (
    Author,
    Page,
    SnippetDetails,
    SnippetListing,
    SnippetSummary,
    VersionSummary,
)
from swiftpaste.domain.snippets import Visibility
from swiftpaste.infrastructure.persistence.read_pool import ReadPool, Statement
from swiftpaste.infrastructure.persistence.snippets import to_snippet, to_version
from swiftpaste.infrastructure.persistence.tables import snippet_versions, snippets, users

_SHORT_ID = bindparam("short_id", type_=String)
_OWNER = bindparam("owner_id", type_=Uuid)
_CONDITIONS = (
    snippet_versions.c.burn_after_reading,
    snippet_versions.c.max_views,
    snippet_versions.c.views_used,
    snippet_versions.c.password_hash,
    snippet_versions.c.burned_at,
)


def _details(version: Any) -> Select[Any]:
    """The snippet, its author's name (NULL when anonymous) and one version (its columns
    NULL when that version does not exist), in one row."""
    return (
        select(
            snippets,
            users.c.username.label("author_username"),
            snippet_versions.c.version,
            snippet_versions.c.content,
            snippet_versions.c.visibility,
            snippet_versions.c.language,
            snippet_versions.c.expires_at,
            snippet_versions.c.created_at.label("version_created_at"),
            *_CONDITIONS,
        )
        .outerjoin(users, users.c.id == snippets.c.owner_id)
        .outerjoin(
            snippet_versions,
            (snippet_versions.c.snippet_id == snippets.c.id)
            & (snippet_versions.c.version == version),
        )
        .where(snippets.c.short_id == _SHORT_ID)
    )


_BY_VERSION = Statement.of(_details(bindparam("version", type_=Integer)))
_LATEST = Statement.of(_details(snippets.c.latest_version))
_SUMMARY = (
    snippet_versions.c.version,
    snippet_versions.c.visibility,
    snippet_versions.c.language,
    snippet_versions.c.expires_at,
    snippet_versions.c.created_at.label("version_created_at"),
    func.octet_length(snippet_versions.c.content).label("size_bytes"),
    *_CONDITIONS,
)
_LISTING = Statement.of(
    select(snippets, *_SUMMARY)
    .outerjoin(snippet_versions, snippet_versions.c.snippet_id == snippets.c.id)
    .where(snippets.c.short_id == _SHORT_ID)
    .order_by(snippet_versions.c.version)
)
_LIVE_OWNED = (snippets.c.owner_id == _OWNER) & snippets.c.deleted_at.is_(None)
_OWNED_COUNT = Statement.of(select(func.count()).select_from(snippets).where(_LIVE_OWNED))
_OWNED_PAGE = Statement.of(
    select(snippets, *_SUMMARY)
    .join(
        snippet_versions,
        (snippet_versions.c.snippet_id == snippets.c.id)
        & (snippet_versions.c.version == snippets.c.latest_version),
    )
    .where(_LIVE_OWNED)
    .order_by(snippets.c.created_at.desc(), snippets.c.id.desc())
    .limit(bindparam("limit", type_=Integer))
    .offset(bindparam("offset", type_=Integer))
)


def _version_summary(row: Any) -> VersionSummary:
    return VersionSummary(
        number=row["version"],
        visibility=Visibility(row["visibility"]),
        language=row["language"],
        expires_at=row["expires_at"],
        created_at=row["version_created_at"],
        size_bytes=row["size_bytes"],
        burn_after_reading=row["burn_after_reading"],
        max_views=row["max_views"],
        views_used=row["views_used"],
        password_protected=row["password_hash"] is not None,
        burned=row["burned_at"] is not None,
    )


class AsyncpgSnippetQueries:
    def __init__(self, pool: ReadPool) -> None:
        self._pool = pool

    async def find(self, short_id: str, version: int | None) -> SnippetDetails | None:
        statement = _LATEST if version is None else _BY_VERSION
        values = {"short_id": short_id, "version": version}
        row = await self._pool.fetch_one(statement.sql, statement.arguments(values))
        if row is None:
            return None
        versions = {}
        if row["version"] is not None:
            versions[row["version"]] = to_version(row, created_at_column="version_created_at")
        owner_id = row["owner_id"]
        return SnippetDetails(
            snippet=to_snippet(row, versions),
            author=None if owner_id is None else Author(owner_id, row["author_username"]),
        )

    async def listing(self, short_id: str) -> SnippetListing | None:
        rows = await self._pool.fetch(_LISTING.sql, _LISTING.arguments({"short_id": short_id}))
        if not rows:
            return None
        summaries = tuple(_version_summary(row) for row in rows if row["version"] is not None)
        return SnippetListing(snippet=to_snippet(rows[0], {}), versions=summaries)

    async def owned_by(self, owner_id: UUID, page: int, size: int) -> Page[SnippetSummary]:
        values = {"owner_id": owner_id, "limit": size, "offset": (page - 1) * size}
        counted = await self._pool.fetch_one(_OWNED_COUNT.sql, _OWNED_COUNT.arguments(values))
        total = int(counted[0]) if counted else 0
        rows = await self._pool.fetch(_OWNED_PAGE.sql, _OWNED_PAGE.arguments(values))
        items = tuple(
            SnippetSummary(
                id=row["id"],
                short_id=row["short_id"],
                title=row["title"],
                latest_version=row["latest_version"],
                views=row["views"],
                created_at=row["created_at"],
                updated_at=row["updated_at"],
                latest=_version_summary(row),
            )
            for row in rows
        )
        return Page(items=items, total=total, page=page, size=size)
