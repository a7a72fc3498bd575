"""In-memory fakes of the consumers' ports (search documents, view ledger, cache eviction).

Like the fakes in `fakes.py`, the stores model one transaction: writes are staged
and become committed only when the shared `FakeUnitOfWork` commits.
"""

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from uuid import UUID, uuid4

from swiftpaste.application.ports.consumers import RefreshedPage, SearchDocument, TopicPartition
from tests.unit.fakes import FakeUnitOfWork


def a_document(
    snippet_id: UUID | None = None, *, aggregate_version: int = 1, content: str = "print(1)"
) -> SearchDocument:
    return SearchDocument(
        snippet_id=snippet_id or uuid4(),
        short_id="abcd1234",
        owner_id=uuid4(),
        title="notes",
        content=content,
        language="python",
        visibility="public",
        version=aggregate_version,
        expires_at=None,
        snippet_created_at=datetime(2025, 1, 1, tzinfo=UTC),
        aggregate_version=aggregate_version,
    )


class FakeSnippetSnapshots:
    """The snippets' committed state: the document each should have (absent: none)."""

    def __init__(self) -> None:
        self.documents: dict[UUID, SearchDocument] = {}
        self.reads: list[UUID] = []

    def put(self, document: SearchDocument) -> SearchDocument:
        self.documents[document.snippet_id] = document
        return document

    async def current(self, snippet_ids: Sequence[UUID]) -> dict[UUID, SearchDocument]:
        self.reads.extend(snippet_ids)
        return {i: self.documents[i] for i in snippet_ids if i in self.documents}


class FakeSearchDocuments:
    def __init__(self, uow: FakeUnitOfWork, snapshots: FakeSnippetSnapshots) -> None:
        self._snapshots = snapshots
        self.staged: dict[UUID, SearchDocument] = {}
        self.committed: dict[UUID, SearchDocument] = {}
        self.written_meanwhile: SearchDocument | None = None
        """Committed by another indexer between our version check and our write."""
        uow.enlist(self)

    def seed(self, document: SearchDocument) -> SearchDocument:
        self.staged[document.snippet_id] = document
        self.committed[document.snippet_id] = document
        return document

    def publish(self) -> None:
        self.committed = dict(self.staged)

    def discard(self) -> None:
        self.staged = dict(self.committed)

    async def indexed_versions(self, snippet_ids: Sequence[UUID]) -> dict[UUID, int]:
        return {i: self.staged[i].aggregate_version for i in snippet_ids if i in self.staged}

    async def save(self, documents: Sequence[SearchDocument]) -> int:
        if self.written_meanwhile is not None:
            self.seed(self.written_meanwhile)
        return sum(self._write(document, replace_equal=False) for document in documents)

    async def remove(self, snippet_ids: Sequence[UUID]) -> int:
        return sum(self.staged.pop(i, None) is not None for i in snippet_ids)

    async def refresh_page(self, after: UUID | None, limit: int) -> RefreshedPage:
        ids = sorted(i for i in self._snapshots.documents if after is None or i > after)[:limit]
        written = sum(self._write(self._snapshots.documents[i], replace_equal=True) for i in ids)
        return RefreshedPage(written=written, last_snippet_id=ids[-1] if ids else None)

    async def remove_stale(self) -> int:
        stale = [i for i in self.staged if i not in self._snapshots.documents]
        for snippet_id in stale:
            del self.staged[snippet_id]
        return len(stale)

    def _write(self, document: SearchDocument, *, replace_equal: bool) -> bool:
        stored = self.staged.get(document.snippet_id)
        if stored is not None and (
            stored.aggregate_version > document.aggregate_version
            or (stored.aggregate_version == document.aggregate_version and not replace_equal)
        ):
            return False
        self.staged[document.snippet_id] = replace(document)
        return True


class FakeViewLedger:
    """View counters and applied positions, staged per transaction like the real tables."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.staged_views: dict[UUID, int] = {}
        self.committed_views: dict[UUID, int] = {}
        self.staged_offsets: dict[tuple[str, str, int], int] = {}
        self.committed_offsets: dict[tuple[str, str, int], int] = {}
        self.locked: list[list[TopicPartition]] = []
        uow.enlist(self)

    def publish(self) -> None:
        self.committed_views = dict(self.staged_views)
        self.committed_offsets = dict(self.staged_offsets)

    def discard(self) -> None:
        self.staged_views = dict(self.committed_views)
        self.staged_offsets = dict(self.committed_offsets)

    async def lock_positions(
        self, group: str, partitions: Sequence[TopicPartition]
    ) -> dict[TopicPartition, int]:
        self.locked.append(list(partitions))
        return {
            (topic, partition): self.staged_offsets.get((group, topic, partition), 0)
            for topic, partition in partitions
        }

    async def add_views(self, counts: Mapping[UUID, int]) -> dict[str, int]:
        for snippet_id, count in counts.items():
            self.staged_views[snippet_id] = self.staged_views.get(snippet_id, 0) + count
        return {short_id_of(snippet_id): self.staged_views[snippet_id] for snippet_id in counts}

    async def advance(self, group: str, next_offsets: Mapping[TopicPartition, int]) -> None:
        for (topic, partition), offset in next_offsets.items():
            key = (group, topic, partition)
            self.staged_offsets[key] = max(self.staged_offsets.get(key, 0), offset)


def short_id_of(snippet_id: UUID) -> str:
    """The fake ledger's short id of a snippet: the start of its id."""
    return snippet_id.hex[:8]


class FakeLiveViewCounts:
    """The totals published, in order; `published` merges them as Redis would hold them."""

    def __init__(self) -> None:
        self.batches: list[dict[str, int]] = []

    async def publish(self, totals: dict[str, int]) -> None:
        self.batches.append(dict(totals))

    @property
    def published(self) -> dict[str, int]:
        merged: dict[str, int] = {}
        for batch in self.batches:
            merged.update(batch)
        return merged


class FakeCacheEvictor:
    def __init__(self) -> None:
        self.evicted: list[tuple[str, int]] = []

    async def evict(self, short_id: str, latest_version: int) -> None:
        self.evicted.append((short_id, latest_version))
