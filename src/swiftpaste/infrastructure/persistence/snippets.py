"""SqlaSnippetRepository: the Snippet aggregate in `snippets` and `snippet_versions`."""

from typing import Any
from uuid import UUID

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from swiftpaste.application.ports.snippets import ShortIdTaken
from swiftpaste.domain.snippets import Snippet, SnippetVersion, Visibility
from swiftpaste.infrastructure.persistence.errors import violated_constraint
from swiftpaste.infrastructure.persistence.tables import (
    SNIPPETS_SHORT_ID_UNIQUE,
    snippet_versions,
    snippets,
)


def to_version(row: Any, created_at_column: str = "created_at") -> SnippetVersion:
    """`created_at_column` names the column when a join gave it another label."""
    return SnippetVersion(
        number=row.version,
        content=row.content,
        visibility=Visibility(row.visibility),
        language=row.language,
        expires_at=row.expires_at,
        created_at=getattr(row, created_at_column),
    )


def to_snippet(row: Any, versions: dict[int, SnippetVersion]) -> Snippet:
    return Snippet(
        id=row.id,
        short_id=row.short_id,
        title=row.title,
        owner_id=row.owner_id,
        latest_version=row.latest_version,
        views=row.views,
        created_at=row.created_at,
        updated_at=row.updated_at,
        deleted_at=row.deleted_at,
        aggregate_version=row.aggregate_version,
        versions=versions,
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
    }


class SqlaSnippetRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, snippet: Snippet) -> None:
        try:
            # A savepoint, so a short-id collision leaves the transaction usable for a retry.
            async with self._session.begin_nested():
                await self._session.execute(
                    insert(snippets).values(
                        id=snippet.id,
                        short_id=snippet.short_id,
                        title=snippet.title,
                        owner_id=snippet.owner_id,
                        latest_version=snippet.latest_version,
                        views=snippet.views,
                        aggregate_version=snippet.aggregate_version,
                        created_at=snippet.created_at,
                        updated_at=snippet.updated_at,
                        deleted_at=snippet.deleted_at,
                    ),
                )
                await self._write_versions(snippet)
        except IntegrityError as error:
            if violated_constraint(error) == SNIPPETS_SHORT_ID_UNIQUE:
                raise ShortIdTaken(snippet.short_id) from error
            raise

    async def get_for_update(self, snippet_id: UUID, version: int | None = None) -> Snippet | None:
        row = (
            await self._session.execute(
                select(snippets).where(snippets.c.id == snippet_id).with_for_update(),
            )
        ).one_or_none()
        if row is None:
            return None
        wanted = {row.latest_version} | ({version} if version is not None else set())
        version_rows = await self._session.execute(
            select(snippet_versions).where(
                snippet_versions.c.snippet_id == snippet_id,
                snippet_versions.c.version.in_(wanted),
            ),
        )
        return to_snippet(row, {r.version: to_version(r) for r in version_rows})

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
        statement = pg_insert(snippet_versions).values(
            [_version_row(snippet.id, v) for v in snippet.versions.values()],
        )
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[snippet_versions.c.snippet_id, snippet_versions.c.version],
                set_={"expires_at": statement.excluded.expires_at},
            ),
        )
