"""RebuildSearchIndex: rewrite every search document from the database (`swiftpaste reindex`)."""

from dataclasses import dataclass
from uuid import UUID

from swiftpaste.application.ports.consumers import SearchDocuments
from swiftpaste.application.ports.persistence import UnitOfWork


@dataclass(frozen=True, slots=True)
class RebuildReport:
    written: int
    removed: int


class RebuildSearchIndex:
    """Repairs the index after a bug, a lost topic or a restore: page by page, one commit each.

    Safe while the indexer runs: a page never overwrites a newer document, and a
    snippet deleted meanwhile loses its document in the final sweep.
    """

    def __init__(self, documents: SearchDocuments, uow: UnitOfWork) -> None:
        self._documents = documents
        self._uow = uow

    async def __call__(self, page_size: int = 500) -> RebuildReport:
        written = 0
        after: UUID | None = None
        while True:
            page = await self._documents.refresh_page(after, page_size)
            await self._uow.commit()
            written += page.written
            if page.last_snippet_id is None:
                break
            after = page.last_snippet_id
        removed = await self._documents.remove_stale()
        await self._uow.commit()
        return RebuildReport(written=written, removed=removed)
