"""docs/events.md names every event, payload field, topic and dead-letter header."""

import pytest
from pydantic import BaseModel

from swiftpaste.application.integration_events import ALL_EVENT_MODELS
from swiftpaste.main.settings import Settings
from swiftpaste.presentation.consumers import dead_letters
from tests.conftest import PROJECT_ROOT

DOCUMENT = (PROJECT_ROOT / "docs" / "events.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("model", ALL_EVENT_MODELS, ids=lambda model: model.__name__)
def test_every_event_and_its_payload_fields_are_documented(model: type[BaseModel]) -> None:
    event_type = model.model_fields["event_type"].default
    assert f"`{event_type}`" in DOCUMENT
    payload = model.model_fields["payload"].annotation
    assert isinstance(payload, type)
    assert issubclass(payload, BaseModel)
    missing = [name for name in payload.model_fields if f"`{name}`" not in DOCUMENT]
    assert missing == [], f"docs/events.md does not describe {event_type}'s {missing}"


def test_every_envelope_field_is_documented() -> None:
    envelope = ALL_EVENT_MODELS[0].model_fields
    assert [name for name in envelope if f"| `{name}` |" not in DOCUMENT] == []


@pytest.mark.parametrize(
    "setting",
    ["kafka_snippet_events_topic", "kafka_snippet_views_topic", "kafka_dead_letter_topic"],
)
def test_every_topic_is_documented_by_its_default_name(setting: str) -> None:
    assert f"`{Settings.model_fields[setting].default}`" in DOCUMENT


def test_every_dead_letter_header_is_documented() -> None:
    headers = [value for name, value in vars(dead_letters).items() if name.endswith("_HEADER")]
    assert len(headers) == 6
    assert [header for header in headers if f"`{header}`" not in DOCUMENT] == []
