"""EvictCachedSnippet: every change that makes a cached version stale evicts the snippet."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from swiftpaste.application.integration_events import LIFECYCLE_EVENTS
from swiftpaste.application.snippets.evict_cached_snippet import EvictCachedSnippet
from tests.unit.consumer_fakes import FakeCacheEvictor

NOW = datetime(2025, 1, 1, tzinfo=UTC)
SNIPPET_FIELDS = {"title": "notes", "visibility": "public", "language": None}
CHANGES: dict[str, dict[str, Any]] = {
    "snippet.created": SNIPPET_FIELDS | {"expires_at": None},
    "snippet.revised": SNIPPET_FIELDS
    | {"expires_at": None, "title_changed": True, "new_version": True},
    "snippet.shared": {"version": 2, "visibility": "private", "expires_at": NOW},
    "snippet.deleted": {},
    "snippet.expired": {"version": 2, "visibility": "private", "expires_at": NOW - timedelta(1)},
}


def event(event_type: str) -> Any:
    return LIFECYCLE_EVENTS.validate_python(
        {
            "event_type": event_type,
            "event_id": uuid4(),
            "occurred_at": NOW,
            "snippet_id": uuid4(),
            "aggregate_version": 4,
            "payload": {"short_id": "abcd1234", "owner_id": uuid4(), "latest_version": 3}
            | CHANGES[event_type],
        },
    )


@pytest.mark.parametrize(
    "event_type", ["snippet.revised", "snippet.shared", "snippet.deleted", "snippet.expired"]
)
async def test_a_change_evicts_every_version_up_to_the_latest(event_type: str) -> None:
    cache = FakeCacheEvictor()

    assert await EvictCachedSnippet(cache)(event(event_type)) is True

    assert cache.evicted == [("abcd1234", 3)]


async def test_a_new_snippet_has_nothing_to_evict() -> None:
    cache = FakeCacheEvictor()

    assert await EvictCachedSnippet(cache)(event("snippet.created")) is False

    assert cache.evicted == []
