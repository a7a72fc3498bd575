"""ReadSnippet with conditions on reads: passwords, counted reads, what is cached, and the
live view count of a cached read."""

from collections.abc import Callable
from dataclasses import replace
from typing import Any
from uuid import uuid4

import pytest

from swiftpaste.application.errors import PasswordIncorrect, PasswordRequired
from swiftpaste.application.ports.rate_limit import RateLimitExceeded
from swiftpaste.application.ports.snippets import Rendered, Representation
from swiftpaste.application.snippets.read_snippet import ReadSnippet, ReadSnippetQuery
from swiftpaste.domain.errors import SnippetBurned, ViewLimitReached
from swiftpaste.domain.snippets import Snippet, Visibility
from swiftpaste.domain.users import User
from tests.unit.conftest import PASSWORD_GUESSES
from tests.unit.fakes import (
    CacheEntry,
    FakeAccessTokenCodec,
    FakeSnippetCache,
    FakeSnippetRepository,
    FakeSnippetTransactions,
    a_snippet,
    access_claims,
)

SHORT_ID = "abc12345"
ADDRESS = "ip:198.51.100.7"
PASSWORD = "open sesame"


def query(
    *, access_token: str | None = None, password: str | None = None, address: str = ADDRESS
) -> ReadSnippetQuery:
    return ReadSnippetQuery(
        short_id=SHORT_ID, access_token=access_token, address_key=address, password=password
    )


def seed(snippets: FakeSnippetRepository, owner: User, **conditions: Any) -> Snippet:
    snippet = a_snippet(owner_id=owner.id, short_id=SHORT_ID, content="secret")
    snippet.versions[1] = replace(snippet.version(), **conditions)
    return snippets.seed(snippet)


@pytest.fixture
def token_of(codec: FakeAccessTokenCodec) -> Callable[[User], str]:
    return lambda user: codec.encode(access_claims(user_id=user.id))


# --- passwords --------------------------------------------------------------------------


async def test_a_protected_version_asks_for_its_password(
    read_snippet: ReadSnippet, snippets: FakeSnippetRepository, owner: User
) -> None:
    seed(snippets, owner, password_hash=f"hashed:{PASSWORD}")
    with pytest.raises(PasswordRequired):
        await read_snippet(query())
    with pytest.raises(PasswordIncorrect):
        await read_snippet(query(password="not it"))
    assert (await read_snippet(query(password=PASSWORD))).body.endswith(b"secret")


async def test_its_owner_reads_it_without_the_password(
    read_snippet: ReadSnippet,
    snippets: FakeSnippetRepository,
    owner: User,
    token_of: Callable[[User], str],
) -> None:
    seed(snippets, owner, password_hash=f"hashed:{PASSWORD}")
    read = await read_snippet(query(access_token=token_of(owner)))
    assert read.body.endswith(b"secret")


async def test_wrong_guesses_run_out_per_snippet_and_address(
    read_snippet: ReadSnippet, snippets: FakeSnippetRepository, owner: User
) -> None:
    seed(snippets, owner, password_hash=f"hashed:{PASSWORD}")
    for _ in range(PASSWORD_GUESSES):
        with pytest.raises(PasswordIncorrect):
            await read_snippet(query(password="guess"))
    with pytest.raises(RateLimitExceeded) as refused:
        await read_snippet(query(password=PASSWORD))  # even the right one, for now
    assert refused.value.policy_name == "password"
    other_address = await read_snippet(query(password=PASSWORD, address="ip:203.0.113.9"))
    assert other_address.body.endswith(b"secret")


async def test_right_answers_spend_no_guesses(
    read_snippet: ReadSnippet, snippets: FakeSnippetRepository, owner: User
) -> None:
    seed(snippets, owner, password_hash=f"hashed:{PASSWORD}")
    for _ in range(PASSWORD_GUESSES + 2):
        await read_snippet(query(password=PASSWORD))


async def test_a_protected_version_is_never_cached(
    read_snippet: ReadSnippet,
    snippets: FakeSnippetRepository,
    snippet_cache: FakeSnippetCache,
    owner: User,
) -> None:
    seed(snippets, owner, password_hash=f"hashed:{PASSWORD}")
    await read_snippet(query(password=PASSWORD))
    assert snippet_cache.puts == []


# --- counted reads ----------------------------------------------------------------------


async def test_a_counted_read_is_counted_in_a_transaction_of_its_own(
    read_snippet: ReadSnippet,
    snippets: FakeSnippetRepository,
    snippet_transactions: FakeSnippetTransactions,
    snippet_cache: FakeSnippetCache,
    owner: User,
) -> None:
    snippet = seed(snippets, owner, max_views=2)
    for _ in range(2):
        await read_snippet(query())
    with pytest.raises(ViewLimitReached):
        await read_snippet(query())
    stored = snippets.committed_snippet(snippet.id)
    assert stored is not None
    assert stored.version(1).views_used == 2
    assert snippet_transactions.begun == 2  # the refusal needed no transaction
    assert snippet_cache.puts == []


async def test_a_burned_version_is_read_once_then_gone(
    read_snippet: ReadSnippet, snippets: FakeSnippetRepository, owner: User
) -> None:
    snippet = seed(snippets, owner, burn_after_reading=True)
    assert (await read_snippet(query())).body.endswith(b"secret")
    with pytest.raises(SnippetBurned):
        await read_snippet(query())
    stored = snippets.committed_snippet(snippet.id)
    assert stored is not None
    assert stored.version(1).content == ""


async def test_the_owner_reads_a_counted_version_without_counting(
    read_snippet: ReadSnippet,
    snippets: FakeSnippetRepository,
    snippet_transactions: FakeSnippetTransactions,
    owner: User,
    token_of: Callable[[User], str],
) -> None:
    seed(snippets, owner, burn_after_reading=True)
    for _ in range(3):
        await read_snippet(query(access_token=token_of(owner)))
    assert snippet_transactions.begun == 0
    assert (await read_snippet(query())).body.endswith(b"secret")


async def test_a_wrong_password_counts_no_read(
    read_snippet: ReadSnippet, snippets: FakeSnippetRepository, owner: User
) -> None:
    snippet = seed(snippets, owner, burn_after_reading=True, password_hash=f"hashed:{PASSWORD}")
    with pytest.raises(PasswordIncorrect):
        await read_snippet(query(password="nope"))
    stored = snippets.committed_snippet(snippet.id)
    assert stored is not None
    assert stored.version(1).burned_at is None


# --- what is cached ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("conditions", "cached"),
    [
        ({"visibility": Visibility.UNLISTED}, True),
        ({"visibility": Visibility.PUBLIC}, True),
        ({"visibility": Visibility.PUBLIC, "max_views": 9}, False),
        ({"visibility": Visibility.UNLISTED, "burn_after_reading": True}, False),
    ],
    ids=["unlisted", "public", "view-limit", "burn"],
)
async def test_unlisted_versions_are_cached_like_public_ones_and_counted_ones_never(
    read_snippet: ReadSnippet,
    snippets: FakeSnippetRepository,
    snippet_cache: FakeSnippetCache,
    owner: User,
    conditions: dict[str, Any],
    *,
    cached: bool,
) -> None:
    seed(snippets, owner, **conditions)
    await read_snippet(query())
    assert bool(snippet_cache.puts) is cached


# --- the live view count ----------------------------------------------------------------


async def test_a_cached_read_shows_the_views_counted_since(
    read_snippet: ReadSnippet, snippet_cache: FakeSnippetCache
) -> None:
    copy = CacheEntry(Rendered(b'{"views":', b"}"), views=3, ttl_seconds=60, snippet_id=uuid4())
    snippet_cache.entries[(SHORT_ID, None, Representation.JSON)] = copy
    assert (await read_snippet(query())).body == b'{"views":3}'
    snippet_cache.live_views[SHORT_ID] = 41
    assert (await read_snippet(query())).body == b'{"views":41}'
