"""CountViews: add a batch of view events to the snippets' counters, exactly once."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from swiftpaste.application.ports.consumers import StreamPosition, TopicPartition, ViewLedger
from swiftpaste.application.ports.persistence import UnitOfWork
from swiftpaste.application.ports.snippets import LiveViewCounts


@dataclass(frozen=True, slots=True)
class ViewRecord:
    position: StreamPosition
    snippet_id: UUID | None
    """None for a record that could not be read: nothing to count, but its offset is used up."""


@dataclass(frozen=True, slots=True)
class ViewTally:
    counted: int
    duplicates: int
    """Records at positions an earlier delivery already applied."""


class CountViews:
    """Applies a batch and records the positions it covered in one transaction.

    A record is counted only if its offset is at or past the partition's stored
    next offset, and the stored offsets move past the batch in the same commit: a
    batch delivered again (a crash before the broker heard the ack, a rebalance)
    finds its positions used up and changes nothing. Once committed, the new totals
    are published where cached reads find them.
    """

    def __init__(self, ledger: ViewLedger, uow: UnitOfWork, live: LiveViewCounts) -> None:
        self._ledger = ledger
        self._uow = uow
        self._live = live

    async def __call__(self, group: str, records: Sequence[ViewRecord]) -> ViewTally:
        if not records:
            return ViewTally(counted=0, duplicates=0)
        partitions = sorted({(r.position.topic, r.position.partition) for r in records})
        applied_up_to = await self._ledger.lock_positions(group, partitions)
        fresh = [
            record
            for record in records
            if record.position.offset >= applied_up_to.get(_partition_of(record), 0)
        ]
        counts = Counter(record.snippet_id for record in fresh if record.snippet_id is not None)
        totals = await self._ledger.add_views(counts) if counts else {}
        next_offsets: dict[TopicPartition, int] = {}
        for record in fresh:
            partition = _partition_of(record)
            next_offsets[partition] = max(
                next_offsets.get(partition, 0), record.position.offset + 1
            )
        if next_offsets:
            await self._ledger.advance(group, next_offsets)
        await self._uow.commit()
        await self._live.publish(totals)
        return ViewTally(counted=counts.total(), duplicates=len(records) - len(fresh))


def _partition_of(record: ViewRecord) -> TopicPartition:
    return (record.position.topic, record.position.partition)
