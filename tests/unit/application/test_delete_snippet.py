"""DeleteSnippet: a soft delete, committed, then the cache forgets the snippet."""

from uuid import uuid4

import pytest

from swiftpaste.application.auth.credentials import secret_digest
from swiftpaste.application.errors import PreconditionFailed
from swiftpaste.application.snippets.delete_snippet import DeleteSnippet, DeleteSnippetCommand
from swiftpaste.application.snippets.etags import IfMatch, current_etags
from swiftpaste.application.snippets.read_snippet import ReadSnippet, ReadSnippetQuery
from swiftpaste.domain.errors import InvalidDeleteToken, NotSnippetOwner, SnippetNotFound
from swiftpaste.domain.events import SnippetDeleted
from swiftpaste.domain.snippets import Snippet
from swiftpaste.domain.users import User
from tests.unit.fakes import (
    FakeSnippetCache,
    FakeSnippetRepository,
    FakeUnitOfWork,
    FixedClock,
    a_snippet,
    an_anonymous_snippet,
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
    await delete(DeleteSnippetCommand(snippet_id=snippet.id, deleter_id=owner.id))
    stored = snippets.committed_snippet(snippet.id)
    assert stored is not None
    assert stored.deleted_at == clock.now()


async def test_the_deletion_event_is_handed_to_the_repository(
    delete: DeleteSnippet, snippet: Snippet, owner: User, snippets: FakeSnippetRepository
) -> None:
    await delete(DeleteSnippetCommand(snippet_id=snippet.id, deleter_id=owner.id))
    assert [type(e) for e in snippets.saved_events] == [SnippetDeleted]


async def test_the_cache_is_invalidated_after_the_commit(
    delete: DeleteSnippet,
    snippet: Snippet,
    owner: User,
    snippet_cache: FakeSnippetCache,
    journal: list[str],
) -> None:
    await delete(DeleteSnippetCommand(snippet_id=snippet.id, deleter_id=owner.id))
    assert journal == ["commit", f"invalidate {SHORT_ID}"]
    assert snippet_cache.invalidations == [(SHORT_ID, 1)]


async def test_a_deleted_snippet_is_no_longer_served_from_the_cache(
    delete: DeleteSnippet, snippet: Snippet, owner: User, read_snippet: ReadSnippet
) -> None:
    read = ReadSnippetQuery(short_id=SHORT_ID, address_key="ip:198.51.100.7")
    await read_snippet(read)  # now cached
    await delete(DeleteSnippetCommand(snippet_id=snippet.id, deleter_id=owner.id))
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
        await delete(DeleteSnippetCommand(snippet_id=snippet.id, deleter_id=stranger.id))
    assert journal == []
    stored = snippets.staged_snippet(snippet.id)
    assert stored is not None
    assert not stored.is_deleted


async def test_deleting_an_unknown_snippet_is_not_found(
    delete: DeleteSnippet, owner: User, journal: list[str]
) -> None:
    with pytest.raises(SnippetNotFound):
        await delete(DeleteSnippetCommand(snippet_id=uuid4(), deleter_id=owner.id))
    assert journal == []


async def test_deleting_twice_is_not_found_the_second_time(
    delete: DeleteSnippet, snippet: Snippet, owner: User, journal: list[str]
) -> None:
    await delete(DeleteSnippetCommand(snippet_id=snippet.id, deleter_id=owner.id))
    with pytest.raises(SnippetNotFound):
        await delete(DeleteSnippetCommand(snippet_id=snippet.id, deleter_id=owner.id))
    assert journal == ["commit", f"invalidate {SHORT_ID}"]


# --- anonymous snippets: the delete token --------------------------------------------

TOKEN = "sp_del_the-token-given-once"


@pytest.fixture
def anonymous(snippets: FakeSnippetRepository) -> Snippet:
    return snippets.seed(an_anonymous_snippet(delete_token_digest=secret_digest(TOKEN)))


async def test_the_delete_token_deletes_an_anonymous_snippet(
    delete: DeleteSnippet, anonymous: Snippet, snippets: FakeSnippetRepository
) -> None:
    await delete(DeleteSnippetCommand(snippet_id=anonymous.id, delete_token=TOKEN))
    stored = snippets.committed_snippet(anonymous.id)
    assert stored is not None
    assert stored.is_deleted


async def test_a_wrong_delete_token_deletes_nothing(
    delete: DeleteSnippet, anonymous: Snippet, snippets: FakeSnippetRepository
) -> None:
    with pytest.raises(InvalidDeleteToken):
        await delete(DeleteSnippetCommand(snippet_id=anonymous.id, delete_token=TOKEN + "x"))
    stored = snippets.committed_snippet(anonymous.id)
    assert stored is not None
    assert not stored.is_deleted


async def test_a_delete_token_does_not_delete_a_snippet_with_an_owner(
    delete: DeleteSnippet, snippet: Snippet
) -> None:
    with pytest.raises(InvalidDeleteToken):
        await delete(DeleteSnippetCommand(snippet_id=snippet.id, delete_token=TOKEN))


async def test_nobody_deletes_an_anonymous_snippet_without_its_token(
    delete: DeleteSnippet, anonymous: Snippet, stranger: User
) -> None:
    with pytest.raises(NotSnippetOwner):
        await delete(DeleteSnippetCommand(snippet_id=anonymous.id, deleter_id=stranger.id))


# --- If-Match ----------------------------------------------------------------------------


async def test_a_delete_if_unchanged_deletes_the_snippet_as_read(
    delete: DeleteSnippet, snippet: Snippet, owner: User, snippets: FakeSnippetRepository
) -> None:
    tags = current_etags(snippet)
    await delete(
        DeleteSnippetCommand(snippet_id=snippet.id, deleter_id=owner.id, if_match=IfMatch(tags))
    )
    stored = snippets.committed_snippet(snippet.id)
    assert stored is not None
    assert stored.is_deleted


async def test_a_delete_if_unchanged_of_a_changed_snippet_fails_and_deletes_nothing(
    delete: DeleteSnippet,
    snippet: Snippet,
    owner: User,
    snippets: FakeSnippetRepository,
    uow: FakeUnitOfWork,
    clock: FixedClock,
) -> None:
    seen = current_etags(snippet)
    snippet.revise(editor_id=owner.id, now=clock.now(), title="changed")
    snippets.seed(snippet)
    with pytest.raises(PreconditionFailed):
        await delete(
            DeleteSnippetCommand(snippet_id=snippet.id, deleter_id=owner.id, if_match=IfMatch(seen))
        )
    assert uow.commits == 0


async def test_who_may_delete_is_decided_before_whether_it_changed(
    delete: DeleteSnippet, snippet: Snippet, stranger: User
) -> None:
    with pytest.raises(NotSnippetOwner):
        await delete(
            DeleteSnippetCommand(
                snippet_id=snippet.id, deleter_id=stranger.id, if_match=IfMatch(frozenset({"x"}))
            )
        )
