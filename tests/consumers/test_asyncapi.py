"""The AsyncAPI document (`faststream docs gen`) describes every consumer's topics."""

import json
from pathlib import Path

from swiftpaste.main.consumers import asyncapi_app
from swiftpaste.main.settings import Settings


def test_the_document_names_each_topic_with_its_event_schemas() -> None:
    document = asyncapi_app().schema.to_specification().to_jsonable()
    defaults = Settings.model_construct()
    events = defaults.kafka_snippet_events_topic
    views = defaults.kafka_snippet_views_topic
    dead_letters = defaults.kafka_dead_letter_topic

    channels = document["channels"]
    addresses = {channel["address"] for channel in channels.values()}
    assert addresses == {events, views, dead_letters}
    receiving = {
        channel["address"]
        for channel in channels.values()
        if "SubscribeMessage" in channel["messages"]
    }
    assert receiving == {events, views}
    assert "Consumer group: swiftpaste-indexer." in channels[f"{events}:indexer"]["description"]

    schemas = document["components"]["schemas"]
    for model in (
        "SnippetCreatedEvent",
        "SnippetRevisedEvent",
        "SnippetSharedEvent",
        "SnippetDeletedEvent",
        "SnippetExpiredEvent",
        "SnippetViewedEvent",
    ):
        assert model in schemas, model
    indexer_payload = schemas[f"{events}:indexer:Message:Payload"]
    # Batch subscribers: FastStream documents the payload as an array of the records.
    assert indexer_payload["items"]["discriminator"] == "event_type"
    assert schemas[f"{views}:views:Message:Payload"]["items"]["title"] == "SnippetViewedEvent"


def test_the_committed_document_is_up_to_date() -> None:
    """docs/asyncapi.json is what `just asyncapi` writes today; regenerate it after a change."""
    committed = json.loads((Path(__file__).parents[2] / "docs" / "asyncapi.json").read_text())
    assert committed == asyncapi_app().schema.to_specification().to_jsonable(), (
        "docs/asyncapi.json is stale: run `just asyncapi`"
    )
