"""ReadSnippet (cache first, public versions cached), ReadUncachedSnippet (what the cache
never holds, for the fast read lane) and ReadSnippetContent (the raw text)."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

import pytest

from swiftpaste.application.snippets.read_snippet import (
    CachePolicy,
    ReadSnippet,
    ReadSnippetContent,
    ReadSnippetQuery,
    ReadUncachedSnippet,
)
from swiftpaste.domain.errors import ShareExpired, SnippetNotFound, VersionNotFound
from swiftpaste.domain.events import SnippetViewed
from swiftpaste.domain.snippets import Snippet, Visibility
from swiftpaste.domain.users import User
from tests.unit.conftest import CACHE_TTL_SECONDS
from tests.unit.fakes import (
    DEFAULT_NOW,
    CacheEntry,
    CachePut,
    FakeRenderer,
    FakeShareTokens,
    FakeSnippetCache,
    FakeSnippetQueries,
    FakeSnippetRepository,
    FakeViewRecorder,
    FixedClock,
    a_snippet,
)

SHORT_ID = "abc12345"


@pytest.fixture
def read_snippet(
    snippet_cache: FakeSnippetCache,
    snippet_queries: FakeSnippetQueries,
    renderer: FakeRenderer,
    share_tokens: FakeShareTokens,
    clock: FixedClock,
    cache_policy: CachePolicy,
    views: FakeViewRecorder,
) -> ReadSnippet:
    return ReadSnippet(
        snippet_cache, snippet_queries, renderer, share_tokens, clock, cache_policy, views
    )


@pytest.fixture
def read_content(
    snippet_queries: FakeSnippetQueries,
    share_tokens: FakeShareTokens,
    clock: FixedClock,
    views: FakeViewRecorder,
) -> ReadSnippetContent:
    return ReadSnippetContent(snippet_queries, share_tokens, clock, views)


@pytest.fixture
def read_uncached(
    snippet_queries: FakeSnippetQueries,
    renderer: FakeRenderer,
    share_tokens: FakeShareTokens,
    clock: FixedClock,
    views: FakeViewRecorder,
) -> ReadUncachedSnippet:
    return ReadUncachedSnippet(snippet_queries, renderer, share_tokens, clock, views)


Read = Callable[[ReadSnippetQuery], Awaitable[object]]


@pytest.fixture(params=["read_snippet", "read_content", "read_uncached"])
def any_read(request: pytest.FixtureRequest) -> Read:
    """Each of the three reads in turn: they share one set of access rules."""
    read: Read = request.getfixturevalue(request.param)
    return read


def seed(
    snippets: FakeSnippetRepository,
    owner: User,
    *,
    visibility: Visibility = Visibility.PUBLIC,
    content: str = "print('hi')",
    expires_in: timedelta | None = None,
    clock: FixedClock | None = None,
) -> Snippet:
    now = clock.now() if clock is not None else DEFAULT_NOW
    return snippets.seed(
        a_snippet(
            owner_id=owner.id,
            short_id=SHORT_ID,
            visibility=visibility,
            content=content,
            expires_at=now + expires_in if expires_in is not None else None,
            now=now,
        )
    )


def share_privately(
    snippets: FakeSnippetRepository,
    share_tokens: FakeShareTokens,
    snippet: Snippet,
    clock: FixedClock,
    ttl: timedelta = timedelta(hours=1),
) -> str:
    """Share version 1 the way ShareSnippet does and return the link's token."""
    shared = snippet.share(sharer_id=snippet.owner_id, number=1, ttl=ttl, now=clock.now())
    snippets.seed(snippet)
    assert shared.expires_at is not None
    return share_tokens.issue(snippet.id, 1, shared.expires_at)


def query(
    *,
    version: int | None = None,
    reader: User | None = None,
    token: str | None = None,
) -> ReadSnippetQuery:
    return ReadSnippetQuery(
        short_id=SHORT_ID,
        version=version,
        reader_id=reader.id if reader is not None else None,
        share_token=token,
    )


@dataclass(frozen=True)
class Situation:
    """A snippet in some state (or none at all) and the read asked of it."""

    seeded: bool = True
    visibility: Visibility = Visibility.PUBLIC
    content: str = "print('hi')"
    expires_in: timedelta | None = None
    read_after: timedelta = timedelta(0)
    deleted: bool = False
    version: int | None = None
    reader: str | None = None  # "owner", "stranger", or None for an anonymous reader
    token: str | None = None  # SHARED for a genuine share link to version 1


SHARED = "shared"


@pytest.fixture
def arrange(
    snippets: FakeSnippetRepository,
    share_tokens: FakeShareTokens,
    owner: User,
    stranger: User,
    clock: FixedClock,
) -> Callable[[Situation], ReadSnippetQuery]:
    """Seeds the snippet of a situation, moves the clock on, and returns the query to read."""

    def arrange(situation: Situation) -> ReadSnippetQuery:
        token = situation.token
        if situation.seeded:
            snippet = seed(
                snippets,
                owner,
                visibility=situation.visibility,
                content=situation.content,
                expires_in=situation.expires_in,
                clock=clock,
            )
            if token == SHARED:
                token = share_privately(snippets, share_tokens, snippet, clock)
            clock.advance(situation.read_after)
            if situation.deleted:
                snippet.delete(deleter_id=owner.id, now=clock.now())
                snippets.seed(snippet)
        reader = {"owner": owner, "stranger": stranger, None: None}[situation.reader]
        return query(version=situation.version, reader=reader, token=token)

    return arrange


# --- the cache ---------------------------------------------------------------------


async def test_a_cache_hit_returns_the_cached_bytes_without_querying(
    read_snippet: ReadSnippet,
    snippet_cache: FakeSnippetCache,
    snippet_queries: FakeSnippetQueries,
    renderer: FakeRenderer,
) -> None:
    snippet_cache.seed(SHORT_ID, 2, b"cached body")
    assert await read_snippet(query(version=2)) == b"cached body"
    assert (snippet_queries.calls, renderer.renders) == ([], 0)


async def test_the_cache_is_looked_up_by_short_id_and_asked_version(
    read_snippet: ReadSnippet, snippet_cache: FakeSnippetCache
) -> None:
    snippet_cache.seed(SHORT_ID, None, b"latest")
    await read_snippet(query())
    assert snippet_cache.gets == [(SHORT_ID, None)]


async def test_a_miss_returns_the_rendered_body(
    read_snippet: ReadSnippet, snippets: FakeSnippetRepository, owner: User
) -> None:
    seed(snippets, owner, content="print('hi')")
    assert await read_snippet(query()) == f"{SHORT_ID} v1 by owner: print('hi')".encode()


async def test_a_miss_caches_a_public_version_for_the_policy_ttl(
    read_snippet: ReadSnippet,
    snippets: FakeSnippetRepository,
    snippet_cache: FakeSnippetCache,
    owner: User,
) -> None:
    snippet = seed(snippets, owner)
    body = await read_snippet(query(version=1))
    assert snippet_cache.puts == [
        CachePut(
            short_id=SHORT_ID,
            version=1,
            body=body,
            ttl_seconds=CACHE_TTL_SECONDS,
            generation=snippet_cache.generation(SHORT_ID),
            snippet_id=snippet.id,
            stored=True,
        )
    ]


async def test_a_cached_read_is_served_from_the_cache_the_next_time(
    read_snippet: ReadSnippet,
    snippets: FakeSnippetRepository,
    snippet_queries: FakeSnippetQueries,
    owner: User,
) -> None:
    seed(snippets, owner)
    first = await read_snippet(query())
    second = await read_snippet(query())
    assert first == second
    assert snippet_queries.calls == ["find"]


@pytest.mark.parametrize(
    ("expires_in", "ttl"),
    [
        (timedelta(seconds=100), 100),
        (timedelta(seconds=100, milliseconds=900), 100),
        (timedelta(seconds=CACHE_TTL_SECONDS), CACHE_TTL_SECONDS),
        (timedelta(hours=5), CACHE_TTL_SECONDS),
    ],
    ids=["expires-first", "whole-seconds-down", "same", "ttl-first"],
)
async def test_a_public_version_is_cached_no_longer_than_until_it_expires(
    read_snippet: ReadSnippet,
    snippets: FakeSnippetRepository,
    snippet_cache: FakeSnippetCache,
    owner: User,
    clock: FixedClock,
    expires_in: timedelta,
    ttl: int,
) -> None:
    seed(snippets, owner, expires_in=expires_in, clock=clock)
    await read_snippet(query())
    assert [put.ttl_seconds for put in snippet_cache.puts] == [ttl]


NOT_CACHED = {
    "expiring-within-the-second": Situation(
        expires_in=timedelta(seconds=2), read_after=timedelta(seconds=1, milliseconds=500)
    ),
    "private-to-its-owner": Situation(
        visibility=Visibility.PRIVATE, content="secret", reader="owner"
    ),
    "private-with-a-share-token": Situation(
        visibility=Visibility.PRIVATE, content="secret", token=SHARED
    ),
    "expired-public-to-its-owner": Situation(
        content="old news",
        expires_in=timedelta(minutes=1),
        read_after=timedelta(minutes=2),
        reader="owner",
    ),
}


@pytest.mark.parametrize("situation", NOT_CACHED.values(), ids=NOT_CACHED.keys())
async def test_a_version_that_must_not_outlive_its_read_is_returned_but_not_cached(
    read_snippet: ReadSnippet,
    snippet_cache: FakeSnippetCache,
    arrange: Callable[[Situation], ReadSnippetQuery],
    situation: Situation,
) -> None:
    body = await read_snippet(arrange(situation))
    assert situation.content.encode() in body
    assert snippet_cache.puts == []


async def test_a_put_racing_an_invalidation_is_dropped(
    read_snippet: ReadSnippet,
    snippets: FakeSnippetRepository,
    snippet_cache: FakeSnippetCache,
    snippet_queries: FakeSnippetQueries,
    owner: User,
) -> None:
    seed(snippets, owner)
    await snippet_cache.invalidate(SHORT_ID, 1)  # an earlier edit
    generation_at_lookup = snippet_cache.generation(SHORT_ID)

    async def revised_meanwhile() -> None:
        await snippet_cache.invalidate(SHORT_ID, 2)

    snippet_queries.before_find = revised_meanwhile
    await read_snippet(query())
    # The put carries the generation read with the miss, from before the invalidation.
    assert [(put.generation, put.stored) for put in snippet_cache.puts] == [
        (generation_at_lookup, False)
    ]
    assert snippet_cache.entries == {}


async def test_a_put_after_an_earlier_invalidation_is_stored(
    read_snippet: ReadSnippet,
    snippets: FakeSnippetRepository,
    snippet_cache: FakeSnippetCache,
    owner: User,
) -> None:
    snippet = seed(snippets, owner)
    await snippet_cache.invalidate(SHORT_ID, 1)
    body = await read_snippet(query())
    assert snippet_cache.entries == {
        (SHORT_ID, None): CacheEntry(body, CACHE_TTL_SECONDS, snippet.id)
    }


# --- access rules: reads that are refused --------------------------------------------


def expired(minutes_later: int, reader: str | None) -> tuple[Situation, type[Exception]]:
    """A public version that expires in a minute, read this many minutes later."""
    after = timedelta(minutes=minutes_later)
    return Situation(expires_in=timedelta(minutes=1), read_after=after, reader=reader), ShareExpired


PRIVATE = Visibility.PRIVATE
REFUSALS: dict[str, tuple[Situation, type[Exception]]] = {
    "unknown-short-id": (Situation(seeded=False), SnippetNotFound),
    "private-to-a-stranger": (Situation(visibility=PRIVATE, reader="stranger"), SnippetNotFound),
    "private-with-a-forged-token": (
        Situation(visibility=PRIVATE, token="share.forged"),
        SnippetNotFound,
    ),
    "expired-at-its-end-to-a-stranger": expired(1, "stranger"),
    "expired-at-its-end-to-anyone": expired(1, None),
    "expired-past-its-end-to-a-stranger": expired(2, "stranger"),
    "expired-past-its-end-to-anyone": expired(2, None),
    "deleted-even-to-its-owner": (Situation(deleted=True, reader="owner"), SnippetNotFound),
    "unknown-version-to-its-owner": (Situation(version=9, reader="owner"), VersionNotFound),
    "unknown-version-to-a-stranger": (Situation(version=9, reader="stranger"), SnippetNotFound),
}


@pytest.mark.parametrize(("situation", "error"), REFUSALS.values(), ids=REFUSALS.keys())
async def test_a_refused_read_records_no_view_and_caches_nothing(
    any_read: Read,
    arrange: Callable[[Situation], ReadSnippetQuery],
    snippet_cache: FakeSnippetCache,
    views: FakeViewRecorder,
    situation: Situation,
    error: type[Exception],
) -> None:
    read = arrange(situation)
    with pytest.raises(error):
        await any_read(read)
    assert views.views == []
    assert snippet_cache.puts == []


# --- ReadSnippetContent --------------------------------------------------------------


async def test_the_content_of_the_latest_version_is_returned(
    read_content: ReadSnippetContent,
    snippets: FakeSnippetRepository,
    owner: User,
    clock: FixedClock,
) -> None:
    snippet = seed(snippets, owner, content="v1")
    snippet.revise(editor_id=owner.id, now=clock.now(), content="v2")
    snippets.seed(snippet)
    assert await read_content(query()) == "v2"
    assert await read_content(query(version=1)) == "v1"


async def test_private_content_is_returned_to_its_owner_and_to_a_share_token(
    read_content: ReadSnippetContent,
    snippets: FakeSnippetRepository,
    share_tokens: FakeShareTokens,
    owner: User,
    clock: FixedClock,
) -> None:
    snippet = seed(snippets, owner, visibility=Visibility.PRIVATE, content="secret")
    token = share_privately(snippets, share_tokens, snippet, clock)
    assert await read_content(query(reader=owner)) == "secret"
    assert await read_content(query(token=token)) == "secret"


async def test_content_behind_a_closed_share_window_is_expired_except_for_the_owner(
    read_content: ReadSnippetContent,
    snippets: FakeSnippetRepository,
    share_tokens: FakeShareTokens,
    owner: User,
    clock: FixedClock,
) -> None:
    snippet = seed(snippets, owner, visibility=Visibility.PRIVATE, content="secret")
    token = share_privately(snippets, share_tokens, snippet, clock, ttl=timedelta(minutes=1))
    clock.advance(timedelta(minutes=1))
    with pytest.raises(ShareExpired):
        await read_content(query(token=token))
    assert await read_content(query(reader=owner)) == "secret"


# --- views ---------------------------------------------------------------------------


def viewed(snippet_id: UUID, version: int | None, clock: FixedClock) -> SnippetViewed:
    return SnippetViewed(
        snippet_id=snippet_id, short_id=SHORT_ID, version=version, occurred_at=clock.now()
    )


async def test_a_cache_hit_records_a_view_of_the_cached_snippet(
    read_snippet: ReadSnippet,
    snippet_cache: FakeSnippetCache,
    views: FakeViewRecorder,
    clock: FixedClock,
) -> None:
    snippet_id = snippet_cache.seed(SHORT_ID, 2, b"cached body")
    await read_snippet(query(version=2))
    assert views.views == [viewed(snippet_id, 2, clock)]


async def test_a_miss_records_a_view_of_the_snippet_read_from_the_database(
    read_snippet: ReadSnippet,
    snippets: FakeSnippetRepository,
    views: FakeViewRecorder,
    owner: User,
    clock: FixedClock,
) -> None:
    snippet = seed(snippets, owner)
    await read_snippet(query())
    assert views.views == [viewed(snippet.id, None, clock)]


async def test_a_miss_and_the_hit_after_it_record_one_view_each_of_the_same_snippet(
    read_snippet: ReadSnippet,
    snippets: FakeSnippetRepository,
    views: FakeViewRecorder,
    owner: User,
    clock: FixedClock,
) -> None:
    snippet = seed(snippets, owner)
    await read_snippet(query(version=1))
    clock.advance(timedelta(seconds=5))
    await read_snippet(query(version=1))
    assert [(view.snippet_id, view.version) for view in views.views] == [
        (snippet.id, 1),
        (snippet.id, 1),
    ]
    assert [view.occurred_at for view in views.views] == [
        clock.now() - timedelta(seconds=5),
        clock.now(),
    ]


async def test_a_private_read_by_its_owner_or_a_share_token_is_a_view(
    read_snippet: ReadSnippet,
    snippets: FakeSnippetRepository,
    share_tokens: FakeShareTokens,
    views: FakeViewRecorder,
    owner: User,
    clock: FixedClock,
) -> None:
    snippet = seed(snippets, owner, visibility=Visibility.PRIVATE)
    token = share_privately(snippets, share_tokens, snippet, clock)
    await read_snippet(query(reader=owner))
    await read_snippet(query(version=1, token=token))
    assert views.views == [viewed(snippet.id, None, clock), viewed(snippet.id, 1, clock)]


async def test_reading_the_content_records_a_view(
    read_content: ReadSnippetContent,
    snippets: FakeSnippetRepository,
    views: FakeViewRecorder,
    owner: User,
    clock: FixedClock,
) -> None:
    snippet = seed(snippets, owner)
    await read_content(query())
    await read_content(query(version=1))
    assert views.views == [viewed(snippet.id, None, clock), viewed(snippet.id, 1, clock)]


# --- ReadUncachedSnippet ----------------------------------------------------------------


async def test_uncached_a_private_version_is_rendered_for_its_owner_and_recorded(
    read_uncached: ReadUncachedSnippet,
    snippets: FakeSnippetRepository,
    views: FakeViewRecorder,
    owner: User,
    clock: FixedClock,
) -> None:
    snippet = seed(snippets, owner, visibility=Visibility.PRIVATE, content="secret")
    body = await read_uncached(query(reader=owner, version=1))
    assert body == b"abc12345 v1 by " + owner.username.encode() + b": secret"
    assert views.views == [viewed(snippet.id, 1, clock)]


async def test_uncached_a_share_token_opens_its_private_version(
    read_uncached: ReadUncachedSnippet,
    snippets: FakeSnippetRepository,
    share_tokens: FakeShareTokens,
    owner: User,
    clock: FixedClock,
) -> None:
    snippet = seed(snippets, owner, visibility=Visibility.PRIVATE, content="secret")
    token = share_privately(snippets, share_tokens, snippet, clock)
    body = await read_uncached(query(token=token))
    assert body is not None
    assert body.endswith(b"secret")


async def test_uncached_a_public_version_is_left_to_the_cache_first_read(
    read_uncached: ReadUncachedSnippet,
    snippets: FakeSnippetRepository,
    renderer: FakeRenderer,
    views: FakeViewRecorder,
    owner: User,
) -> None:
    seed(snippets, owner)
    assert await read_uncached(query()) is None
    assert await read_uncached(query(reader=owner)) is None
    assert renderer.renders == 0
    assert views.views == []


async def test_uncached_the_access_rules_are_those_of_the_cache_first_read(
    read_uncached: ReadUncachedSnippet,
    snippets: FakeSnippetRepository,
    owner: User,
    stranger: User,
    clock: FixedClock,
) -> None:
    with pytest.raises(SnippetNotFound):
        await read_uncached(query())
    snippet = seed(snippets, owner, visibility=Visibility.PRIVATE, expires_in=timedelta(1))
    with pytest.raises(SnippetNotFound):
        await read_uncached(query(reader=stranger))
    with pytest.raises(SnippetNotFound):
        await read_uncached(query(token="forged"))
    with pytest.raises(VersionNotFound):
        await read_uncached(query(reader=owner, version=9))
    with pytest.raises(SnippetNotFound):
        await read_uncached(query(reader=stranger, version=9))
    clock.advance(timedelta(days=2))
    assert await read_uncached(query(reader=owner)) is not None  # expired: the owner reads
    snippet.delete(deleter_id=owner.id, now=clock.now())
    snippets.seed(snippet)
    with pytest.raises(SnippetNotFound):
        await read_uncached(query(reader=owner))


async def test_uncached_an_expired_public_version_is_left_to_the_cache_first_read_for_its_owner(
    read_uncached: ReadUncachedSnippet,
    snippets: FakeSnippetRepository,
    owner: User,
    clock: FixedClock,
) -> None:
    seed(snippets, owner, expires_in=timedelta(minutes=1), clock=clock)
    clock.advance(timedelta(minutes=2))
    # A public version, so that is ReadSnippet's business (which answers it, and does not
    # cache it past its window).
    assert await read_uncached(query(reader=owner)) is None
