"""The transactional outbox: domain events stored in the transaction of the change.

Repositories hand every aggregate they load or add to the request's
`TrackedAggregates`; on commit the unit of work turns the events those aggregates
recorded into outbox rows and signals the relay with `NOTIFY`, all inside the same
transaction. A change and its events are committed together or not at all.
"""

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from swiftpaste.application.integration_events import to_message
from swiftpaste.domain.events import DomainEvent
from swiftpaste.infrastructure.persistence.tables import OUTBOX_CHANNEL


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


# One round trip: PostgreSQL runs a data-modifying WITH exactly once. The NOTIFY reaches
# listeners only at commit, folded into one per transaction. The rows go in as arrays, so
# the SQL is the same whatever their number and SQLAlchemy compiles it once (a multi-row
# VALUES would be compiled again for every transaction).
_WRITE_AND_NOTIFY = text(
    "WITH inserted AS ("
    " INSERT INTO outbox (event_id, event_type, topic, message_key, message)"
    " SELECT event_id, event_type, topic, message_key, CAST(message AS jsonb)"
    " FROM unnest(CAST(:event_ids AS uuid[]), CAST(:event_types AS text[]),"
    " CAST(:topics AS text[]), CAST(:message_keys AS text[]), CAST(:messages AS text[]))"
    " AS row_(event_id, event_type, topic, message_key, message)"
    " RETURNING id)"
    " SELECT pg_notify(:channel, '') FROM (SELECT count(*) FROM inserted) AS batch"
)


async def write_to_outbox(
    session: AsyncSession, events: list[DomainEvent], topics: OutboxTopics
) -> None:
    """Stage the events as outbox rows and wake the relay when the transaction commits."""
    if not events:
        return
    messages = [to_message(event) for event in events]
    await session.execute(
        _WRITE_AND_NOTIFY,
        {
            "channel": OUTBOX_CHANNEL,
            "event_ids": [message.event_id for message in messages],
            "event_types": [message.event_type for message in messages],
            "topics": [topics.lifecycle] * len(messages),
            "message_keys": [str(message.snippet_id) for message in messages],
            "messages": [message.model_dump_json() for message in messages],
        },
    )
