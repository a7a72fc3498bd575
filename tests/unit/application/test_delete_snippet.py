"""DeleteSnippet: a soft delete, committed, then the cache forgets the snippet."""

from uuid import uuid4

import pytest

from swiftpaste.application.snippets.delete_snippet import DeleteSnippet
from swiftpaste.application.snippets.read_snippet import ReadSnippet, ReadSnippetQuery
from swiftpaste.domain.errors import NotSnippetOwner, SnippetNotFound
from swiftpaste.domain.events import SnippetDeleted
from swiftpaste.domain.snippets import Snippet
from swiftpaste.domain.users import User
from tests.unit.fakes import (
    FakeSnippetCache,
    FakeSnippetRepository,
    FakeUnitOfWork,
    FixedClock,
    a_snippet,
)

SHORT_ID = "abc12345"


@pytest.fixture
def delete(
    snippets: FakeSnippetRepository,
    uow: FakeUnitOfWork,
    snippet_cache: FakeSnippetCache,
    clock: FixedClock,
) -> DeleteSnippet:
    return DeleteSnippet(snippets, uow, snippet_cache, clock)


@pytest.fixture
def snippet(snippets: FakeSnippetRepository, owner: User) -> Snippet:
    return snippets.seed(a_snippet(owner_id=owner.id, short_id=SHORT_ID))


async def test_deleting_commits_the_deletion(
    delete: DeleteSnippet,
    snippet: Snippet,
    owner: User,
    snippets: FakeSnippetRepository,
    clock: FixedClock,
) -> None:
    await delete(snippet.id, owner.id)
    stored = snippets.committed_snippet(snippet.id)
    assert stored is not None
    assert stored.deleted_at == clock.now()


async def test_the_deletion_event_is_handed_to_the_repository(
    delete: DeleteSnippet, snippet: Snippet, owner: User, snippets: FakeSnippetRepository
) -> None:
    await delete(snippet.id, owner.id)
    assert [type(e) for e in snippets.saved_events] == [SnippetDeleted]


async def test_the_cache_is_invalidated_after_the_commit(
    delete: DeleteSnippet,
    snippet: Snippet,
    owner: User,
    snippet_cache: FakeSnippetCache,
    journal: list[str],
) -> None:
    await delete(snippet.id, owner.id)
    assert journal == ["commit", f"invalidate {SHORT_ID}"]
    assert snippet_cache.invalidations == [(SHORT_ID, 1)]


async def test_a_deleted_snippet_is_no_longer_served_from_the_cache(
    delete: DeleteSnippet, snippet: Snippet, owner: User, read_snippet: ReadSnippet
) -> None:
    read = ReadSnippetQuery(short_id=SHORT_ID, address_key="ip:198.51.100.7")
    await read_snippet(read)  # now cached
    await delete(snippet.id, owner.id)
    with pytest.raises(SnippetNotFound):
        await read_snippet(read)


async def test_deleting_by_someone_else_is_refused_without_commit_or_invalidation(
    delete: DeleteSnippet,
    snippet: Snippet,
    stranger: User,
    snippets: FakeSnippetRepository,
    journal: list[str],
) -> None:
    with pytest.raises(NotSnippetOwner):
        await delete(snippet.id, stranger.id)
    assert journal == []
    stored = snippets.staged_snippet(snippet.id)
    assert stored is not None
    assert not stored.is_deleted


async def test_deleting_an_unknown_snippet_is_not_found(
    delete: DeleteSnippet, owner: User, journal: list[str]
) -> None:
    with pytest.raises(SnippetNotFound):
        await delete(uuid4(), owner.id)
    assert journal == []


async def test_deleting_twice_is_not_found_the_second_time(
    delete: DeleteSnippet, snippet: Snippet, owner: User, journal: list[str]
) -> None:
    await delete(snippet.id, owner.id)
    with pytest.raises(SnippetNotFound):
        await delete(snippet.id, owner.id)
    assert journal == ["commit", f"invalidate {SHORT_ID}"]
