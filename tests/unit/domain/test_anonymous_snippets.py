"""Anonymous snippets: no owner, never private, unchangeable, deleted with their token."""

from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from swiftpaste.domain.errors import (
    InvalidDeleteToken,
    InvalidSnippet,
    NotSnippetOwner,
    SnippetNotFound,
)
from swiftpaste.domain.snippets import Snippet, Visibility
from tests.unit.fakes import DEFAULT_NOW, an_anonymous_snippet

DIGEST = "a" * 64


def anonymous() -> Snippet:
    return an_anonymous_snippet(delete_token_digest=DIGEST)


def create(*, owner_id: UUID | None, visibility: Visibility, digest: str | None) -> Snippet:
    return Snippet.create(
        snippet_id=uuid4(),
        short_id="new23456",
        owner_id=owner_id,
        title="t",
        content="c",
        visibility=visibility,
        language=None,
        expires_at=None,
        now=DEFAULT_NOW,
        delete_token_digest=digest,
    )


def test_an_anonymous_snippet_has_no_owner_and_keeps_its_token_digest() -> None:
    snippet = anonymous()
    assert (snippet.owner_id, snippet.is_anonymous) == (None, True)
    assert snippet.delete_token_digest == DIGEST
    assert snippet.pull_events()[0].owner_id is None
    assert snippet.version().visibility is Visibility.PUBLIC


def test_an_anonymous_snippet_cannot_be_private() -> None:
    with pytest.raises(InvalidSnippet, match="cannot be private"):
        create(owner_id=None, visibility=Visibility.PRIVATE, digest=DIGEST)


def test_an_anonymous_snippet_needs_a_delete_token_and_an_owned_one_has_none() -> None:
    with pytest.raises(ValueError, match="delete token"):
        create(owner_id=None, visibility=Visibility.PUBLIC, digest=None)
    with pytest.raises(ValueError, match="delete token"):
        create(owner_id=uuid4(), visibility=Visibility.PUBLIC, digest=DIGEST)


def test_nobody_reads_an_anonymous_snippet_as_its_owner() -> None:
    snippet = anonymous()
    assert not snippet.is_owned_by(None)
    assert not snippet.is_owned_by(uuid4())


@pytest.mark.parametrize("reader", [None, uuid4()])
def test_anyone_reads_a_public_anonymous_snippet(reader: object) -> None:
    snippet = anonymous()
    version = snippet.read(None, reader_id=reader, grant=None, now=DEFAULT_NOW)  # type: ignore[arg-type]
    assert version.content == "c"


def test_an_anonymous_snippet_cannot_be_revised_or_shared() -> None:
    snippet = anonymous()
    with pytest.raises(NotSnippetOwner, match="anonymous"):
        snippet.revise(editor_id=uuid4(), now=DEFAULT_NOW, title="mine")
    with pytest.raises(NotSnippetOwner, match="anonymous"):
        snippet.share(sharer_id=uuid4(), number=1, ttl=timedelta(hours=1), now=DEFAULT_NOW)


def test_the_right_delete_token_deletes_it() -> None:
    snippet = anonymous()
    snippet.delete(delete_token_digest=DIGEST, now=DEFAULT_NOW)
    assert snippet.is_deleted


@pytest.mark.parametrize("digest", ["b" * 64, DIGEST[:-1], ""])
def test_a_wrong_delete_token_is_refused(digest: str) -> None:
    snippet = anonymous()
    with pytest.raises(InvalidDeleteToken):
        snippet.delete(delete_token_digest=digest, now=DEFAULT_NOW)
    assert not snippet.is_deleted


def test_a_deleted_anonymous_snippet_is_not_found_even_with_its_token() -> None:
    snippet = anonymous()
    snippet.delete(delete_token_digest=DIGEST, now=DEFAULT_NOW)
    with pytest.raises(SnippetNotFound):
        snippet.delete(delete_token_digest=DIGEST, now=DEFAULT_NOW)


def test_without_a_token_nobody_deletes_it() -> None:
    snippet = anonymous()
    with pytest.raises(NotSnippetOwner):
        snippet.delete(deleter_id=uuid4(), now=DEFAULT_NOW)
