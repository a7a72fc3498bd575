"""Integration events: the Kafka envelopes built from domain events, and their parsing."""

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import RFC_4122, UUID, uuid4

import pytest
from pydantic import ValidationError

from swiftpaste.application.integration_events import (
    SCHEMA_VERSION,
    SnippetCreatedEvent,
    SnippetDeletedEvent,
    SnippetExpiredEvent,
    SnippetRevisedEvent,
    SnippetSharedEvent,
    SnippetViewedEvent,
    parse_lifecycle_event,
    random_uuid_text,
    to_message,
    viewed_json,
    viewed_jsons,
    viewed_message,
)
from swiftpaste.domain.events import DomainEvent, SnippetViewed
from swiftpaste.domain.snippets import Snippet, Visibility
from tests.unit.fakes import DEFAULT_NOW, an_anonymous_snippet

NOW = DEFAULT_NOW
LATER = NOW + timedelta(minutes=5)
HOUR = timedelta(hours=1)
OWNER = UUID("00000000-0000-4000-8000-000000000001")
SNIPPET = UUID("00000000-0000-4000-8000-0000000000aa")
EVENT = UUID("00000000-0000-4000-8000-0000000000ee")
SHORT_ID = "msg23456"


def new_snippet(
    *, visibility: Visibility = Visibility.PRIVATE, expires_at: datetime | None = None
) -> Snippet:
    return Snippet.create(
        snippet_id=SNIPPET,
        short_id=SHORT_ID,
        owner_id=OWNER,
        title="notes",
        content="x = 1",
        visibility=visibility,
        language="Python",
        expires_at=expires_at,
        now=NOW,
    )


def snippet() -> Snippet:
    """A private snippet as loaded from the database: created, no events pending."""
    loaded = new_snippet()
    loaded.pull_events()
    return loaded


def created_event() -> DomainEvent:
    (event,) = new_snippet(visibility=Visibility.PUBLIC, expires_at=NOW + HOUR).pull_events()
    return event


def revised_event() -> DomainEvent:
    revised = snippet()
    revised.revise(editor_id=OWNER, now=LATER, title="renamed")
    (event,) = revised.pull_events()
    return event


def shared_event() -> DomainEvent:
    shared = snippet()
    shared.revise(editor_id=OWNER, now=NOW, content="v2")
    shared.share(sharer_id=OWNER, number=1, ttl=HOUR, now=LATER)
    return shared.pull_events()[-1]


def deleted_event() -> DomainEvent:
    deleted = snippet()
    deleted.delete(deleter_id=OWNER, now=LATER)
    (event,) = deleted.pull_events()
    return event


def expired_event() -> DomainEvent:
    expired = snippet()
    expired.share(sharer_id=OWNER, number=1, ttl=HOUR, now=NOW)
    expired.expire_due_versions(LATER + HOUR)
    return expired.pull_events()[-1]


ENVELOPE = {
    "event_id": str(EVENT),
    "schema_version": 2,
    "snippet_id": str(SNIPPET),
}
REF = {"short_id": SHORT_ID, "owner_id": str(OWNER)}

EXPECTED: dict[str, tuple[Callable[[], DomainEvent], type[Any], dict[str, Any]]] = {
    "created": (
        created_event,
        SnippetCreatedEvent,
        ENVELOPE
        | {
            "event_type": "snippet.created",
            "occurred_at": "2025-01-15T12:00:00Z",
            "aggregate_version": 1,
            "payload": REF
            | {
                "latest_version": 1,
                "title": "notes",
                "visibility": "public",
                "language": "python",
                "expires_at": "2025-01-15T13:00:00Z",
            },
        },
    ),
    "revised": (
        revised_event,
        SnippetRevisedEvent,
        ENVELOPE
        | {
            "event_type": "snippet.revised",
            "occurred_at": "2025-01-15T12:05:00Z",
            "aggregate_version": 2,
            "payload": REF
            | {
                "latest_version": 1,
                "title": "renamed",
                "visibility": "private",
                "language": "python",
                "expires_at": None,
                "title_changed": True,
                "new_version": False,
            },
        },
    ),
    "shared": (
        shared_event,
        SnippetSharedEvent,
        ENVELOPE
        | {
            "event_type": "snippet.shared",
            "occurred_at": "2025-01-15T12:05:00Z",
            "aggregate_version": 3,
            "payload": REF
            | {
                "latest_version": 2,
                "version": 1,
                "visibility": "private",
                "expires_at": "2025-01-15T13:05:00Z",
            },
        },
    ),
    "deleted": (
        deleted_event,
        SnippetDeletedEvent,
        ENVELOPE
        | {
            "event_type": "snippet.deleted",
            "occurred_at": "2025-01-15T12:05:00Z",
            "aggregate_version": 2,
            "payload": REF | {"latest_version": 1},
        },
    ),
    "expired": (
        expired_event,
        SnippetExpiredEvent,
        ENVELOPE
        | {
            "event_type": "snippet.expired",
            "occurred_at": "2025-01-15T13:05:00Z",
            "aggregate_version": 3,
            "payload": REF
            | {
                "latest_version": 1,
                "version": 1,
                "visibility": "private",
                "expires_at": "2025-01-15T13:00:00Z",
            },
        },
    ),
}


@pytest.mark.parametrize(("make", "model", "expected"), EXPECTED.values(), ids=EXPECTED.keys())
def test_each_lifecycle_event_becomes_its_complete_envelope(
    make: Callable[[], DomainEvent], model: type[Any], expected: dict[str, Any]
) -> None:
    message = to_message(make(), event_id=EVENT)
    assert isinstance(message, model)
    assert message.model_dump(mode="json") == expected


@pytest.mark.parametrize("make", [entry[0] for entry in EXPECTED.values()], ids=EXPECTED.keys())
def test_a_message_survives_the_json_round_trip(make: Callable[[], DomainEvent]) -> None:
    message = to_message(make())
    parsed = parse_lifecycle_event(message.model_dump_json())
    assert parsed == message
    assert type(parsed) is type(message)


@pytest.mark.parametrize("make", [entry[0] for entry in EXPECTED.values()], ids=EXPECTED.keys())
def test_the_envelope_carries_the_events_identity_and_order(
    make: Callable[[], DomainEvent],
) -> None:
    event = make()
    message = to_message(event)
    assert (message.snippet_id, message.aggregate_version, message.occurred_at) == (
        event.snippet_id,
        event.aggregate_version,
        event.occurred_at,
    )
    assert message.schema_version == SCHEMA_VERSION == 2
    assert message.event_type == type(event).event_type


def test_without_an_event_id_each_message_gets_a_fresh_one() -> None:
    event = deleted_event()
    assert to_message(event).event_id != to_message(event).event_id


def test_a_bytes_message_parses_like_a_text_one() -> None:
    message = to_message(shared_event())
    assert parse_lifecycle_event(message.model_dump_json().encode()) == message


def test_a_domain_event_without_a_message_schema_is_refused() -> None:
    bare = DomainEvent(
        snippet_id=SNIPPET, short_id=SHORT_ID, owner_id=OWNER, occurred_at=NOW, latest_version=1
    )
    with pytest.raises(TypeError, match="no message schema"):
        to_message(bare)


# --- parsing what is not a valid message ---------------------------------------------


def valid_json() -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(to_message(expired_event()).model_dump_json())
    return parsed


def located(data: dict[str, Any], path: str) -> tuple[dict[str, Any], str]:
    """The object holding the dotted `path` ("payload.version") and the field's name."""
    *parents, leaf = path.split(".")
    target = data
    for parent in parents:
        target = target[parent]
    return target, leaf


def without(data: dict[str, Any], path: str) -> dict[str, Any]:
    parent, leaf = located(data, path)
    del parent[leaf]
    return data


@pytest.mark.parametrize(
    "raw",
    [b"", b"{not json", b"[]", b"null", b'"snippet.created"'],
    ids=["empty", "broken", "array", "null", "string"],
)
def test_something_that_is_not_a_json_object_is_refused(raw: bytes) -> None:
    with pytest.raises(ValidationError):
        parse_lifecycle_event(raw)


@pytest.mark.parametrize("event_type", ["snippet.renamed", "snippet.viewed", "", None])
def test_an_unknown_event_type_is_refused(event_type: str | None) -> None:
    data = valid_json() | {"event_type": event_type}
    with pytest.raises(ValidationError):
        parse_lifecycle_event(json.dumps(data))


def test_a_message_without_an_event_type_is_refused() -> None:
    with pytest.raises(ValidationError):
        parse_lifecycle_event(json.dumps(without(valid_json(), "event_type")))


@pytest.mark.parametrize(
    "path",
    [
        "event_id",
        "occurred_at",
        "snippet_id",
        "aggregate_version",
        "payload",
        "payload.short_id",
        "payload.owner_id",
        "payload.latest_version",
        "payload.version",
        "payload.visibility",
        "payload.expires_at",
    ],
)
def test_a_message_missing_a_required_field_is_refused(path: str) -> None:
    with pytest.raises(ValidationError):
        parse_lifecycle_event(json.dumps(without(valid_json(), path)))


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("snippet_id", "not-a-uuid"),
        ("aggregate_version", -1),
        ("payload.visibility", "internal"),
        ("payload.version", 0),
        ("payload.expires_at", None),
    ],
)
def test_a_field_of_the_wrong_kind_is_refused(path: str, value: object) -> None:
    data = valid_json()
    parent, leaf = located(data, path)
    parent[leaf] = value
    with pytest.raises(ValidationError):
        parse_lifecycle_event(json.dumps(data))


def test_fields_a_newer_producer_adds_are_ignored() -> None:
    message = to_message(expired_event())
    data = json.loads(message.model_dump_json())
    data["trace_id"] = "abc"
    data["payload"]["reason"] = "window ended"
    assert parse_lifecycle_event(json.dumps(data)) == message


# --- views ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", [None, 3])
def test_a_view_becomes_a_viewed_message_outside_the_aggregate_order(
    version: int | None,
) -> None:
    view = SnippetViewed(snippet_id=SNIPPET, short_id=SHORT_ID, version=version, occurred_at=NOW)
    message = viewed_message(view)
    dumped = message.model_dump(mode="json")
    assert UUID(dumped.pop("event_id"))
    assert dumped == {
        "event_type": "snippet.viewed",
        "schema_version": 2,
        "occurred_at": "2025-01-15T12:00:00Z",
        "snippet_id": str(SNIPPET),
        "aggregate_version": 0,
        "payload": {"short_id": SHORT_ID, "version": version},
    }
    assert SnippetViewedEvent.model_validate_json(message.model_dump_json()) == message


def test_each_view_is_its_own_message() -> None:
    view = SnippetViewed(snippet_id=SNIPPET, short_id=SHORT_ID, version=None, occurred_at=NOW)
    assert viewed_message(view).event_id != viewed_message(view).event_id


def test_a_viewed_message_is_not_a_lifecycle_event() -> None:
    view = SnippetViewed(snippet_id=SNIPPET, short_id=SHORT_ID, version=None, occurred_at=NOW)
    with pytest.raises(ValidationError):
        parse_lifecycle_event(viewed_message(view).model_dump_json())


@pytest.mark.parametrize("version", [None, 1, 42])
@pytest.mark.parametrize("short_id", ["aB3dE5fG", 'q"uo\\te', "é2", "²3"])
def test_the_hand_written_view_json_is_the_pydantic_message(
    version: int | None, short_id: str
) -> None:
    view = SnippetViewed(
        snippet_id=uuid4(),
        short_id=short_id,
        version=version,
        occurred_at=datetime(2026, 11, 21, 10, 0, 0, 123456, tzinfo=UTC),
    )
    event_id = uuid4()
    fast = SnippetViewedEvent.model_validate_json(viewed_json(view, event_id))
    assert fast == viewed_message(view).model_copy(update={"event_id": event_id})
    assert json.loads(viewed_json(view, event_id))["event_type"] == "snippet.viewed"


def test_random_event_ids_are_version_4_uuids_written_as_uuid_writes_them() -> None:
    texts = {random_uuid_text() for _ in range(2000)}

    assert len(texts) == 2000
    for text in texts:
        parsed = UUID(text)
        assert (parsed.version, parsed.variant) == (4, RFC_4122)
        assert str(parsed) == text
    variants = {text[19] for text in texts}
    assert variants == set("89ab")  # every variant digit turns up: no bit is stuck


def test_a_view_without_an_event_id_gets_a_fresh_one() -> None:
    view = SnippetViewed(
        snippet_id=uuid4(), short_id="aB3dE5fG", version=None, occurred_at=datetime.now(UTC)
    )
    first, second = (SnippetViewedEvent.model_validate_json(viewed_json(view)) for _ in range(2))

    assert first.event_id != second.event_id
    assert first.event_id.version == 4


def test_views_written_together_are_each_the_pydantic_message() -> None:
    moments = [
        datetime(2026, 11, 21, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 11, 22, 0, 0, 0, tzinfo=UTC),  # a new second (and day), no fraction
        datetime(2026, 11, 22, 0, 0, 0, 500, tzinfo=UTC),
        datetime(2026, 11, 22, 2, 0, 0, 7, tzinfo=timezone(timedelta(hours=2))),  # not UTC
    ]
    views = [
        SnippetViewed(snippet_id=uuid4(), short_id=short_id, version=version, occurred_at=moment)
        for moment, short_id, version in zip(
            moments, ["aB3dE5fG", 'q"uo\\te', "é2", "aB3dE5fG"], [None, 1, 42, None], strict=True
        )
    ]

    written = viewed_jsons(views, [str(view.snippet_id) for view in views])

    messages = [SnippetViewedEvent.model_validate_json(value) for value in written]
    for view, message in zip(views, messages, strict=True):
        assert message == viewed_message(view).model_copy(update={"event_id": message.event_id})
        assert message.occurred_at == view.occurred_at
        assert (message.event_id.version, message.event_id.variant) == (4, RFC_4122)
    assert len({message.event_id for message in messages}) == len(views)
    assert [json.loads(value)["occurred_at"] for value in written[:2]] == [
        "2026-11-21T23:59:59.999999+00:00",
        "2026-11-22T00:00:00.000000+00:00",
    ]


def test_views_written_together_name_the_snippet_ids_given() -> None:
    view = SnippetViewed(
        snippet_id=uuid4(), short_id="aB3dE5fG", version=None, occurred_at=datetime.now(UTC)
    )
    other = uuid4()

    (written,) = viewed_jsons([view], [str(other)])

    assert SnippetViewedEvent.model_validate_json(written).snippet_id == other


def test_the_events_of_an_anonymous_snippet_name_no_owner() -> None:
    anonymous = an_anonymous_snippet(delete_token_digest="d" * 64, now=NOW)
    anonymous.delete(delete_token_digest="d" * 64, now=LATER)
    created, deleted = (to_message(event) for event in anonymous.pull_events())
    for message in (created, deleted):
        assert message.payload.owner_id is None
        parsed = parse_lifecycle_event(message.model_dump_json())
        assert parsed == message
        assert json.loads(message.model_dump_json())["payload"]["owner_id"] is None
