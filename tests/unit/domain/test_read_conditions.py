"""Reading with conditions: unlisted versions, burn after reading, view limits, and what a
revision inherits of them."""

from datetime import timedelta
from uuid import uuid4

import pytest

from swiftpaste.domain.errors import (
    InvalidSnippet,
    SnippetBurned,
    SnippetNotFound,
    ViewLimitReached,
)
from swiftpaste.domain.events import SnippetBurned as SnippetBurnedEvent
from swiftpaste.domain.events import SnippetViewLimitReached
from swiftpaste.domain.snippets import (
    EXPIRY_PRESETS,
    KEEP,
    MAX_VIEWS_LIMIT,
    Snippet,
    Visibility,
    expires_at_for,
)
from tests.unit.fakes import DEFAULT_NOW

OWNER = uuid4()
READER = uuid4()
NOW = DEFAULT_NOW


def a_snippet(**conditions: object) -> Snippet:
    values: dict[str, object] = {
        "snippet_id": uuid4(),
        "short_id": "abc12345",
        "owner_id": OWNER,
        "title": "t",
        "content": "secret",
        "visibility": Visibility.PUBLIC,
        "language": None,
        "expires_at": None,
        "now": NOW,
        **conditions,
    }
    snippet = Snippet.create(**values)  # type: ignore[arg-type]
    snippet.pull_events()
    return snippet


def read_by(snippet: Snippet, reader: object = READER) -> str:
    version = snippet.consume_read(None, reader_id=reader, grant=None, now=NOW)  # type: ignore[arg-type]
    return version.content


# --- unlisted ---------------------------------------------------------------------------


def test_an_unlisted_version_is_read_by_anyone_with_the_link() -> None:
    snippet = a_snippet(visibility=Visibility.UNLISTED)
    assert snippet.read(None, reader_id=None, grant=None, now=NOW).content == "secret"
    assert snippet.read(None, reader_id=READER, grant=None, now=NOW).content == "secret"


def test_an_unlisted_version_is_listed_to_those_with_the_link() -> None:
    snippet = a_snippet(visibility=Visibility.UNLISTED)
    assert snippet.lists_version_for(None, Visibility.UNLISTED, None, NOW)
    assert not snippet.lists_version_for(None, Visibility.PRIVATE, None, NOW)


# --- burn after reading -----------------------------------------------------------------


def test_the_first_read_by_someone_else_returns_the_content_and_erases_it() -> None:
    snippet = a_snippet(burn_after_reading=True)
    assert read_by(snippet) == "secret"
    stored = snippet.version(1)
    assert (stored.content, stored.burned_at, stored.views_left) == ("", NOW, 0)
    (event,) = snippet.pull_events()
    assert isinstance(event, SnippetBurnedEvent)
    assert event.version == 1


@pytest.mark.parametrize("reader", [READER, None, OWNER], ids=["someone", "anyone", "owner"])
def test_after_the_burn_every_read_is_refused(reader: object) -> None:
    snippet = a_snippet(burn_after_reading=True)
    read_by(snippet)
    with pytest.raises(SnippetBurned):
        read_by(snippet, reader)


def test_the_owners_reads_do_not_burn_it() -> None:
    snippet = a_snippet(burn_after_reading=True)
    for _ in range(3):
        assert read_by(snippet, OWNER) == "secret"
    assert snippet.version(1).burned_at is None
    assert snippet.pull_events() == []
    assert read_by(snippet) == "secret"


# --- view limits ------------------------------------------------------------------------


def test_reads_by_others_are_counted_up_to_the_limit() -> None:
    snippet = a_snippet(max_views=3)
    lefts = []
    for _ in range(3):
        read_by(snippet)
        lefts.append(snippet.version(1).views_left)
    assert lefts == [2, 1, 0]
    with pytest.raises(ViewLimitReached):
        read_by(snippet)
    (event,) = snippet.pull_events()
    assert isinstance(event, SnippetViewLimitReached)
    assert (event.version, event.max_views) == (1, 3)


def test_the_owner_reads_past_the_limit_uncounted() -> None:
    snippet = a_snippet(max_views=1)
    read_by(snippet)
    for _ in range(2):
        assert read_by(snippet, OWNER) == "secret"
    assert snippet.version(1).views_used == 1


@pytest.mark.parametrize("max_views", [0, -1, MAX_VIEWS_LIMIT + 1])
def test_a_limit_out_of_range_is_refused(max_views: int) -> None:
    with pytest.raises(InvalidSnippet, match="max_views"):
        a_snippet(max_views=max_views)


def test_a_version_read_without_conditions_counts_nothing() -> None:
    snippet = a_snippet()
    read_by(snippet)
    assert (snippet.version(1).views_used, snippet.pull_events()) == (0, [])


def test_a_private_version_refuses_others_before_counting() -> None:
    snippet = a_snippet(visibility=Visibility.PRIVATE, max_views=1)
    with pytest.raises(SnippetNotFound):
        read_by(snippet)
    assert snippet.version(1).views_used == 0


# --- expiry presets ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preset", "lifetime"),
    [(name, lifetime) for name, lifetime in EXPIRY_PRESETS.items()],
)
def test_an_expiry_preset_is_a_lifetime_from_now(preset: str, lifetime: timedelta | None) -> None:
    expected = None if lifetime is None else NOW + lifetime
    assert expires_at_for(preset, NOW) == expected


def test_an_unknown_preset_is_refused() -> None:
    with pytest.raises(InvalidSnippet, match="expires_in"):
        expires_at_for("2d", NOW)


# --- revisions inherit what they do not set ---------------------------------------------


def revised(snippet: Snippet, **changes: object) -> Snippet:
    snippet.revise(editor_id=OWNER, now=NOW + timedelta(minutes=1), **changes)  # type: ignore[arg-type]
    return snippet


CONDITIONS = {
    "visibility": Visibility.UNLISTED,
    "expires_at": NOW + timedelta(days=1),
    "burn_after_reading": True,
    "max_views": 5,
    "password_hash": "hashed:open sesame",
}


@pytest.mark.parametrize("field", CONDITIONS)
def test_a_new_version_inherits_each_condition(field: str) -> None:
    snippet = a_snippet(**{field: CONDITIONS[field]})
    revised(snippet, content="v2")
    assert getattr(snippet.version(), field) == CONDITIONS[field]


@pytest.mark.parametrize("field", ["expires_at", "max_views", "password_hash"])
def test_a_revision_can_remove_a_condition(field: str) -> None:
    snippet = a_snippet(**{field: CONDITIONS[field]})
    revised(snippet, **{field: None})
    assert getattr(snippet.version(), field) is None
    assert snippet.latest_version == 2


def test_a_revision_can_stop_burning() -> None:
    snippet = a_snippet(burn_after_reading=True)
    revised(snippet, burn_after_reading=False)
    assert not snippet.version().burn_after_reading


def test_a_new_version_counts_its_reads_afresh() -> None:
    snippet = a_snippet(max_views=2)
    read_by(snippet)
    revised(snippet, content="v2")
    assert (snippet.version().views_used, snippet.version().views_left) == (0, 2)


def test_a_condition_alone_makes_a_new_version_with_the_same_content() -> None:
    snippet = a_snippet()
    revised(snippet, max_views=3)
    assert (snippet.latest_version, snippet.version().content) == (2, "secret")


def test_keep_leaves_a_condition_as_it_is() -> None:
    snippet = a_snippet(max_views=4)
    revised(snippet, title="renamed", max_views=KEEP, password_hash=KEEP, expires_at=KEEP)
    assert (snippet.latest_version, snippet.version().max_views) == (1, 4)


def test_a_burned_latest_version_needs_new_content() -> None:
    snippet = a_snippet(burn_after_reading=True)
    read_by(snippet)
    with pytest.raises(InvalidSnippet, match="burned"):
        revised(snippet, visibility=Visibility.PRIVATE)
    revised(snippet, content="again")
    assert snippet.version().content == "again"


def test_an_expiry_in_the_past_is_refused_on_revision() -> None:
    snippet = a_snippet()
    with pytest.raises(InvalidSnippet, match="future"):
        revised(snippet, expires_at=NOW - timedelta(seconds=1))
