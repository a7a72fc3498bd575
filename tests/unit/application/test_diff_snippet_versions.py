"""DiffSnippetVersions: the changes between two versions, each read as `ReadSnippet` reads."""

from dataclasses import replace
from datetime import timedelta

import pytest

from swiftpaste.application.snippets.diff_versions import DiffSnippetVersions, unified_diff
from swiftpaste.application.snippets.read_snippet import ReadSnippet, ReadSnippetQuery
from swiftpaste.domain.errors import ShareExpired, SnippetNotFound
from swiftpaste.domain.snippets import Snippet, Visibility
from swiftpaste.domain.users import User
from tests.unit.fakes import (
    FakeAccessTokenCodec,
    FakeSnippetRepository,
    FakeViewRecorder,
    FixedClock,
    a_snippet,
    access_claims,
)

SHORT_ID = "abc12345"
ANONYMOUS = ReadSnippetQuery(short_id=SHORT_ID, address_key="ip:198.51.100.7")


@pytest.fixture
def diff(read_snippet: ReadSnippet) -> DiffSnippetVersions:
    return DiffSnippetVersions(read_snippet)


def three_versions(
    snippets: FakeSnippetRepository, owner: User, clock: FixedClock, *, private_third: bool = False
) -> Snippet:
    snippet = a_snippet(owner_id=owner.id, short_id=SHORT_ID, content="a\nb\nc\n", now=clock.now())
    snippet.revise(editor_id=owner.id, now=clock.now(), content="a\nB\nc\nd\n")
    snippet.revise(
        editor_id=owner.id,
        now=clock.now(),
        content="a\nB\nc\nd",
        visibility=Visibility.PRIVATE if private_third else None,
    )
    return snippets.seed(snippet)


async def test_a_diff_counts_the_lines_added_and_removed(
    diff: DiffSnippetVersions,
    snippets: FakeSnippetRepository,
    owner: User,
    clock: FixedClock,
    views: FakeViewRecorder,
) -> None:
    three_versions(snippets, owner, clock)
    changes = await diff(ANONYMOUS, 1, 2)
    assert (changes.from_version, changes.to_version) == (1, 2)
    assert (changes.added, changes.removed) == (2, 1)
    assert changes.unified == "--- v1\n+++ v2\n@@ -1,3 +1,4 @@\n a\n-b\n+B\n c\n+d\n"
    # Each version was read as a read would: two views, of the versions asked for.
    assert [view.version for view in views.views] == [1, 2]


async def test_equal_contents_give_an_empty_diff(
    diff: DiffSnippetVersions, snippets: FakeSnippetRepository, owner: User, clock: FixedClock
) -> None:
    three_versions(snippets, owner, clock)
    changes = await diff(ANONYMOUS, 2, 2)
    assert (changes.added, changes.removed, changes.unified) == (0, 0, "")


async def test_a_last_line_without_newline_is_marked_as_git_marks_it(
    diff: DiffSnippetVersions, snippets: FakeSnippetRepository, owner: User, clock: FixedClock
) -> None:
    three_versions(snippets, owner, clock)
    changes = await diff(ANONYMOUS, 2, 3)
    assert changes.unified.endswith("-d\n+d\n\\ No newline at end of file\n")
    assert (changes.added, changes.removed) == (1, 1)


async def test_a_version_the_reader_may_not_see_hides_the_whole_diff(
    diff: DiffSnippetVersions,
    snippets: FakeSnippetRepository,
    owner: User,
    stranger: User,
    clock: FixedClock,
    codec: FakeAccessTokenCodec,
) -> None:
    three_versions(snippets, owner, clock, private_third=True)
    stranger_token = codec.encode(access_claims(user_id=stranger.id))
    with pytest.raises(SnippetNotFound):
        await diff(ANONYMOUS, 2, 3)
    with pytest.raises(SnippetNotFound):
        await diff(replace(ANONYMOUS, access_token=stranger_token), 3, 1)
    owner_token = codec.encode(access_claims(user_id=owner.id))
    owners = await diff(replace(ANONYMOUS, access_token=owner_token), 2, 3)
    assert owners.added == 1


async def test_an_expired_version_answers_expired(
    diff: DiffSnippetVersions, snippets: FakeSnippetRepository, owner: User, clock: FixedClock
) -> None:
    snippet = three_versions(snippets, owner, clock)
    snippet.share(sharer_id=owner.id, number=1, ttl=timedelta(minutes=1), now=clock.now())
    snippets.seed(snippet)
    clock.advance(timedelta(minutes=2))
    with pytest.raises(ShareExpired):
        await diff(ANONYMOUS, 1, 2)


def test_form_feeds_and_other_separators_stay_inside_their_line() -> None:
    lines = unified_diff("a\x0cb\n", "a\x0cc\n", "v1", "v2")
    assert lines[2:] == ["@@ -1 +1 @@\n", "-a\x0cb\n", "+a\x0cc\n"]
