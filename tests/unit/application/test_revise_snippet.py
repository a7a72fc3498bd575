"""ReviseSnippet: the owner's edit is committed, then the cache forgets the snippet."""

from dataclasses import replace
from uuid import uuid4

import pytest

from swiftpaste.application.errors import ContentTooLarge, PreconditionFailed
from swiftpaste.application.snippets.create_snippet import SnippetLimits
from swiftpaste.application.snippets.etags import IfMatch, current_etags
from swiftpaste.application.snippets.revise_snippet import ReviseSnippet, ReviseSnippetCommand
from swiftpaste.domain.errors import InvalidSnippet, NotSnippetOwner, SnippetNotFound
from swiftpaste.domain.events import SnippetRevised
from swiftpaste.domain.snippets import Snippet, Visibility
from swiftpaste.domain.users import User
from tests.unit.conftest import MAX_CONTENT_BYTES
from tests.unit.fakes import (
    FakePasswordHasher,
    FakeSnippetCache,
    FakeSnippetRepository,
    FakeUnitOfWork,
    FixedClock,
    a_snippet,
    an_anonymous_snippet,
)

SHORT_ID = "abc12345"


@pytest.fixture
def revise(
    snippets: FakeSnippetRepository,
    uow: FakeUnitOfWork,
    snippet_cache: FakeSnippetCache,
    clock: FixedClock,
    snippet_limits: SnippetLimits,
    hasher: FakePasswordHasher,
) -> ReviseSnippet:
    return ReviseSnippet(snippets, uow, snippet_cache, clock, snippet_limits, hasher)


@pytest.fixture
def snippet(snippets: FakeSnippetRepository, owner: User) -> Snippet:
    return snippets.seed(
        a_snippet(
            owner_id=owner.id,
            short_id=SHORT_ID,
            title="old",
            content="v1",
            visibility=Visibility.PRIVATE,
            language="python",
        )
    )


def edit(snippet: Snippet, editor: User, **changes: str) -> ReviseSnippetCommand:
    return ReviseSnippetCommand(
        snippet_id=snippet.id,
        editor_id=editor.id,
        title=changes.get("title"),
        content=changes.get("content"),
        language=changes.get("language"),
    )


async def test_a_content_change_commits_the_next_version(
    revise: ReviseSnippet,
    snippet: Snippet,
    owner: User,
    snippets: FakeSnippetRepository,
    clock: FixedClock,
) -> None:
    await revise(edit(snippet, owner, content="v2"))
    stored = snippets.committed_snippet(snippet.id)
    assert stored is not None
    assert (stored.latest_version, stored.version(2).content, stored.version(1).content) == (
        2,
        "v2",
        "v1",
    )
    assert stored.updated_at == clock.now()


async def test_a_revision_without_a_visibility_keeps_a_private_snippet_private(
    revise: ReviseSnippet, snippet: Snippet, owner: User, snippets: FakeSnippetRepository
) -> None:
    await revise(edit(snippet, owner, content="v2", language="rust"))
    stored = snippets.committed_snippet(snippet.id)
    assert stored is not None
    assert (stored.version(2).visibility, stored.version(2).language) == (
        Visibility.PRIVATE,
        "rust",
    )


async def test_a_visibility_change_is_committed_as_a_new_version(
    revise: ReviseSnippet, snippet: Snippet, owner: User, snippets: FakeSnippetRepository
) -> None:
    command = ReviseSnippetCommand(
        snippet_id=snippet.id, editor_id=owner.id, visibility=Visibility.PUBLIC
    )
    await revise(command)
    stored = snippets.committed_snippet(snippet.id)
    assert stored is not None
    assert (stored.version(2).visibility, stored.version(2).content) == (Visibility.PUBLIC, "v1")


async def test_a_title_change_is_committed_without_a_new_version(
    revise: ReviseSnippet, snippet: Snippet, owner: User, snippets: FakeSnippetRepository
) -> None:
    await revise(edit(snippet, owner, title="new"))
    stored = snippets.committed_snippet(snippet.id)
    assert stored is not None
    assert (stored.title, stored.latest_version, sorted(stored.versions)) == ("new", 1, [1])


async def test_the_revised_snippet_is_returned(
    revise: ReviseSnippet, snippet: Snippet, owner: User
) -> None:
    revised = await revise(edit(snippet, owner, content="v2"))
    assert (revised.id, revised.latest_version, revised.version().content) == (
        snippet.id,
        2,
        "v2",
    )


async def test_the_revision_event_is_handed_to_the_repository(
    revise: ReviseSnippet, snippet: Snippet, owner: User, snippets: FakeSnippetRepository
) -> None:
    await revise(edit(snippet, owner, content="v2"))
    assert [type(e) for e in snippets.saved_events] == [SnippetRevised]
    assert snippets.saved_events[0].aggregate_version == snippet.aggregate_version + 1


@pytest.mark.parametrize(
    "changes",
    [{"title": "new"}, {"content": "v2"}],
    ids=["title", "content"],
)
async def test_the_cache_is_invalidated_after_the_commit(
    revise: ReviseSnippet,
    snippet: Snippet,
    owner: User,
    snippet_cache: FakeSnippetCache,
    journal: list[str],
    changes: dict[str, str],
) -> None:
    revised = await revise(edit(snippet, owner, **changes))
    assert journal == ["commit", f"invalidate {SHORT_ID}"]
    assert snippet_cache.invalidations == [(SHORT_ID, revised.latest_version)]


async def test_a_revision_by_someone_else_is_refused_without_commit_or_invalidation(
    revise: ReviseSnippet,
    snippet: Snippet,
    stranger: User,
    snippets: FakeSnippetRepository,
    journal: list[str],
) -> None:
    with pytest.raises(NotSnippetOwner):
        await revise(edit(snippet, stranger, content="mine now"))
    assert journal == []
    stored = snippets.staged_snippet(snippet.id)
    assert stored is not None
    assert stored.latest_version == 1


async def test_revising_an_unknown_snippet_is_not_found(
    revise: ReviseSnippet, owner: User, journal: list[str]
) -> None:
    with pytest.raises(SnippetNotFound):
        await revise(ReviseSnippetCommand(snippet_id=uuid4(), editor_id=owner.id, title="t"))
    assert journal == []


async def test_revising_a_deleted_snippet_is_not_found(
    revise: ReviseSnippet,
    snippet: Snippet,
    owner: User,
    snippets: FakeSnippetRepository,
    clock: FixedClock,
    journal: list[str],
) -> None:
    snippet.delete(deleter_id=owner.id, now=clock.now())
    snippets.seed(snippet)
    with pytest.raises(SnippetNotFound):
        await revise(edit(snippet, owner, content="v2"))
    assert journal == []


async def test_a_revision_with_no_field_is_refused_without_commit(
    revise: ReviseSnippet, snippet: Snippet, owner: User, journal: list[str]
) -> None:
    with pytest.raises(InvalidSnippet):
        await revise(edit(snippet, owner))
    assert journal == []


async def test_content_over_the_byte_limit_is_refused_without_commit(
    revise: ReviseSnippet,
    snippet: Snippet,
    owner: User,
    uow: FakeUnitOfWork,
    snippet_cache: FakeSnippetCache,
) -> None:
    with pytest.raises(ContentTooLarge):
        await revise(edit(snippet, owner, content="€" * (MAX_CONTENT_BYTES // 3 + 1)))
    assert (uow.commits, snippet_cache.invalidations) == (0, [])


# --- read conditions ---------------------------------------------------------------------


async def test_a_revision_sets_and_removes_conditions(
    revise: ReviseSnippet, snippet: Snippet, owner: User, snippets: FakeSnippetRepository
) -> None:
    base = edit(snippet, owner)
    await revise(replace(base, expires_in="1d", max_views=5, password="open sesame"))
    await revise(replace(base, content="v3"))
    await revise(replace(base, max_views=None, password=None, expires_in="never"))
    stored = snippets.committed_snippet(snippet.id)
    assert stored is not None
    second, third, fourth = (stored.version(n) for n in (2, 3, 4))
    assert (second.max_views, second.password_hash) == (5, "hashed:open sesame")
    assert second.expires_at is not None
    assert (third.max_views, third.password_hash, third.expires_at) == (
        5,
        "hashed:open sesame",
        second.expires_at,
    )
    assert (fourth.max_views, fourth.password_hash, fourth.expires_at) == (None, None, None)


async def test_a_short_password_is_refused_and_nothing_changes(
    revise: ReviseSnippet, snippet: Snippet, owner: User, uow: FakeUnitOfWork
) -> None:
    with pytest.raises(InvalidSnippet, match="password"):
        await revise(replace(edit(snippet, owner), password="short"))
    assert not uow.committed


# --- If-Match: the race of two editors ----------------------------------------------


async def test_an_edit_if_unchanged_applies_to_the_snippet_as_read(
    revise: ReviseSnippet, snippet: Snippet, owner: User, snippets: FakeSnippetRepository
) -> None:
    command = replace(edit(snippet, owner, title="new"), if_match=IfMatch(current_etags(snippet)))
    await revise(command)
    stored = snippets.committed_snippet(snippet.id)
    assert stored is not None
    assert stored.title == "new"


async def test_the_second_of_two_editors_who_read_the_same_state_is_refused(
    revise: ReviseSnippet,
    snippet: Snippet,
    owner: User,
    snippets: FakeSnippetRepository,
    snippet_cache: FakeSnippetCache,
) -> None:
    seen = IfMatch(current_etags(snippet))
    await revise(replace(edit(snippet, owner, content="first"), if_match=seen))
    with pytest.raises(PreconditionFailed, match="changed since"):
        await revise(replace(edit(snippet, owner, content="second"), if_match=seen))
    stored = snippets.committed_snippet(snippet.id)
    assert stored is not None
    assert (stored.latest_version, stored.version(2).content) == (2, "first")
    assert len(snippet_cache.invalidations) == 1


async def test_if_match_any_state_only_asks_that_the_snippet_exists(
    revise: ReviseSnippet, snippet: Snippet, owner: User, clock: FixedClock
) -> None:
    snippet.revise(editor_id=owner.id, now=clock.now(), title="moved on")
    revised = await revise(
        replace(edit(snippet, owner, title="again"), if_match=IfMatch(any_state=True))
    )
    assert revised.title == "again"


async def test_a_stranger_with_a_stale_tag_is_told_they_are_not_the_owner(
    revise: ReviseSnippet, snippet: Snippet, stranger: User
) -> None:
    with pytest.raises(NotSnippetOwner):
        await revise(
            replace(edit(snippet, stranger, title="x"), if_match=IfMatch(frozenset({"stale"})))
        )


async def test_an_anonymous_snippet_cannot_be_revised(
    revise: ReviseSnippet, snippets: FakeSnippetRepository, owner: User, clock: FixedClock
) -> None:
    anonymous = snippets.seed(an_anonymous_snippet(now=clock.now()))
    with pytest.raises(NotSnippetOwner, match="anonymous"):
        await revise(edit(anonymous, owner, title="mine now"))
