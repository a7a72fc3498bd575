"""Snippet.expire_due_versions: each ended share window is announced exactly once."""

from dataclasses import replace
from datetime import timedelta
from uuid import UUID

from swiftpaste.domain.events import SnippetExpired, SnippetShared
from swiftpaste.domain.snippets import Snippet, Visibility
from tests.unit.fakes import DEFAULT_NOW, a_snippet

NOW = DEFAULT_NOW
HOUR = timedelta(hours=1)
ENDS = NOW + HOUR
"""When the window of the snippets below ends."""
OWNER = UUID("00000000-0000-4000-8000-000000000001")


def expiring(*, visibility: Visibility = Visibility.PUBLIC) -> Snippet:
    """A snippet whose version 1 is open until ENDS, without its creation event."""
    snippet = a_snippet(owner_id=OWNER, visibility=visibility, expires_at=ENDS, now=NOW)
    snippet.pull_events()
    return snippet


def test_a_window_that_ended_is_announced_with_the_versions_details() -> None:
    snippet = expiring(visibility=Visibility.PRIVATE)
    expired = snippet.expire_due_versions(ENDS + timedelta(seconds=30))
    assert snippet.events == [
        SnippetExpired(
            snippet_id=snippet.id,
            short_id="abc12345",
            owner_id=OWNER,
            occurred_at=ENDS + timedelta(seconds=30),
            latest_version=1,
            aggregate_version=2,
            version=1,
            visibility="private",
            expires_at=ENDS,
        )
    ]
    assert [version.number for version in expired] == [1]


def test_the_announced_version_is_stamped_with_the_time_of_the_announcement() -> None:
    snippet = expiring()
    later = ENDS + timedelta(minutes=3)
    (announced,) = snippet.expire_due_versions(later)
    assert announced.expired_at == later
    assert snippet.version(1) == announced
    assert snippet.version(1).expires_at == ENDS


def test_a_window_ends_at_exactly_its_expiry() -> None:
    snippet = expiring()
    assert [version.number for version in snippet.expire_due_versions(ENDS)] == [1]


def test_a_window_still_open_is_left_untouched() -> None:
    snippet = expiring()
    before = snippet.version(1)
    assert snippet.expire_due_versions(ENDS - timedelta(microseconds=1)) == []
    assert snippet.version(1) == before
    assert snippet.version(1).expired_at is None
    assert (snippet.events, snippet.aggregate_version) == ([], 1)


def test_a_version_without_a_window_never_expires() -> None:
    snippet = a_snippet(owner_id=OWNER)
    snippet.pull_events()
    assert snippet.expire_due_versions(NOW + timedelta(days=3650)) == []
    assert snippet.events == []


def test_a_second_run_announces_nothing_new() -> None:
    snippet = expiring()
    snippet.expire_due_versions(ENDS)
    first_events = list(snippet.events)
    assert snippet.expire_due_versions(ENDS + HOUR) == []
    assert snippet.events == first_events
    assert snippet.aggregate_version == 2


def test_a_version_announced_by_an_earlier_run_is_not_announced_again() -> None:
    """As loaded from the database after another scheduler marked it."""
    snippet = expiring()
    snippet.versions[1] = replace(snippet.version(1), expired_at=ENDS)
    assert snippet.expire_due_versions(ENDS + HOUR) == []
    assert (snippet.events, snippet.aggregate_version) == ([], 1)


def test_a_deleted_snippet_announces_nothing() -> None:
    snippet = expiring()
    snippet.delete(deleter_id=OWNER, now=NOW)
    snippet.pull_events()
    assert snippet.expire_due_versions(ENDS + HOUR) == []
    assert snippet.events == []
    assert snippet.version(1).expired_at is None


def test_each_ended_window_is_its_own_event_and_aggregate_version() -> None:
    snippet = expiring()
    snippet.revise(editor_id=OWNER, now=NOW, content="v2")  # inherits the window
    snippet.revise(editor_id=OWNER, now=NOW, content="v3", visibility=Visibility.PRIVATE)
    snippet.pull_events()
    assert snippet.aggregate_version == 3
    expired = snippet.expire_due_versions(ENDS)
    assert [version.number for version in expired] == [1, 2, 3]
    assert [
        (event.version, event.visibility, event.latest_version, event.aggregate_version)
        for event in snippet.events
        if isinstance(event, SnippetExpired)
    ] == [(1, "public", 3, 4), (2, "public", 3, 5), (3, "private", 3, 6)]
    assert snippet.aggregate_version == 6


def test_only_the_versions_whose_window_ended_are_announced() -> None:
    snippet = a_snippet(owner_id=OWNER, visibility=Visibility.PRIVATE, now=NOW)
    snippet.revise(editor_id=OWNER, now=NOW, content="v2")
    snippet.share(sharer_id=OWNER, number=1, ttl=HOUR, now=NOW)
    snippet.share(sharer_id=OWNER, number=2, ttl=2 * HOUR, now=NOW)
    snippet.pull_events()
    assert [version.number for version in snippet.expire_due_versions(ENDS)] == [1]
    assert snippet.version(2).expired_at is None
    assert [version.number for version in snippet.expire_due_versions(NOW + 2 * HOUR)] == [2]


def test_only_loaded_versions_are_considered() -> None:
    snippet = expiring()
    snippet.revise(editor_id=OWNER, now=NOW, content="v2")
    snippet.pull_events()
    del snippet.versions[2]  # as loaded with version 1 only
    assert [version.number for version in snippet.expire_due_versions(ENDS)] == [1]
    assert [event.version for event in snippet.events if isinstance(event, SnippetExpired)] == [1]


def test_sharing_again_opens_a_new_window_that_is_announced_when_it_ends() -> None:
    snippet = expiring()
    snippet.expire_due_versions(ENDS)
    assert snippet.version(1).expired_at == ENDS

    reopened = snippet.share(sharer_id=OWNER, number=1, ttl=HOUR, now=ENDS)
    assert reopened.expired_at is None
    assert snippet.expire_due_versions(ENDS + timedelta(minutes=59)) == []

    (announced,) = snippet.expire_due_versions(ENDS + HOUR)
    assert announced.expired_at == ENDS + HOUR
    assert [type(event) for event in snippet.events] == [
        SnippetExpired,
        SnippetShared,
        SnippetExpired,
    ]
    last = snippet.events[-1]
    assert isinstance(last, SnippetExpired)
    assert (last.expires_at, last.aggregate_version) == (ENDS + HOUR, 4)


def test_sharing_a_window_before_it_ends_keeps_it_unannounced() -> None:
    snippet = expiring()
    snippet.share(sharer_id=OWNER, number=1, ttl=2 * HOUR, now=NOW)
    assert snippet.expire_due_versions(ENDS) == []
    assert [version.number for version in snippet.expire_due_versions(NOW + 2 * HOUR)] == [1]
