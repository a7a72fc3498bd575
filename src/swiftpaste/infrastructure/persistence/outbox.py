"""The transactional outbox: domain events stored in the transaction of the change.

Repositories hand every aggregate they load or add to the request's
`TrackedAggregates`; on commit the unit of work turns the events those aggregates
recorded into outbox rows and signals the relay with `NOTIFY`, all inside the same
transaction. A change and its events are committed together or not at all.
"""

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from swiftpaste.application.integration_events import to_message
from swiftpaste.domain.events import DomainEvent
from swiftpaste.infrastructure.persistence.tables import OUTBOX_CHANNEL, outbox


class RecordsEvents(Protocol):
    def pull_events(self) -> list[DomainEvent]: ...


class TrackedAggregates:
    """The aggregates one unit of work touched, in the order they were first seen."""

    def __init__(self) -> None:
        self._aggregates: dict[int, RecordsEvents] = {}

    def track(self, aggregate: RecordsEvents) -> None:
        self._aggregates.setdefault(id(aggregate), aggregate)

    def pull_events(self) -> list[DomainEvent]:
        events: list[DomainEvent] = []
        for aggregate in self._aggregates.values():
            events.extend(aggregate.pull_events())
        return events


@dataclass(frozen=True, slots=True)
class OutboxTopics:
    lifecycle: str
    """Where snippet lifecycle events go (keyed by snippet id)."""


async def write_to_outbox(
    session: AsyncSession, events: list[DomainEvent], topics: OutboxTopics
) -> None:
    """Stage the events as outbox rows and wake the relay when the transaction commits."""
    if not events:
        return
    rows = []
    for event in events:
        message = to_message(event)
        rows.append(
            {
                "event_id": message.event_id,
                "event_type": message.event_type,
                "topic": topics.lifecycle,
                "message_key": str(message.snippet_id),
                "message": message.model_dump(mode="json"),
            },
        )
    # One round trip: PostgreSQL runs a data-modifying WITH exactly once. The NOTIFY
    # reaches listeners only at commit, folded into one per transaction.
    inserted = insert(outbox).values(rows).returning(outbox.c.id).cte("inserted")
    await session.execute(
        select(func.pg_notify(OUTBOX_CHANNEL, "")).select_from(
            select(func.count()).select_from(inserted).subquery()
        )
    )
