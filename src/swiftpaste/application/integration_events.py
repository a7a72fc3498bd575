"""Integration events: every message SwiftPaste puts on Kafka, as pydantic models.

Each message is an envelope — `event_id`, `event_type`, `schema_version`,
`occurred_at`, `snippet_id`, `aggregate_version`, `payload` — keyed by the snippet
id, so one snippet's events stay in order within a partition. Consumers outside
this codebase rely on these shapes: a field is never removed, renamed or retyped
within a schema version (tests/unit/application/test_event_contract.py pins them);
new optional fields may appear.

`aggregate_version` grows by one with every lifecycle change of a snippet; a
consumer that stores it can ignore anything older. Views change no state and
carry 0.

Schema version 2: `owner_id` is null for an anonymous snippet (version 1 always had one).
"""

import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from swiftpaste.domain.events import (
    DomainEvent,
    SnippetBurned,
    SnippetCreated,
    SnippetDeleted,
    SnippetExpired,
    SnippetRevised,
    SnippetShared,
    SnippetViewed,
    SnippetViewLimitReached,
)

SCHEMA_VERSION = 2

Visibility = Literal["public", "unlisted", "private"]


class _Model(BaseModel):
    # Unknown fields are ignored, so a newer producer never breaks an older consumer.
    model_config = ConfigDict(frozen=True, extra="ignore")


class SnippetRef(_Model):
    """What every lifecycle payload says about the snippet."""

    short_id: str = Field(description="The snippet's 8-character link id.")
    owner_id: UUID | None = Field(description="The owner's user id; null: an anonymous snippet.")
    latest_version: int = Field(ge=1, description="The newest version number after the change.")


class SnippetCreatedPayload(SnippetRef):
    title: str
    visibility: Visibility
    language: str | None
    expires_at: datetime | None


class SnippetRevisedPayload(SnippetRef):
    title: str
    visibility: Visibility = Field(description="Visibility of the latest version.")
    language: str | None
    expires_at: datetime | None
    title_changed: bool
    new_version: bool = Field(description="False when only the title changed.")


class SnippetSharedPayload(SnippetRef):
    version: int = Field(ge=1)
    visibility: Visibility
    expires_at: datetime


class SnippetDeletedPayload(SnippetRef):
    pass


class SnippetExpiredPayload(SnippetRef):
    version: int = Field(ge=1)
    visibility: Visibility
    expires_at: datetime


class SnippetBurnedPayload(SnippetRef):
    version: int = Field(ge=1, description="The version read once; its content is erased.")


class SnippetViewLimitReachedPayload(SnippetRef):
    version: int = Field(ge=1, description="The version nobody but its owner reads again.")
    max_views: int = Field(ge=1)


class SnippetViewedPayload(_Model):
    short_id: str
    version: int | None = Field(description="The version asked for; null means the latest.")


class _Envelope(_Model):
    event_id: UUID
    schema_version: int = SCHEMA_VERSION
    occurred_at: datetime
    snippet_id: UUID
    aggregate_version: int = Field(ge=0)


class SnippetCreatedEvent(_Envelope):
    event_type: Literal["snippet.created"] = "snippet.created"
    payload: SnippetCreatedPayload


class SnippetRevisedEvent(_Envelope):
    event_type: Literal["snippet.revised"] = "snippet.revised"
    payload: SnippetRevisedPayload


class SnippetSharedEvent(_Envelope):
    event_type: Literal["snippet.shared"] = "snippet.shared"
    payload: SnippetSharedPayload


class SnippetDeletedEvent(_Envelope):
    event_type: Literal["snippet.deleted"] = "snippet.deleted"
    payload: SnippetDeletedPayload


class SnippetExpiredEvent(_Envelope):
    event_type: Literal["snippet.expired"] = "snippet.expired"
    payload: SnippetExpiredPayload


class SnippetBurnedEvent(_Envelope):
    event_type: Literal["snippet.burned"] = "snippet.burned"
    payload: SnippetBurnedPayload


class SnippetViewLimitReachedEvent(_Envelope):
    event_type: Literal["snippet.view_limit_reached"] = "snippet.view_limit_reached"
    payload: SnippetViewLimitReachedPayload


class SnippetViewedEvent(_Envelope):
    event_type: Literal["snippet.viewed"] = "snippet.viewed"
    payload: SnippetViewedPayload


LifecycleEvent = Annotated[
    SnippetCreatedEvent
    | SnippetRevisedEvent
    | SnippetSharedEvent
    | SnippetDeletedEvent
    | SnippetExpiredEvent
    | SnippetBurnedEvent
    | SnippetViewLimitReachedEvent,
    Field(discriminator="event_type"),
]
"""Any message of the snippet-events topic."""

LIFECYCLE_EVENTS: TypeAdapter[LifecycleEvent] = TypeAdapter(LifecycleEvent)

ALL_EVENT_MODELS: tuple[type[_Envelope], ...] = (
    SnippetCreatedEvent,
    SnippetRevisedEvent,
    SnippetSharedEvent,
    SnippetDeletedEvent,
    SnippetExpiredEvent,
    SnippetBurnedEvent,
    SnippetViewLimitReachedEvent,
    SnippetViewedEvent,
)


def parse_lifecycle_event(data: bytes | str) -> LifecycleEvent:
    """Validate a snippet-events message; raises pydantic.ValidationError if it is not one."""
    return LIFECYCLE_EVENTS.validate_json(data)


def _ref(event: DomainEvent) -> dict[str, object]:
    return {
        "short_id": event.short_id,
        "owner_id": event.owner_id,
        "latest_version": event.latest_version,
    }


def to_message(event: DomainEvent, event_id: UUID | None = None) -> LifecycleEvent:
    """The envelope of a lifecycle event the aggregate recorded."""
    envelope = {
        "event_id": event_id or uuid4(),
        "occurred_at": event.occurred_at,
        "snippet_id": event.snippet_id,
        "aggregate_version": event.aggregate_version,
    }
    match event:
        case SnippetCreated():
            return SnippetCreatedEvent.model_validate(
                envelope
                | {
                    "payload": _ref(event)
                    | {
                        "title": event.title,
                        "visibility": event.visibility,
                        "language": event.language,
                        "expires_at": event.expires_at,
                    },
                },
            )
        case SnippetRevised():
            return SnippetRevisedEvent.model_validate(
                envelope
                | {
                    "payload": _ref(event)
                    | {
                        "title": event.title,
                        "visibility": event.visibility,
                        "language": event.language,
                        "expires_at": event.expires_at,
                        "title_changed": event.title_changed,
                        "new_version": event.new_version,
                    },
                },
            )
        case SnippetShared() | SnippetExpired():
            model: type[SnippetSharedEvent | SnippetExpiredEvent] = (
                SnippetSharedEvent if isinstance(event, SnippetShared) else SnippetExpiredEvent
            )
            return model.model_validate(
                envelope
                | {
                    "payload": _ref(event)
                    | {
                        "version": event.version,
                        "visibility": event.visibility,
                        "expires_at": event.expires_at,
                    },
                },
            )
        case SnippetDeleted():
            return SnippetDeletedEvent.model_validate(envelope | {"payload": _ref(event)})
        case SnippetBurned():
            return SnippetBurnedEvent.model_validate(
                envelope | {"payload": _ref(event) | {"version": event.version}},
            )
        case SnippetViewLimitReached():
            return SnippetViewLimitReachedEvent.model_validate(
                envelope
                | {
                    "payload": _ref(event)
                    | {"version": event.version, "max_views": event.max_views},
                },
            )
    msg = f"no message schema for {type(event).__name__}"
    raise TypeError(msg)


def viewed_message(view: SnippetViewed) -> SnippetViewedEvent:
    return SnippetViewedEvent(
        event_id=uuid4(),
        occurred_at=view.occurred_at,
        snippet_id=view.snippet_id,
        aggregate_version=0,
        payload=SnippetViewedPayload(short_id=view.short_id, version=view.version),
    )


def random_uuid_text() -> str:
    """`str(uuid4())` without building a UUID (a third of the cost): 122 random bits, the
    version digit 4 and the RFC 4122 variant, in the usual 8-4-4-4-12 form."""
    return _uuid4_text(os.urandom(16).hex())


def _uuid4_text(digits: str) -> str:
    """32 random hex digits written as a version 4 UUID."""
    variant = "89ab"[int(digits[16], 16) & 3]
    return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{variant}{digits[17:20]}-{digits[20:]}"


def viewed_json(view: SnippetViewed, event_id: UUID | None = None) -> bytes:
    """The JSON of `viewed_message(view)`, written without pydantic; a unit test checks it
    parses to the same `SnippetViewedEvent`. Many at once: `viewed_jsons`."""
    return _viewed_json(
        view,
        str(event_id) if event_id else random_uuid_text(),
        str(view.snippet_id),
        view.occurred_at.isoformat(),
    )


def viewed_jsons(views: Sequence[SnippetViewed], snippet_ids: Sequence[str]) -> list[bytes]:
    """`viewed_json` of each view, with `snippet_ids` their snippet ids as text.

    Every read produces a view, and the API writes them a round at a time, so what can be
    shared is: one read of the system's randomness for all the event ids, and the date
    and time of `occurred_at` formatted once per second (UTC, as the clock gives it).
    """
    digits = os.urandom(16 * len(views)).hex()
    second = -1.0
    date_and_time = ""
    written: list[bytes] = []
    for index, view in enumerate(views):
        at = view.occurred_at
        if at.tzinfo is UTC:
            whole = at.timestamp() // 1
            if whole != second:
                second = whole
                date_and_time = datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            occurred = f"{date_and_time}.{at.microsecond:06d}+00:00"
        else:
            occurred = at.isoformat()
        offset = index * 32
        event_id = _uuid4_text(digits[offset : offset + 32])
        written.append(_viewed_json(view, event_id, snippet_ids[index], occurred))
    return written


def _viewed_json(view: SnippetViewed, event_id: str, snippet_id: str, occurred_at: str) -> bytes:
    version = "null" if view.version is None else str(int(view.version))
    short_id = view.short_id
    # Short ids are ASCII letters and digits, which JSON writes as they are; json.dumps
    # (a few µs) only for anything else.
    quoted = f'"{short_id}"' if short_id.isascii() and short_id.isalnum() else json.dumps(short_id)
    return (
        f'{{"event_id":"{event_id}","schema_version":{SCHEMA_VERSION},'
        f'"occurred_at":"{occurred_at}","snippet_id":"{snippet_id}",'
        f'"aggregate_version":0,"event_type":"snippet.viewed",'
        f'"payload":{{"short_id":{quoted},"version":{version}}}}}'
    ).encode()
