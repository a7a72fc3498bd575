"""The lifecycle events the Snippet aggregate records: what each says about the snippet."""

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any
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


def identity(event: DomainEvent) -> tuple[UUID, str, UUID | None]:
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


def revised(snippet: Snippet, **changes: Any) -> SnippetRevised:
    """The event of a revision at LATER that changed nothing of a fresh snippet, with changes."""
    unchanged = SnippetRevised(
        snippet_id=snippet.id,
        short_id=SHORT_ID,
        owner_id=OWNER,
        occurred_at=LATER,
        latest_version=1,
        aggregate_version=2,
        title="hello",
        visibility="public",
        language="python",
        expires_at=None,
        title_changed=False,
        new_version=False,
    )
    return replace(unchanged, **changes)


def rename(snippet: Snippet) -> None:
    snippet.revise(editor_id=OWNER, now=LATER, title="renamed")


def new_content(snippet: Snippet) -> None:
    snippet.revise(editor_id=OWNER, now=LATER, content="v2")


def rename_with_new_content(snippet: Snippet) -> None:
    snippet.revise(editor_id=OWNER, now=LATER, title="renamed", content="v2")


def make_private_in_rust(snippet: Snippet) -> None:
    snippet.revise(editor_id=OWNER, now=LATER, visibility=Visibility.PRIVATE, language="Rust")


def new_content_after_a_share(snippet: Snippet) -> None:
    snippet.share(sharer_id=OWNER, number=1, ttl=HOUR, now=NOW)
    new_content(snippet)


def rename_after_making_private(snippet: Snippet) -> None:
    snippet.revise(editor_id=OWNER, now=NOW, visibility=Visibility.PRIVATE)
    rename(snippet)


NEW_VERSION: dict[str, Any] = {"latest_version": 2, "new_version": True}
RENAMED: dict[str, Any] = {"title": "renamed", "title_changed": True}
REVISIONS: dict[str, tuple[Callable[[Snippet], None], dict[str, Any]]] = {
    # A title-only revision is not a new version.
    "title-only": (rename, RENAMED),
    # A content revision is a new version under the same title.
    "content-only": (new_content, NEW_VERSION),
    "title-and-content": (rename_with_new_content, RENAMED | NEW_VERSION),
    # The event reports the new latest version's visibility and language.
    "visibility-and-language": (
        make_private_in_rust,
        {"visibility": "private", "language": "rust"} | NEW_VERSION,
    ),
    # ... and the share window the new version inherits.
    "content-after-a-share": (
        new_content_after_a_share,
        {"expires_at": NOW + HOUR, "aggregate_version": 3} | NEW_VERSION,
    ),
    # A title-only revision reports the settings of the latest version.
    "title-after-making-private": (
        rename_after_making_private,
        {"visibility": "private", "latest_version": 2, "aggregate_version": 3} | RENAMED,
    ),
}


@pytest.mark.parametrize(("revise", "changes"), REVISIONS.values(), ids=REVISIONS.keys())
def test_a_revision_says_what_changed_and_reports_the_latest_versions_settings(
    revise: Callable[[Snippet], None], changes: dict[str, Any]
) -> None:
    snippet = fresh()
    revise(snippet)
    assert last_event(snippet) == revised(snippet, **changes)


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
