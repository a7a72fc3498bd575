"""Domain events the Snippet aggregate records; the outbox publishes them."""

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar
from uuid import UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainEvent:
    event_type: ClassVar[str] = "snippet.event"

    snippet_id: UUID
    occurred_at: datetime
    aggregate_version: int = 0
    """Set by the aggregate when it records the event: monotonic per snippet."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SnippetCreated(DomainEvent):
    event_type: ClassVar[str] = "snippet.created"
    version: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SnippetRevised(DomainEvent):
    event_type: ClassVar[str] = "snippet.revised"
    version: int
    title_changed: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SnippetShared(DomainEvent):
    event_type: ClassVar[str] = "snippet.shared"
    version: int
    expires_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SnippetDeleted(DomainEvent):
    event_type: ClassVar[str] = "snippet.deleted"
