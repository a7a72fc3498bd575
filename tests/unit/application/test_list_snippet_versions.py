"""ListSnippetVersions: every version for the owner, the public unexpired ones for others."""

from datetime import timedelta

import pytest

from swiftpaste.application.snippets.list_versions import ListSnippetVersions
from swiftpaste.application.snippets.read_models import VersionSummary
from swiftpaste.domain.errors import SnippetNotFound
from swiftpaste.domain.snippets import Snippet, Visibility
from swiftpaste.domain.users import User
from tests.unit.fakes import FakeSnippetQueries, FakeSnippetRepository, FixedClock, a_snippet

SHORT_ID = "abc12345"


@pytest.fixture
def list_versions(snippet_queries: FakeSnippetQueries, clock: FixedClock) -> ListSnippetVersions:
    return ListSnippetVersions(snippet_queries, clock)


@pytest.fixture
def history(snippets: FakeSnippetRepository, owner: User, clock: FixedClock) -> Snippet:
    """v1 public, v2 private, v3 public but shared for a minute, v4 public."""
    snippet = a_snippet(owner_id=owner.id, short_id=SHORT_ID, content="v1", now=clock.now())
    snippet.revise(editor_id=owner.id, now=clock.now(), content="v2", visibility=Visibility.PRIVATE)
    snippet.revise(editor_id=owner.id, now=clock.now(), content="v3", visibility=Visibility.PUBLIC)
    snippet.revise(editor_id=owner.id, now=clock.now(), content="v4 ✓")
    snippet.share(sharer_id=owner.id, number=3, ttl=timedelta(minutes=1), now=clock.now())
    return snippets.seed(snippet)


def numbers(versions: tuple[VersionSummary, ...]) -> list[int]:
    return [version.number for version in versions]


async def test_the_owner_is_listed_every_version_in_order(
    list_versions: ListSnippetVersions, history: Snippet, owner: User, clock: FixedClock
) -> None:
    clock.advance(timedelta(hours=1))
    assert numbers(await list_versions(SHORT_ID, owner.id)) == [1, 2, 3, 4]


@pytest.mark.parametrize("as_stranger", [True, False], ids=["stranger", "anonymous"])
async def test_others_are_listed_only_public_unexpired_versions(
    list_versions: ListSnippetVersions,
    history: Snippet,
    stranger: User,
    clock: FixedClock,
    as_stranger: bool,
) -> None:
    clock.advance(timedelta(minutes=1))
    reader = stranger.id if as_stranger else None
    assert numbers(await list_versions(SHORT_ID, reader)) == [1, 4]


async def test_a_shared_version_is_listed_to_others_until_its_window_closes(
    list_versions: ListSnippetVersions, history: Snippet, clock: FixedClock
) -> None:
    assert numbers(await list_versions(SHORT_ID, None)) == [1, 3, 4]


async def test_a_version_summary_gives_its_size_in_bytes(
    list_versions: ListSnippetVersions, history: Snippet
) -> None:
    latest = (await list_versions(SHORT_ID, None))[-1]
    assert (latest.number, latest.size_bytes) == (4, len("v4 ✓".encode()))


async def test_with_no_version_visible_the_snippet_is_not_found(
    list_versions: ListSnippetVersions,
    snippets: FakeSnippetRepository,
    owner: User,
    stranger: User,
) -> None:
    snippets.seed(a_snippet(owner_id=owner.id, short_id=SHORT_ID, visibility=Visibility.PRIVATE))
    with pytest.raises(SnippetNotFound):
        await list_versions(SHORT_ID, stranger.id)


async def test_the_versions_of_an_unknown_short_id_are_not_found(
    list_versions: ListSnippetVersions, owner: User
) -> None:
    with pytest.raises(SnippetNotFound):
        await list_versions(SHORT_ID, owner.id)


async def test_the_versions_of_a_deleted_snippet_are_not_found_even_for_its_owner(
    list_versions: ListSnippetVersions,
    snippets: FakeSnippetRepository,
    history: Snippet,
    owner: User,
    clock: FixedClock,
) -> None:
    history.delete(deleter_id=owner.id, now=clock.now())
    snippets.seed(history)
    with pytest.raises(SnippetNotFound):
        await list_versions(SHORT_ID, owner.id)
