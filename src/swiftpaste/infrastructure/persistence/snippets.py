"""SqlaSnippetRepository: the Snippet aggregate in `snippets` and `snippet_versions`."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import case, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from swiftpaste.application.ports.snippets import ShortIdTaken
from swiftpaste.domain.snippets import Snippet, SnippetVersion, Visibility
from swiftpaste.infrastructure.persistence.outbox import TrackedAggregates
from swiftpaste.infrastructure.persistence.tables import (
    snippet_versions,
    snippets,
)


def to_version(row: Mapping[Any, Any], created_at_column: str = "created_at") -> SnippetVersion:
    """A version from a row of `snippet_versions` (SQLAlchemy's `.mappings()` or asyncpg's
    records); `created_at_column` names the column when a join gave it another label."""
    return SnippetVersion(
        number=row["version"],
        content=row["content"],
        visibility=Visibility(row["visibility"]),
        language=row["language"],
        expires_at=row["expires_at"],
        created_at=row[created_at_column],
        expired_at=row.get("expired_at"),
        burn_after_reading=row["burn_after_reading"],
        max_views=row["max_views"],
        views_used=row["views_used"],
        password_hash=row["password_hash"],
        burned_at=row["burned_at"],
    )


def to_snippet(row: Mapping[Any, Any], versions: dict[int, SnippetVersion]) -> Snippet:
    """The aggregate from a row of `snippets`, with the versions loaded beside it."""
    return Snippet(
        id=row["id"],
        short_id=row["short_id"],
        title=row["title"],
        owner_id=row["owner_id"],
        latest_version=row["latest_version"],
        views=row["views"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        deleted_at=row["deleted_at"],
        delete_token_digest=row["delete_token_digest"],
        filename=row["filename"],
        aggregate_version=row["aggregate_version"],
        versions=versions,
    )


def _upsert_version() -> Any:
    statement = pg_insert(snippet_versions)
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[snippet_versions.c.snippet_id, snippet_versions.c.version],
        # What may change in a stored version: its share window, its count of reads,
        # and, once burned, its content (erased; otherwise left as stored, not rewritten).
        set_={
            "expires_at": excluded.expires_at,
            "expired_at": excluded.expired_at,
            "views_used": excluded.views_used,
            "burned_at": excluded.burned_at,
            "content": case(
                (excluded.burned_at.is_not(None), excluded.content),
                else_=snippet_versions.c.content,
            ),
        },
    )


_UPSERT_VERSION = _upsert_version()
# Built once and given its values as parameters: a statement built per call with
# `.values(...)` is coerced and keyed for the compiled-statement cache every time.
_INSERT_SNIPPET = (
    pg_insert(snippets)
    .on_conflict_do_nothing(index_elements=[snippets.c.short_id])
    .returning(snippets.c.id)
)


def _version_row(snippet_id: UUID, version: SnippetVersion) -> dict[str, Any]:
    return {
        "snippet_id": snippet_id,
        "version": version.number,
        "content": version.content,
        "visibility": version.visibility.value,
        "language": version.language,
        "expires_at": version.expires_at,
        "created_at": version.created_at,
        "expired_at": version.expired_at,
        "burn_after_reading": version.burn_after_reading,
        "max_views": version.max_views,
        "views_used": version.views_used,
        "password_hash": version.password_hash,
        "burned_at": version.burned_at,
    }


class SqlaSnippetRepository:
    """Every snippet it hands out or stages is tracked, so its events reach the outbox."""

    def __init__(self, session: AsyncSession, aggregates: TrackedAggregates) -> None:
        self._session = session
        self._aggregates = aggregates

    async def add(self, snippet: Snippet) -> None:
        self._aggregates.track(snippet)
        # A short-id collision inserts nothing (rather than failing), so the transaction
        # stays usable for a retry without the two round trips of a savepoint.
        inserted = await self._session.execute(
            _INSERT_SNIPPET,
            {
                "id": snippet.id,
                "short_id": snippet.short_id,
                "title": snippet.title,
                "owner_id": snippet.owner_id,
                "latest_version": snippet.latest_version,
                "views": snippet.views,
                "aggregate_version": snippet.aggregate_version,
                "created_at": snippet.created_at,
                "updated_at": snippet.updated_at,
                "deleted_at": snippet.deleted_at,
                "delete_token_digest": snippet.delete_token_digest,
                "filename": snippet.filename,
            },
        )
        if inserted.first() is None:
            raise ShortIdTaken(snippet.short_id)
        await self._write_versions(snippet)

    async def get_for_update(self, snippet_id: UUID, version: int | None = None) -> Snippet | None:
        row = (
            (
                await self._session.execute(
                    select(snippets).where(snippets.c.id == snippet_id).with_for_update(),
                )
            )
            .mappings()
            .one_or_none()
        )
        if row is None:
            return None
        wanted = {row["latest_version"]} | ({version} if version is not None else set())
        version_rows = await self._session.execute(
            select(snippet_versions).where(
                snippet_versions.c.snippet_id == snippet_id,
                snippet_versions.c.version.in_(wanted),
            ),
        )
        snippet = to_snippet(row, {r["version"]: to_version(r) for r in version_rows.mappings()})
        self._aggregates.track(snippet)
        return snippet

    async def lock_with_due_expiries(self, now: datetime, limit: int) -> list[Snippet]:
        """Live snippets with a share window that ended unannounced, with those versions.

        Snippets another transaction holds are skipped (SKIP LOCKED), so scheduler
        replicas share the work and never announce the same expiry twice. The
        snippet row is locked before its versions, in the order every writer uses.
        """
        due = (
            select(snippet_versions.c.snippet_id)
            .where(
                snippet_versions.c.expires_at <= now,
                snippet_versions.c.expired_at.is_(None),
            )
            .scalar_subquery()
        )
        rows = (
            (
                await self._session.execute(
                    select(snippets)
                    .where(snippets.c.id.in_(due), snippets.c.deleted_at.is_(None))
                    .order_by(snippets.c.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True),
                )
            )
            .mappings()
            .all()
        )
        if not rows:
            return []
        version_rows = await self._session.execute(
            select(snippet_versions).where(
                snippet_versions.c.snippet_id.in_([row["id"] for row in rows]),
                snippet_versions.c.expires_at <= now,
                snippet_versions.c.expired_at.is_(None),
            ),
        )
        by_snippet: dict[UUID, dict[int, SnippetVersion]] = {row["id"]: {} for row in rows}
        for version_row in version_rows.mappings():
            by_snippet[version_row["snippet_id"]][version_row["version"]] = to_version(version_row)
        found = [to_snippet(row, by_snippet[row["id"]]) for row in rows]
        for snippet in found:
            self._aggregates.track(snippet)
        return found

    async def save(self, snippet: Snippet) -> None:
        await self._session.execute(
            update(snippets)
            .where(snippets.c.id == snippet.id)
            .values(
                title=snippet.title,
                latest_version=snippet.latest_version,
                aggregate_version=snippet.aggregate_version,
                updated_at=snippet.updated_at,
                deleted_at=snippet.deleted_at,
            ),
        )
        await self._write_versions(snippet)

    async def _write_versions(self, snippet: Snippet) -> None:
        """Insert new versions; for existing ones only the share window can change."""
        if not snippet.versions:
            return
        # A parameter set per version: one multi-row INSERT on the wire, and SQL that is
        # compiled once (a multi-row `.values([...])` would be compiled every time).
        await self._session.execute(
            _UPSERT_VERSION,
            [_version_row(snippet.id, v) for v in snippet.versions.values()],
        )
