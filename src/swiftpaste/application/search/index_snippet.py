"""IndexSnippet: bring one snippet's search document up to date after a lifecycle event."""

from enum import StrEnum

from swiftpaste.application.integration_events import LifecycleEvent
from swiftpaste.application.ports.consumers import SearchDocuments, SnippetSnapshots
from swiftpaste.application.ports.persistence import UnitOfWork


class IndexOutcome(StrEnum):
    INDEXED = "indexed"
    REMOVED = "removed"
    UP_TO_DATE = "up_to_date"
    """The stored document already reflects this event (or a later one)."""


class IndexSnippet:
    """Keeps the document of a live snippet equal to its latest committed version.

    The event only says *that* the snippet changed: the document is rebuilt from
    the database, so events arriving late, twice or out of order converge on the
    same result. An event no newer than the stored document is skipped without a
    read. A deleted (or vanished) snippet loses its document. Expiry of a share
    changes nothing here: the document keeps `expires_at` and search filters on it.
    """

    def __init__(
        self, snapshots: SnippetSnapshots, documents: SearchDocuments, uow: UnitOfWork
    ) -> None:
        self._snapshots = snapshots
        self._documents = documents
        self._uow = uow

    async def __call__(self, event: LifecycleEvent) -> IndexOutcome:
        indexed = await self._documents.indexed_version(event.snippet_id)
        if indexed is not None and indexed >= event.aggregate_version:
            return IndexOutcome.UP_TO_DATE
        document = await self._snapshots.current(event.snippet_id)
        if document is None:
            await self._documents.remove(event.snippet_id)
            await self._uow.commit()
            return IndexOutcome.REMOVED
        written = await self._documents.save(document)
        await self._uow.commit()
        return IndexOutcome.INDEXED if written else IndexOutcome.UP_TO_DATE
