"""The event contract: the shape of every Kafka message SwiftPaste produces, pinned.

Consumers outside this codebase parse these messages, so within a schema version the
shapes may only grow. `event_contract.json`, next to this file, holds a snapshot of
every model in `ALL_EVENT_MODELS`: its JSON schema reduced to field paths (nested
payload fields as `payload.<name>`) with a type description and whether the field is
required. Against that snapshot the current models must not:

- remove or rename a field (a rename is a removal to an existing consumer),
- change a field's type (including the values of an enum or constant),
- make a field required that was optional, or optional that was required,
- add a required field (messages already on the topic would not have it),
- drop an event type.

Adding an optional field is allowed and needs no new snapshot (the check passes);
regenerate the snapshot afterwards so the new field is pinned too. A new event model
has nothing to be compared with, so it fails until it is pinned.

To change the snapshot deliberately (a new schema version, or pinning an addition):

    UPDATE_EVENT_CONTRACT=1 uv run --frozen pytest tests/unit/application/test_event_contract.py

and commit the rewritten `event_contract.json` with the change that needed it.
"""

import copy
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field, create_model

from swiftpaste.application.integration_events import (
    ALL_EVENT_MODELS,
    SnippetCreatedEvent,
    SnippetCreatedPayload,
)

SNAPSHOT = Path(__file__).with_name("event_contract.json")
UPDATE_ENV = "UPDATE_EVENT_CONTRACT"

Fields = dict[str, dict[str, Any]]
"""Field path -> {"type": description, "required": bool}."""
Contract = dict[str, Fields]
"""Event type ("snippet.created") -> its fields."""


# --- reducing a JSON schema to a contract ---------------------------------------------


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    return _resolve(defs[ref.removeprefix("#/$defs/")], defs)


def _describe(schema: dict[str, Any], defs: dict[str, Any]) -> str:
    """A stable, human-readable type: "string(uuid)", "null | string", "string in [...]"."""
    schema = _resolve(schema, defs)
    for union in ("anyOf", "oneOf"):
        if union in schema:
            return " | ".join(sorted({_describe(option, defs) for option in schema[union]}))
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        kind = " | ".join(sorted(kind))
    if "format" in schema:
        kind = f"{kind}({schema['format']})"
    if "const" in schema:
        return f"{kind} = {json.dumps(schema['const'])}"
    if "enum" in schema:
        return f"{kind} in {json.dumps(sorted(schema['enum'], key=json.dumps))}"
    if kind == "array":
        return f"array of {_describe(schema.get('items', {}), defs)}"
    return str(kind)


def _objects(schema: dict[str, Any], defs: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """The object schemas a field may hold (through references, unions and arrays)."""
    schema = _resolve(schema, defs)
    for union in ("anyOf", "oneOf"):
        for option in schema.get(union, []):
            yield from _objects(option, defs)
    if "properties" in schema:
        yield schema
    if schema.get("type") == "array" and "items" in schema:
        yield from _objects(schema["items"], defs)


def _flatten(schema: dict[str, Any], defs: dict[str, Any], prefix: str) -> Fields:
    """Every property, nested ones as `parent.child`; `required` is within its parent."""
    fields: Fields = {}
    needed = set(schema.get("required", []))
    for name, field_schema in sorted(schema.get("properties", {}).items()):
        path = f"{prefix}{name}"
        fields[path] = {"type": _describe(field_schema, defs), "required": name in needed}
        for nested in _objects(field_schema, defs):
            fields |= _flatten(nested, defs, f"{path}.")
    return fields


def reduce_schema(model: type[BaseModel]) -> Fields:
    """The model's JSON schema (validation mode) as field path -> type and required-ness."""
    schema = model.model_json_schema()
    return _flatten(schema, schema.get("$defs", {}), "")


def event_type_of(model: type[BaseModel]) -> str:
    default = model.model_fields["event_type"].default
    assert isinstance(default, str)
    return default


def current_contract() -> Contract:
    return {event_type_of(model): reduce_schema(model) for model in ALL_EVENT_MODELS}


# --- comparing ------------------------------------------------------------------------


def breaking_changes(pinned: Contract, current: Contract) -> list[str]:
    """Every way `current` breaks a consumer written against `pinned`; empty if none."""
    problems = []
    for event_type, pinned_fields in sorted(pinned.items()):
        fields = current.get(event_type)
        if fields is None:
            problems.append(f"{event_type}: the event type is gone")
            continue
        for path, was in sorted(pinned_fields.items()):
            now = fields.get(path)
            if now is None:
                problems.append(f"{event_type}: field {path!r} was removed or renamed")
                continue
            if now["type"] != was["type"]:
                problems.append(
                    f"{event_type}: field {path!r} changed type "
                    f"from {was['type']!r} to {now['type']!r}"
                )
            if now["required"] != was["required"]:
                became = "required" if now["required"] else "optional"
                problems.append(f"{event_type}: field {path!r} became {became}")
        for path, now in sorted(fields.items()):
            if path not in pinned_fields and now["required"]:
                problems.append(f"{event_type}: new field {path!r} is required")
    return problems


def load_snapshot() -> Contract:
    document = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    events: Contract = document["events"]
    return events


def write_snapshot(contract: Contract) -> None:
    document = {
        "$comment": (
            "The pinned shape of every SwiftPaste Kafka message. Checked by "
            "tests/unit/application/test_event_contract.py; regenerate deliberately with "
            "UPDATE_EVENT_CONTRACT=1."
        ),
        "events": contract,
    }
    SNAPSHOT.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")


# --- the contract -----------------------------------------------------------------------


def test_the_event_models_keep_their_pinned_contract() -> None:
    if os.environ.get(UPDATE_ENV) == "1":
        write_snapshot(current_contract())
    problems = breaking_changes(load_snapshot(), current_contract())
    assert not problems, (
        "the event messages changed incompatibly:\n  "
        + "\n  ".join(problems)
        + f"\nIf this is deliberate (a new schema version), rerun with {UPDATE_ENV}=1 "
        "and commit the new snapshot."
    )


def test_every_event_model_is_pinned() -> None:
    unpinned = sorted(set(current_contract()) - set(load_snapshot()))
    assert not unpinned, f"pin {unpinned} by rerunning with {UPDATE_ENV}=1"


def test_the_snapshot_pins_every_envelope_and_payload_field() -> None:
    pinned = load_snapshot()
    assert set(pinned) == {
        "snippet.created",
        "snippet.revised",
        "snippet.shared",
        "snippet.deleted",
        "snippet.expired",
        "snippet.burned",
        "snippet.view_limit_reached",
        "snippet.viewed",
    }
    for event_type, fields in pinned.items():
        envelope = {path for path in fields if "." not in path}
        assert envelope == {
            "event_id",
            "event_type",
            "schema_version",
            "occurred_at",
            "snippet_id",
            "aggregate_version",
            "payload",
        }, event_type
        assert fields["event_type"]["type"] == f"string = {json.dumps(event_type)}"
    assert pinned["snippet.shared"]["payload.expires_at"] == {
        "type": "string(date-time)",
        "required": True,
    }
    assert pinned["snippet.created"]["payload.language"] == {
        "type": "null | string",
        "required": True,
    }
    assert pinned["snippet.revised"]["payload.visibility"]["type"] == (
        'string in ["private", "public", "unlisted"]'
    )
    assert pinned["snippet.view_limit_reached"]["payload.max_views"]["required"]


# --- the check itself --------------------------------------------------------------------


@pytest.fixture
def pinned() -> Contract:
    return load_snapshot()


@pytest.fixture
def current(pinned: Contract) -> Contract:
    """What the code would produce: a copy of the snapshot for a test to change."""
    return copy.deepcopy(pinned)


def test_an_unchanged_contract_has_no_breaking_change(pinned: Contract, current: Contract) -> None:
    assert breaking_changes(pinned, current) == []


def test_a_removed_envelope_field_is_reported(pinned: Contract, current: Contract) -> None:
    del current["snippet.created"]["aggregate_version"]
    assert breaking_changes(pinned, current) == [
        "snippet.created: field 'aggregate_version' was removed or renamed"
    ]


def test_a_removed_payload_field_is_reported(pinned: Contract, current: Contract) -> None:
    del current["snippet.shared"]["payload.expires_at"]
    assert breaking_changes(pinned, current) == [
        "snippet.shared: field 'payload.expires_at' was removed or renamed"
    ]


def test_a_renamed_field_is_reported(pinned: Contract, current: Contract) -> None:
    fields = current["snippet.revised"]
    fields["payload.is_new_version"] = fields.pop("payload.new_version")
    assert breaking_changes(pinned, current) == [
        "snippet.revised: field 'payload.new_version' was removed or renamed",
        "snippet.revised: new field 'payload.is_new_version' is required",
    ]


def test_a_retyped_field_is_reported(pinned: Contract, current: Contract) -> None:
    current["snippet.expired"]["payload.version"]["type"] = "string"
    assert breaking_changes(pinned, current) == [
        "snippet.expired: field 'payload.version' changed type from 'integer' to 'string'"
    ]


def test_a_field_that_became_nullable_is_reported(pinned: Contract, current: Contract) -> None:
    current["snippet.deleted"]["payload.short_id"]["type"] = "null | string"
    assert breaking_changes(pinned, current) == [
        ("snippet.deleted: field 'payload.short_id' changed type from 'string' to 'null | string'")
    ]


def test_a_field_that_became_optional_is_reported(pinned: Contract, current: Contract) -> None:
    current["snippet.viewed"]["payload.short_id"]["required"] = False
    assert breaking_changes(pinned, current) == [
        "snippet.viewed: field 'payload.short_id' became optional"
    ]


def test_a_new_required_field_is_reported(pinned: Contract, current: Contract) -> None:
    current["snippet.created"]["payload.size_bytes"] = {"type": "integer", "required": True}
    assert breaking_changes(pinned, current) == [
        "snippet.created: new field 'payload.size_bytes' is required"
    ]


def test_a_new_optional_field_is_allowed(pinned: Contract, current: Contract) -> None:
    current["snippet.created"]["payload.size_bytes"] = {"type": "integer", "required": False}
    current["snippet.created"]["trace_id"] = {"type": "null | string", "required": False}
    assert breaking_changes(pinned, current) == []


def test_a_dropped_event_type_is_reported(pinned: Contract, current: Contract) -> None:
    del current["snippet.expired"]
    assert breaking_changes(pinned, current) == ["snippet.expired: the event type is gone"]


# --- the reduction sees what a model change does ----------------------------------------


def created_event_with_payload(**payload_fields: Any) -> type[BaseModel]:
    """SnippetCreatedEvent with its payload's fields replaced or added."""
    payload = create_model(
        "SnippetCreatedPayload", __base__=SnippetCreatedPayload, **payload_fields
    )
    model: type[BaseModel] = create_model(
        "SnippetCreatedEvent", __base__=SnippetCreatedEvent, payload=(payload, ...)
    )
    return model


def breaks_of(model: type[BaseModel]) -> list[str]:
    pinned = {"snippet.created": reduce_schema(SnippetCreatedEvent)}
    return breaking_changes(pinned, {"snippet.created": reduce_schema(model)})


def test_the_reduction_of_the_real_models_matches_itself() -> None:
    assert breaks_of(SnippetCreatedEvent) == []


def test_the_reduction_sees_a_payload_field_retyped_in_the_model() -> None:
    assert breaks_of(created_event_with_payload(title=(int, ...))) == [
        "snippet.created: field 'payload.title' changed type from 'string' to 'integer'"
    ]


def test_the_reduction_sees_a_new_enum_value_in_the_model() -> None:
    widened = Literal["public", "unlisted", "private", "internal"]
    assert breaks_of(created_event_with_payload(visibility=(widened, ...))) == [
        (
            "snippet.created: field 'payload.visibility' changed type "
            """from 'string in ["private", "public", "unlisted"]' to """
            """'string in ["internal", "private", "public", "unlisted"]'"""
        )
    ]


def test_the_reduction_sees_a_required_field_added_to_the_model() -> None:
    assert breaks_of(created_event_with_payload(size_bytes=(int, ...))) == [
        "snippet.created: new field 'payload.size_bytes' is required"
    ]


def test_the_reduction_allows_an_optional_field_added_to_the_model() -> None:
    optional = (int | None, Field(default=None))
    assert breaks_of(created_event_with_payload(size_bytes=optional)) == []
