"""IndexSnippets: bring the search documents of a batch of changed snippets up to date."""

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from swiftpaste.application.integration_events import LifecycleEvent
from swiftpaste.application.ports.consumers import SearchDocuments, SnippetSnapshots
from swiftpaste.application.ports.persistence import UnitOfWork


@dataclass(frozen=True, slots=True)
class IndexTally:
    """What one batch did, per snippet (not per event: a batch may carry several each)."""

    indexed: int = 0
    removed: int = 0
    up_to_date: int = 0
    """Snippets whose stored document already reflected their newest event (or a later one)."""

    @property
    def changed(self) -> int:
        return self.indexed + self.removed

    def __add__(self, other: "IndexTally") -> "IndexTally":
        return IndexTally(
            self.indexed + other.indexed,
            self.removed + other.removed,
            self.up_to_date + other.up_to_date,
        )


def newest_versions(events: Iterable[LifecycleEvent]) -> dict[UUID, int]:
    """The newest aggregate version each snippet of the events reached."""
    newest: dict[UUID, int] = {}
    for event in events:
        seen = newest.get(event.snippet_id)
        if seen is None or event.aggregate_version > seen:
            newest[event.snippet_id] = event.aggregate_version
    return newest


class IndexSnippets:
    """Keeps the document of each live snippet equal to its latest committed version.

    An event only says *that* a snippet changed: its document is rebuilt from the
    database, so events arriving late, twice or out of order converge on the same
    result, and a burst of events about one snippet costs one rebuild. Snippets whose
    stored document is as new as their newest event are skipped without a read. A
    deleted (or vanished) snippet loses its document. Expiry of a share changes nothing
    here: the document keeps `expires_at` and search filters on it.

    The whole batch is one transaction, committed once; on failure it is rolled back,
    so the caller may retry it, or its snippets one at a time.
    """

    def __init__(
        self, snapshots: SnippetSnapshots, documents: SearchDocuments, uow: UnitOfWork
    ) -> None:
        self._snapshots = snapshots
        self._documents = documents
        self._uow = uow

    async def __call__(self, events: Iterable[LifecycleEvent]) -> IndexTally:
        newest = newest_versions(events)
        if not newest:
            return IndexTally()
        try:
            return await self._index(newest)
        except BaseException:
            await self._uow.rollback()
            raise

    async def _index(self, newest: dict[UUID, int]) -> IndexTally:
        indexed = await self._documents.indexed_versions(list(newest))
        stale = [
            snippet_id
            for snippet_id, version in newest.items()
            if snippet_id not in indexed or indexed[snippet_id] < version
        ]
        if not stale:
            return IndexTally(up_to_date=len(newest))
        current = await self._snapshots.current(stale)
        gone = [snippet_id for snippet_id in stale if snippet_id not in current]
        written = await self._documents.save(list(current.values()))
        removed = await self._documents.remove(gone)
        await self._uow.commit()
        return IndexTally(
            indexed=written, removed=removed, up_to_date=len(newest) - written - removed
        )
