"""The Snippet aggregate: creation, revisions, share windows, deletion and who may read what."""

from datetime import datetime, timedelta
from uuid import UUID, uuid4

import pytest

from swiftpaste.domain.errors import (
    InvalidSnippet,
    NotSnippetOwner,
    ShareExpired,
    SnippetNotFound,
    VersionNotFound,
)
from swiftpaste.domain.events import (
    SnippetCreated,
    SnippetDeleted,
    SnippetRevised,
    SnippetShared,
)
from swiftpaste.domain.snippets import (
    LANGUAGE_MAX_LENGTH,
    SHORT_ID_ALPHABET,
    TITLE_MAX_LENGTH,
    ShareGrant,
    Snippet,
    SnippetVersion,
    Visibility,
    is_short_id,
)
from tests.unit.fakes import DEFAULT_NOW, a_snippet

NOW = DEFAULT_NOW
LATER = NOW + timedelta(minutes=5)
OWNER = UUID("00000000-0000-4000-8000-000000000001")
STRANGER = UUID("00000000-0000-4000-8000-000000000002")
HOUR = timedelta(hours=1)


def public(
    *,
    title: str = "hello",
    content: str = "print('hello')",
    language: str | None = "python",
    expires_at: datetime | None = None,
) -> Snippet:
    return a_snippet(
        owner_id=OWNER,
        visibility=Visibility.PUBLIC,
        title=title,
        content=content,
        language=language,
        expires_at=expires_at,
    )


def private(*, short_id: str = "abc12345", content: str = "print('hello')") -> Snippet:
    return a_snippet(
        owner_id=OWNER, short_id=short_id, visibility=Visibility.PRIVATE, content=content
    )


def read(
    snippet: Snippet,
    reader: UUID | None,
    *,
    number: int | None = None,
    grant: ShareGrant | None = None,
    now: datetime = LATER,
) -> SnippetVersion:
    return snippet.read(number, reader_id=reader, grant=grant, now=now)


def grant_for(snippet: Snippet, number: int) -> ShareGrant:
    """The grant a genuine share token for the version's current window carries."""
    expires_at = snippet.version(number).expires_at
    assert expires_at is not None
    return ShareGrant(snippet.id, number, expires_at)


# --- create ------------------------------------------------------------------------


def test_a_new_snippet_has_its_content_as_version_1() -> None:
    snippet = a_snippet(
        owner_id=OWNER, content="x = 1", visibility=Visibility.PRIVATE, language="python"
    )
    assert snippet.latest_version == 1
    assert snippet.versions == {
        1: SnippetVersion(
            number=1,
            content="x = 1",
            visibility=Visibility.PRIVATE,
            language="python",
            expires_at=None,
            created_at=NOW,
        )
    }


def test_a_new_snippet_is_owned_unviewed_undeleted_and_stamped_now() -> None:
    snippet = public()
    assert (snippet.owner_id, snippet.views, snippet.deleted_at) == (OWNER, 0, None)
    assert (snippet.created_at, snippet.updated_at) == (NOW, NOW)


def test_creating_records_snippet_created_at_aggregate_version_1() -> None:
    snippet = public()
    assert snippet.events == [
        SnippetCreated(
            snippet_id=snippet.id,
            short_id="abc12345",
            owner_id=OWNER,
            occurred_at=NOW,
            latest_version=1,
            aggregate_version=1,
            title="hello",
            visibility="public",
            language="python",
            expires_at=None,
        )
    ]
    assert snippet.aggregate_version == 1


def test_a_future_expiry_is_kept_on_version_1() -> None:
    assert public(expires_at=NOW + HOUR).version(1).expires_at == NOW + HOUR


@pytest.mark.parametrize(
    "expires_at",
    [NOW, NOW - timedelta(microseconds=1), NOW - HOUR],
    ids=["now", "just-past", "past"],
)
def test_an_expiry_not_in_the_future_is_refused(expires_at: datetime) -> None:
    with pytest.raises(InvalidSnippet, match="future"):
        public(expires_at=expires_at)


@pytest.mark.parametrize("title", ["", " ", "\t\n"], ids=["empty", "space", "whitespace"])
def test_an_empty_title_is_refused(title: str) -> None:
    with pytest.raises(InvalidSnippet, match="title"):
        public(title=title)


def test_a_title_over_the_maximum_length_is_refused() -> None:
    with pytest.raises(InvalidSnippet, match="title"):
        public(title="t" * (TITLE_MAX_LENGTH + 1))


def test_a_title_of_exactly_the_maximum_length_is_accepted() -> None:
    assert public(title="t" * TITLE_MAX_LENGTH).title == "t" * TITLE_MAX_LENGTH


@pytest.mark.parametrize(
    ("given", "stored"),
    [("Python", "python"), ("  RUST \n", "rust"), ("", None), ("   ", None), (None, None)],
    ids=["mixed-case", "padded", "empty", "blank", "none"],
)
def test_the_language_is_stored_trimmed_and_lower_case_or_not_at_all(
    given: str | None, stored: str | None
) -> None:
    assert public(language=given).version(1).language == stored


def test_a_language_over_the_maximum_length_is_refused() -> None:
    with pytest.raises(InvalidSnippet, match="language"):
        public(language="l" * (LANGUAGE_MAX_LENGTH + 1))


def test_a_language_of_exactly_the_maximum_length_is_accepted() -> None:
    assert public(language="L" * LANGUAGE_MAX_LENGTH).version(1).language == (
        "l" * LANGUAGE_MAX_LENGTH
    )


def test_a_versions_size_is_counted_in_utf8_bytes() -> None:
    assert public(content="é€😀").version(1).size_bytes == 2 + 3 + 4


# --- revise ------------------------------------------------------------------------


def test_changing_only_the_title_changes_it_in_place_without_a_new_version() -> None:
    snippet = public(title="old")
    before = dict(snippet.versions)
    snippet.revise(editor_id=OWNER, now=LATER, title="new")
    assert (snippet.title, snippet.latest_version, snippet.versions) == ("new", 1, before)
    assert snippet.updated_at == LATER


def test_changing_the_content_makes_version_2_with_the_rest_inherited() -> None:
    snippet = public(content="v1", language="python")
    snippet.revise(editor_id=OWNER, now=LATER, content="v2")
    assert snippet.latest_version == 2
    assert snippet.version(2) == SnippetVersion(
        number=2,
        content="v2",
        visibility=Visibility.PUBLIC,
        language="python",
        expires_at=None,
        created_at=LATER,
    )


def test_a_new_version_leaves_the_previous_one_untouched() -> None:
    snippet = public(content="v1")
    first = snippet.version(1)
    snippet.revise(editor_id=OWNER, now=LATER, content="v2")
    assert snippet.version(1) == first


def test_changing_the_visibility_makes_a_new_version_with_the_same_content() -> None:
    snippet = public(content="same")
    snippet.revise(editor_id=OWNER, now=LATER, visibility=Visibility.PRIVATE)
    new = snippet.version(2)
    assert (new.content, new.visibility) == ("same", Visibility.PRIVATE)


def test_changing_the_language_makes_a_new_version_with_the_language_normalised() -> None:
    snippet = public(language="python")
    snippet.revise(editor_id=OWNER, now=LATER, language=" Rust ")
    assert (snippet.latest_version, snippet.version(2).language) == (2, "rust")


def test_an_empty_language_in_a_revision_clears_it() -> None:
    snippet = public(language="python")
    snippet.revise(editor_id=OWNER, now=LATER, language="")
    assert snippet.version(2).language is None


@pytest.mark.parametrize(
    ("title", "content", "language"),
    [(None, "new content", None), (None, None, "rust"), ("renamed", "new content", None)],
    ids=["content", "language", "title-and-content"],
)
def test_a_private_snippet_revised_without_a_visibility_stays_private(
    title: str | None, content: str | None, language: str | None
) -> None:
    snippet = private()
    snippet.revise(editor_id=OWNER, now=LATER, title=title, content=content, language=language)
    assert (snippet.latest_version, snippet.version().visibility) == (2, Visibility.PRIVATE)


def test_a_new_version_keeps_the_share_window_of_the_one_it_replaces() -> None:
    """An expiring paste does not turn permanent because it was edited."""
    snippet = public()
    shared = snippet.share(sharer_id=OWNER, number=1, ttl=HOUR, now=NOW)
    snippet.revise(editor_id=OWNER, now=LATER, content="v2")
    assert snippet.version(2).expires_at == shared.expires_at


def test_empty_content_is_refused() -> None:
    with pytest.raises(InvalidSnippet):
        public().revise(editor_id=OWNER, now=LATER, content="")


def test_each_revision_adds_the_next_version_number() -> None:
    snippet = public()
    for content in ("v2", "v3", "v4"):
        snippet.revise(editor_id=OWNER, now=LATER, content=content)
    assert sorted(snippet.versions) == [1, 2, 3, 4]
    assert (snippet.latest_version, snippet.version().content) == (4, "v4")


def test_events_and_the_aggregate_version_increase_by_one_per_change() -> None:
    snippet = private()
    snippet.revise(editor_id=OWNER, now=LATER, title="renamed")
    snippet.share(sharer_id=OWNER, number=1, ttl=HOUR, now=LATER)
    snippet.revise(editor_id=OWNER, now=LATER, content="v2")
    snippet.delete(deleter_id=OWNER, now=LATER)
    assert [type(event) for event in snippet.events] == [
        SnippetCreated,
        SnippetRevised,
        SnippetShared,
        SnippetRevised,
        SnippetDeleted,
    ]
    assert [event.aggregate_version for event in snippet.events] == [1, 2, 3, 4, 5]
    assert snippet.aggregate_version == 5


def test_the_aggregate_version_continues_from_a_loaded_snippets() -> None:
    snippet = public()
    snippet.events.clear()  # as loaded from the database: aggregate_version 1, no events
    snippet.revise(editor_id=OWNER, now=LATER, title="new")
    assert [event.aggregate_version for event in snippet.events] == [2]


def test_a_revision_by_someone_else_is_refused_and_changes_nothing() -> None:
    snippet = public(title="old")
    with pytest.raises(NotSnippetOwner):
        snippet.revise(editor_id=STRANGER, now=LATER, title="new", content="v2")
    assert (snippet.title, snippet.latest_version, len(snippet.events)) == ("old", 1, 1)


def test_revising_a_deleted_snippet_is_refused_as_not_found() -> None:
    snippet = public()
    snippet.delete(deleter_id=OWNER, now=NOW)
    with pytest.raises(SnippetNotFound):
        snippet.revise(editor_id=OWNER, now=LATER, content="v2")


def test_a_revision_with_no_field_is_refused() -> None:
    snippet = public()
    with pytest.raises(InvalidSnippet, match="at least one"):
        snippet.revise(editor_id=OWNER, now=LATER)
    assert (snippet.latest_version, len(snippet.events)) == (1, 1)


def test_a_revision_with_an_empty_title_is_refused() -> None:
    snippet = public(title="old")
    with pytest.raises(InvalidSnippet, match="title"):
        snippet.revise(editor_id=OWNER, now=LATER, title=" ")
    assert snippet.title == "old"


def test_a_revision_refused_for_its_language_leaves_the_title_unchanged() -> None:
    snippet = public(title="old")
    with pytest.raises(InvalidSnippet, match="language"):
        snippet.revise(
            editor_id=OWNER, now=LATER, title="new", language="l" * (LANGUAGE_MAX_LENGTH + 1)
        )
    assert snippet.title == "old"


# --- share -------------------------------------------------------------------------


def test_sharing_opens_the_version_until_now_plus_the_ttl_in_whole_seconds() -> None:
    snippet = private()
    now = NOW + timedelta(microseconds=750_000)
    shared = snippet.share(sharer_id=OWNER, number=1, ttl=HOUR, now=now)
    assert shared.expires_at == NOW + HOUR
    assert snippet.version(1) == shared


def test_sharing_moves_only_the_window_of_that_version() -> None:
    snippet = private(content="v1")
    snippet.revise(editor_id=OWNER, now=NOW, content="v2")
    latest = snippet.version(2)
    snippet.share(sharer_id=OWNER, number=1, ttl=HOUR, now=LATER)
    assert snippet.version(2) == latest
    assert snippet.version(1).content == "v1"
    assert snippet.latest_version == 2


def test_sharing_records_the_window_and_stamps_the_snippet() -> None:
    snippet = private()
    snippet.share(sharer_id=OWNER, number=1, ttl=HOUR, now=LATER)
    assert snippet.events[-1] == SnippetShared(
        snippet_id=snippet.id,
        short_id="abc12345",
        owner_id=OWNER,
        occurred_at=LATER,
        latest_version=1,
        aggregate_version=2,
        version=1,
        visibility="private",
        expires_at=LATER + HOUR,
    )
    assert snippet.updated_at == LATER


def test_sharing_again_replaces_the_window() -> None:
    snippet = private()
    snippet.share(sharer_id=OWNER, number=1, ttl=HOUR, now=NOW)
    snippet.share(sharer_id=OWNER, number=1, ttl=2 * HOUR, now=LATER)
    assert snippet.version(1).expires_at == LATER + 2 * HOUR


def test_sharing_by_someone_else_is_refused() -> None:
    snippet = private()
    with pytest.raises(NotSnippetOwner):
        snippet.share(sharer_id=STRANGER, number=1, ttl=HOUR, now=LATER)
    assert snippet.version(1).expires_at is None


def test_sharing_an_unknown_version_is_refused() -> None:
    with pytest.raises(VersionNotFound):
        private().share(sharer_id=OWNER, number=2, ttl=HOUR, now=LATER)


def test_sharing_a_deleted_snippet_is_refused_as_not_found() -> None:
    snippet = private()
    snippet.delete(deleter_id=OWNER, now=NOW)
    with pytest.raises(SnippetNotFound):
        snippet.share(sharer_id=OWNER, number=1, ttl=HOUR, now=LATER)


# --- delete ------------------------------------------------------------------------


def test_deleting_marks_the_snippet_deleted_and_records_it() -> None:
    snippet = public()
    snippet.delete(deleter_id=OWNER, now=LATER)
    assert snippet.is_deleted
    assert (snippet.deleted_at, snippet.updated_at) == (LATER, LATER)
    assert snippet.events[-1] == SnippetDeleted(
        snippet_id=snippet.id,
        short_id="abc12345",
        owner_id=OWNER,
        occurred_at=LATER,
        latest_version=1,
        aggregate_version=2,
    )


def test_deleting_by_someone_else_is_refused() -> None:
    snippet = public()
    with pytest.raises(NotSnippetOwner):
        snippet.delete(deleter_id=STRANGER, now=LATER)
    assert not snippet.is_deleted


def test_deleting_twice_is_refused_as_not_found() -> None:
    snippet = public()
    snippet.delete(deleter_id=OWNER, now=NOW)
    with pytest.raises(SnippetNotFound):
        snippet.delete(deleter_id=OWNER, now=LATER)
    assert snippet.deleted_at == NOW


# --- read: who may see which version -----------------------------------------------

READERS = pytest.mark.parametrize(
    "reader", [None, STRANGER, OWNER], ids=["anonymous", "stranger", "owner"]
)
OTHERS = pytest.mark.parametrize("reader", [None, STRANGER], ids=["anonymous", "stranger"])


@READERS
def test_a_public_version_is_readable_by_anyone(reader: UUID | None) -> None:
    snippet = public(content="hi")
    assert read(snippet, reader).content == "hi"


def test_without_a_number_the_latest_version_is_read() -> None:
    snippet = public(content="v1")
    snippet.revise(editor_id=OWNER, now=NOW, content="v2")
    assert read(snippet, None).number == 2


def test_an_older_version_can_be_asked_for_by_number() -> None:
    snippet = public(content="v1")
    snippet.revise(editor_id=OWNER, now=NOW, content="v2")
    assert read(snippet, None, number=1).content == "v1"


def test_the_owner_reads_a_private_version() -> None:
    assert read(private(content="secret"), OWNER).content == "secret"


@OTHERS
def test_a_private_version_does_not_exist_for_others(reader: UUID | None) -> None:
    with pytest.raises(SnippetNotFound):
        read(private(), reader)


@OTHERS
def test_a_grant_for_exactly_the_version_and_window_opens_a_private_version(
    reader: UUID | None,
) -> None:
    snippet = private(content="secret")
    snippet.share(sharer_id=OWNER, number=1, ttl=HOUR, now=NOW)
    assert read(snippet, reader, grant=grant_for(snippet, 1)).content == "secret"


def test_a_grant_for_another_version_does_not_open_a_private_version() -> None:
    snippet = private()
    snippet.revise(editor_id=OWNER, now=NOW, content="v2")
    snippet.share(sharer_id=OWNER, number=1, ttl=HOUR, now=NOW)
    snippet.share(sharer_id=OWNER, number=2, ttl=HOUR, now=NOW)
    with pytest.raises(SnippetNotFound):
        read(snippet, None, number=2, grant=grant_for(snippet, 1))


def test_a_grant_for_another_snippet_does_not_open_a_private_version() -> None:
    snippet = private()
    snippet.share(sharer_id=OWNER, number=1, ttl=HOUR, now=NOW)
    other = private(short_id="other001")
    other.share(sharer_id=OWNER, number=1, ttl=HOUR, now=NOW)
    with pytest.raises(SnippetNotFound):
        read(snippet, None, grant=grant_for(other, 1))


def test_a_grant_for_an_older_window_does_not_open_a_reshared_version() -> None:
    snippet = private()
    snippet.share(sharer_id=OWNER, number=1, ttl=HOUR, now=NOW)
    old_grant = grant_for(snippet, 1)
    snippet.share(sharer_id=OWNER, number=1, ttl=HOUR, now=LATER)
    with pytest.raises(SnippetNotFound):
        read(snippet, None, grant=old_grant)


def test_a_grant_does_not_open_a_private_version_that_was_never_shared() -> None:
    snippet = private()
    with pytest.raises(SnippetNotFound):
        read(snippet, None, grant=ShareGrant(snippet.id, 1, NOW + HOUR))


@OTHERS
def test_an_expired_public_version_is_expired_for_others(reader: UUID | None) -> None:
    snippet = public(expires_at=NOW + HOUR)
    with pytest.raises(ShareExpired):
        read(snippet, reader, now=NOW + HOUR)


def test_the_owner_still_reads_an_expired_version() -> None:
    snippet = public(content="old news", expires_at=NOW + HOUR)
    assert read(snippet, OWNER, now=NOW + 2 * HOUR).content == "old news"


def test_a_version_is_readable_until_just_before_its_expiry() -> None:
    snippet = public(expires_at=NOW + HOUR)
    assert read(snippet, None, now=NOW + HOUR - timedelta(microseconds=1)).number == 1


def test_a_granted_private_version_is_expired_once_its_window_closes() -> None:
    snippet = private()
    snippet.share(sharer_id=OWNER, number=1, ttl=HOUR, now=NOW)
    with pytest.raises(ShareExpired):
        read(snippet, None, grant=grant_for(snippet, 1), now=NOW + HOUR)


def test_an_expired_private_version_without_a_grant_is_not_found_rather_than_expired() -> None:
    snippet = private()
    snippet.share(sharer_id=OWNER, number=1, ttl=HOUR, now=NOW)
    with pytest.raises(SnippetNotFound):
        read(snippet, STRANGER, now=NOW + 2 * HOUR)


@READERS
@pytest.mark.parametrize("visibility", list(Visibility))
def test_a_deleted_snippet_is_not_found_for_anyone(
    reader: UUID | None, visibility: Visibility
) -> None:
    snippet = a_snippet(owner_id=OWNER, visibility=visibility)
    snippet.delete(deleter_id=OWNER, now=NOW)
    with pytest.raises(SnippetNotFound):
        read(snippet, reader)


@OTHERS
def test_an_unknown_version_is_not_found_for_others(reader: UUID | None) -> None:
    snippet = public()
    with pytest.raises(SnippetNotFound):
        read(snippet, reader, number=7)


def test_an_unknown_version_is_reported_as_such_to_the_owner() -> None:
    with pytest.raises(VersionNotFound):
        read(public(), OWNER, number=7)


# --- lists_version_for -------------------------------------------------------------


@pytest.mark.parametrize("visibility", list(Visibility))
@pytest.mark.parametrize("expires_at", [None, NOW + HOUR, NOW - HOUR], ids=["open", "live", "past"])
def test_the_owner_is_listed_every_version(
    visibility: Visibility, expires_at: datetime | None
) -> None:
    assert public().lists_version_for(OWNER, visibility, expires_at, NOW)


@OTHERS
@pytest.mark.parametrize("expires_at", [None, NOW + HOUR], ids=["open", "live"])
def test_others_are_listed_public_unexpired_versions(
    reader: UUID | None, expires_at: datetime | None
) -> None:
    assert public().lists_version_for(reader, Visibility.PUBLIC, expires_at, NOW)


@OTHERS
def test_others_are_not_listed_private_versions(reader: UUID | None) -> None:
    assert not public().lists_version_for(reader, Visibility.PRIVATE, None, NOW)


@OTHERS
@pytest.mark.parametrize("expires_at", [NOW, NOW - HOUR], ids=["at-expiry", "past"])
def test_others_are_not_listed_expired_versions(reader: UUID | None, expires_at: datetime) -> None:
    assert not public().lists_version_for(reader, Visibility.PUBLIC, expires_at, NOW)


def test_ownership_is_by_user_id_and_nobody_owns_for_an_anonymous_reader() -> None:
    snippet = public()
    assert snippet.is_owned_by(OWNER)
    assert not snippet.is_owned_by(uuid4())
    assert not snippet.is_owned_by(None)


@pytest.mark.parametrize("candidate", ["aB3dE5fG", "22222222", "ZZZZZZZZ", SHORT_ID_ALPHABET[-8:]])
def test_short_ids_are_eight_characters_of_the_alphabet(candidate: str) -> None:
    assert is_short_id(candidate)


@pytest.mark.parametrize(
    "candidate",
    [
        "",
        "aB3dE5f",
        "aB3dE5fGh",
        "0B3dE5fG",
        "aB3dE5f0",
        "aB3lE5fG",
        "aB3 E5fG",
        "aB3dE5f\n",
        "aB3dé5fG",
        "aB3dE5f/",
        "aB3dE5fI",
        "aB3dE5fO",
    ],
)
def test_anything_else_is_not_a_short_id(candidate: str) -> None:
    assert not is_short_id(candidate)
