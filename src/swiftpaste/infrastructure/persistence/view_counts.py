"""SqlaViewLedger: view counters and the stream positions applied to them, in one transaction."""

from collections.abc import Mapping, Sequence
from uuid import UUID

from sqlalchemy import BigInteger, Uuid, column, func, select, tuple_, update, values
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from swiftpaste.application.ports.consumers import TopicPartition
from swiftpaste.infrastructure.persistence.tables import consumer_offsets, snippets


class SqlaViewLedger:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock_positions(
        self, group: str, partitions: Sequence[TopicPartition]
    ) -> dict[TopicPartition, int]:
        ordered = sorted(set(partitions))
        # A partition seen for the first time gets its row now, so there is always a
        # row to lock: two members racing over a new partition queue up on it.
        await self._session.execute(
            insert(consumer_offsets)
            .values(
                [
                    {"group_id": group, "topic": topic, "partition": partition, "next_offset": 0}
                    for topic, partition in ordered
                ],
            )
            .on_conflict_do_nothing(),
        )
        rows = await self._session.execute(
            select(
                consumer_offsets.c.topic,
                consumer_offsets.c.partition,
                consumer_offsets.c.next_offset,
            )
            .where(
                consumer_offsets.c.group_id == group,
                tuple_(consumer_offsets.c.topic, consumer_offsets.c.partition).in_(ordered),
            )
            .order_by(consumer_offsets.c.topic, consumer_offsets.c.partition)
            .with_for_update(),
        )
        return {(row.topic, row.partition): row.next_offset for row in rows}

    async def add_views(self, counts: Mapping[UUID, int]) -> dict[str, int]:
        ordered = sorted(counts.items())
        # Rows are locked in id order first (as the scheduler does), so two members
        # adding to overlapping snippets wait for each other instead of deadlocking.
        await self._session.execute(
            select(snippets.c.id)
            .where(snippets.c.id.in_([snippet_id for snippet_id, _ in ordered]))
            .order_by(snippets.c.id)
            .with_for_update(),
        )
        increments = values(
            column("snippet_id", Uuid), column("views", BigInteger), name="increments"
        ).data(ordered)
        totals = await self._session.execute(
            update(snippets)
            .values(views=snippets.c.views + increments.c.views)
            .where(snippets.c.id == increments.c.snippet_id)
            .returning(snippets.c.short_id, snippets.c.views),
        )
        return {row.short_id: row.views for row in totals}

    async def advance(self, group: str, next_offsets: Mapping[TopicPartition, int]) -> None:
        statement = insert(consumer_offsets).values(
            [
                {"group_id": group, "topic": topic, "partition": partition, "next_offset": offset}
                for (topic, partition), offset in sorted(next_offsets.items())
            ],
        )
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[
                    consumer_offsets.c.group_id,
                    consumer_offsets.c.topic,
                    consumer_offsets.c.partition,
                ],
                set_={"next_offset": statement.excluded.next_offset, "updated_at": func.now()},
                where=consumer_offsets.c.next_offset < statement.excluded.next_offset,
            ),
        )
