"""Domain events: what happened to a snippet, as immutable facts.

The Snippet aggregate records the lifecycle events (created, revised, shared,
deleted, expired, burned, view limit reached); the unit of work writes them to the
outbox in the same transaction as the change. `SnippetViewed` is recorded by the read path instead:
a view changes no state, so it carries no aggregate version of its own.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar
from uuid import UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainEvent:
    event_type: ClassVar[str] = "snippet.event"

    snippet_id: UUID
    short_id: str
    owner_id: UUID | None
    """None for an anonymous snippet."""
    occurred_at: datetime
    latest_version: int
    """The snippet's newest version number once the change is made."""
    aggregate_version: int = 0
    """Set by the aggregate when it records the event: monotonic per snippet."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SnippetCreated(DomainEvent):
    event_type: ClassVar[str] = "snippet.created"
    title: str
    visibility: str
    language: str | None
    expires_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SnippetRevised(DomainEvent):
    event_type: ClassVar[str] = "snippet.revised"
    title: str
    visibility: str
    language: str | None
    expires_at: datetime | None
    title_changed: bool
    new_version: bool
    """False for a title-only change: the latest version stayed the same."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SnippetShared(DomainEvent):
    event_type: ClassVar[str] = "snippet.shared"
    version: int
    visibility: str
    expires_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class SnippetDeleted(DomainEvent):
    event_type: ClassVar[str] = "snippet.deleted"


@dataclass(frozen=True, slots=True, kw_only=True)
class SnippetExpired(DomainEvent):
    event_type: ClassVar[str] = "snippet.expired"
    version: int
    visibility: str
    expires_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class SnippetBurned(DomainEvent):
    """A burn-after-reading version was read by someone else: its content is erased."""

    event_type: ClassVar[str] = "snippet.burned"
    version: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SnippetViewLimitReached(DomainEvent):
    """A version was read as many times as its limit allows: nobody else reads it again."""

    event_type: ClassVar[str] = "snippet.view_limit_reached"
    version: int
    max_views: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SnippetViewed:
    """A successful read of a snippet, from the cache or the database."""

    event_type: ClassVar[str] = "snippet.viewed"
    snippet_id: UUID
    short_id: str
    version: int | None
    """The version asked for; None means "the latest"."""
    occurred_at: datetime
