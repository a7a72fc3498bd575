"""The lifecycle events the Snippet aggregate records: what each says about the snippet."""

from collections.abc import Callable
from datetime import timedelta
from uuid import UUID

import pytest

from swiftpaste.domain.errors import NotSnippetOwner
from swiftpaste.domain.events import (
    DomainEvent,
    SnippetCreated,
    SnippetDeleted,
    SnippetExpired,
    SnippetRevised,
    SnippetShared,
)
from swiftpaste.domain.snippets import Snippet, Visibility
from tests.unit.fakes import DEFAULT_NOW, a_snippet

NOW = DEFAULT_NOW
LATER = NOW + timedelta(minutes=5)
HOUR = timedelta(hours=1)
OWNER = UUID("00000000-0000-4000-8000-000000000001")
SHORT_ID = "evt23456"


def fresh(
    *,
    visibility: Visibility = Visibility.PUBLIC,
    language: str | None = "python",
    title: str = "hello",
) -> Snippet:
    return a_snippet(
        owner_id=OWNER,
        short_id=SHORT_ID,
        title=title,
        visibility=visibility,
        language=language,
        now=NOW,
    )


def last_event(snippet: Snippet) -> DomainEvent:
    assert snippet.events
    return snippet.events[-1]


def identity(event: DomainEvent) -> tuple[UUID, str, UUID]:
    return event.snippet_id, event.short_id, event.owner_id


# --- every event -------------------------------------------------------------------


def test_every_event_names_the_snippet_its_link_and_its_owner() -> None:
    snippet = fresh(visibility=Visibility.PRIVATE)
    snippet.revise(editor_id=OWNER, now=LATER, title="renamed")
    snippet.revise(editor_id=OWNER, now=LATER, content="v2")
    snippet.share(sharer_id=OWNER, number=1, ttl=HOUR, now=LATER)
    snippet.expire_due_versions(LATER + HOUR)
    snippet.delete(deleter_id=OWNER, now=LATER + HOUR)
    assert [type(event) for event in snippet.events] == [
        SnippetCreated,
        SnippetRevised,
        SnippetRevised,
        SnippetShared,
        SnippetExpired,
        SnippetDeleted,
    ]
    assert {identity(event) for event in snippet.events} == {(snippet.id, SHORT_ID, OWNER)}
    assert [event.aggregate_version for event in snippet.events] == [1, 2, 3, 4, 5, 6]
    assert [event.latest_version for event in snippet.events] == [1, 1, 2, 2, 2, 2]


# --- created -----------------------------------------------------------------------


def test_created_carries_the_first_versions_settings() -> None:
    snippet = a_snippet(
        owner_id=OWNER,
        short_id=SHORT_ID,
        title="notes",
        visibility=Visibility.PRIVATE,
        language=" Go ",
        expires_at=NOW + HOUR,
        now=NOW,
    )
    assert snippet.events == [
        SnippetCreated(
            snippet_id=snippet.id,
            short_id=SHORT_ID,
            owner_id=OWNER,
            occurred_at=NOW,
            latest_version=1,
            aggregate_version=1,
            title="notes",
            visibility="private",
            language="go",
            expires_at=NOW + HOUR,
        )
    ]


def test_created_without_a_language_or_expiry_says_so() -> None:
    event = last_event(fresh(language=None))
    assert isinstance(event, SnippetCreated)
    assert (event.language, event.expires_at) == (None, None)


# --- revised -----------------------------------------------------------------------


def test_a_title_only_revision_is_not_a_new_version() -> None:
    snippet = fresh()
    snippet.revise(editor_id=OWNER, now=LATER, title="renamed")
    assert last_event(snippet) == SnippetRevised(
        snippet_id=snippet.id,
        short_id=SHORT_ID,
        owner_id=OWNER,
        occurred_at=LATER,
        latest_version=1,
        aggregate_version=2,
        title="renamed",
        visibility="public",
        language="python",
        expires_at=None,
        title_changed=True,
        new_version=False,
    )


def test_a_content_revision_is_a_new_version_under_the_same_title() -> None:
    snippet = fresh()
    snippet.revise(editor_id=OWNER, now=LATER, content="v2")
    assert last_event(snippet) == SnippetRevised(
        snippet_id=snippet.id,
        short_id=SHORT_ID,
        owner_id=OWNER,
        occurred_at=LATER,
        latest_version=2,
        aggregate_version=2,
        title="hello",
        visibility="public",
        language="python",
        expires_at=None,
        title_changed=False,
        new_version=True,
    )


def test_a_title_and_content_revision_says_both_changed() -> None:
    snippet = fresh()
    snippet.revise(editor_id=OWNER, now=LATER, title="renamed", content="v2")
    event = last_event(snippet)
    assert isinstance(event, SnippetRevised)
    assert (event.title, event.title_changed, event.new_version, event.latest_version) == (
        "renamed",
        True,
        True,
        2,
    )


def test_a_revision_reports_the_new_latest_versions_visibility_and_language() -> None:
    snippet = fresh(visibility=Visibility.PUBLIC, language="python")
    snippet.revise(editor_id=OWNER, now=LATER, visibility=Visibility.PRIVATE, language="Rust")
    event = last_event(snippet)
    assert isinstance(event, SnippetRevised)
    assert (event.visibility, event.language, event.latest_version) == ("private", "rust", 2)


def test_a_revision_reports_the_share_window_the_new_version_inherits() -> None:
    snippet = fresh()
    shared = snippet.share(sharer_id=OWNER, number=1, ttl=HOUR, now=NOW)
    snippet.revise(editor_id=OWNER, now=LATER, content="v2")
    event = last_event(snippet)
    assert isinstance(event, SnippetRevised)
    assert event.expires_at == shared.expires_at


def test_a_title_only_revision_reports_the_latest_versions_settings() -> None:
    snippet = fresh(visibility=Visibility.PUBLIC)
    snippet.revise(editor_id=OWNER, now=NOW, visibility=Visibility.PRIVATE)
    snippet.revise(editor_id=OWNER, now=LATER, title="renamed")
    event = last_event(snippet)
    assert isinstance(event, SnippetRevised)
    assert (event.visibility, event.latest_version, event.new_version) == ("private", 2, False)


# --- shared ------------------------------------------------------------------------


def test_shared_names_the_shared_version_and_its_window() -> None:
    snippet = fresh(visibility=Visibility.PRIVATE)
    snippet.share(sharer_id=OWNER, number=1, ttl=HOUR, now=LATER)
    assert last_event(snippet) == SnippetShared(
        snippet_id=snippet.id,
        short_id=SHORT_ID,
        owner_id=OWNER,
        occurred_at=LATER,
        latest_version=1,
        aggregate_version=2,
        version=1,
        visibility="private",
        expires_at=LATER + HOUR,
    )


def test_sharing_an_older_version_names_it_beside_the_latest() -> None:
    snippet = fresh(visibility=Visibility.PRIVATE)
    snippet.revise(editor_id=OWNER, now=NOW, visibility=Visibility.PUBLIC)
    snippet.share(sharer_id=OWNER, number=1, ttl=HOUR, now=LATER)
    event = last_event(snippet)
    assert isinstance(event, SnippetShared)
    assert (event.version, event.visibility, event.latest_version) == (1, "private", 2)


# --- deleted -----------------------------------------------------------------------


def test_deleted_names_the_snippet_and_its_latest_version() -> None:
    snippet = fresh()
    snippet.revise(editor_id=OWNER, now=NOW, content="v2")
    snippet.delete(deleter_id=OWNER, now=LATER)
    assert last_event(snippet) == SnippetDeleted(
        snippet_id=snippet.id,
        short_id=SHORT_ID,
        owner_id=OWNER,
        occurred_at=LATER,
        latest_version=2,
        aggregate_version=3,
    )


# --- refused changes ---------------------------------------------------------------


STRANGER = UUID("00000000-0000-4000-8000-000000000002")
REFUSED: dict[str, Callable[[Snippet], object]] = {
    "revise": lambda snippet: snippet.revise(editor_id=STRANGER, now=LATER, title="x"),
    "share": lambda snippet: snippet.share(sharer_id=STRANGER, number=1, ttl=HOUR, now=LATER),
    "delete": lambda snippet: snippet.delete(deleter_id=STRANGER, now=LATER),
}


@pytest.mark.parametrize("change", REFUSED.values(), ids=REFUSED.keys())
def test_a_change_refused_to_someone_else_records_nothing(
    change: Callable[[Snippet], object],
) -> None:
    snippet = fresh()
    with pytest.raises(NotSnippetOwner):
        change(snippet)
    assert ([type(event) for event in snippet.events], snippet.aggregate_version) == (
        [SnippetCreated],
        1,
    )


# --- pull_events -------------------------------------------------------------------


def test_pulling_hands_over_the_events_in_order_and_empties_the_list() -> None:
    snippet = fresh()
    snippet.revise(editor_id=OWNER, now=LATER, title="renamed")
    recorded = list(snippet.events)
    pulled = snippet.pull_events()
    assert pulled == recorded
    assert [type(event) for event in pulled] == [SnippetCreated, SnippetRevised]
    assert snippet.events == []
    assert snippet.pull_events() == []


def test_the_aggregate_version_keeps_counting_after_a_pull() -> None:
    snippet = fresh()
    snippet.pull_events()
    snippet.delete(deleter_id=OWNER, now=LATER)
    (event,) = snippet.pull_events()
    assert (type(event), event.aggregate_version) == (SnippetDeleted, 2)
    assert snippet.aggregate_version == 2
