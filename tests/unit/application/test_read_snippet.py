"""ReadSnippet: one admission and cache lookup, then the snippet's rules on a miss."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from swiftpaste.application.auth.credentials import new_personal_access_token, secret_digest
from swiftpaste.application.errors import InsufficientScope, NotAuthenticated
from swiftpaste.application.ports.rate_limit import RateLimitExceeded, user_budget
from swiftpaste.application.ports.snippets import Rendered, Representation
from swiftpaste.application.snippets.etags import current_etags, snippet_etag
from swiftpaste.application.snippets.read_snippet import ReadSnippet, ReadSnippetQuery
from swiftpaste.domain.access_tokens import PersonalAccessToken, Scope
from swiftpaste.domain.errors import ShareExpired, SnippetNotFound, VersionNotFound
from swiftpaste.domain.events import SnippetViewed
from swiftpaste.domain.snippets import Snippet, Visibility
from swiftpaste.domain.users import User
from tests.unit.conftest import CACHE_TTL_SECONDS, READS_ALLOWED
from tests.unit.fakes import (
    DEFAULT_NOW,
    CacheEntry,
    CachePut,
    FakeAccessTokenCodec,
    FakeAccessTokens,
    FakeDenylist,
    FakeRefreshTokenRepository,
    FakeRenderer,
    FakeSessionRevocations,
    FakeShareTokens,
    FakeSnippetCache,
    FakeSnippetQueries,
    FakeSnippetRepository,
    FakeUnitOfWork,
    FakeViewRecorder,
    FixedClock,
    a_refresh_token,
    a_snippet,
    access_claims,
)

SHORT_ID = "abc12345"
ADDRESS = "ip:198.51.100.7"


@pytest.fixture
def tokens(codec: FakeAccessTokenCodec) -> Callable[[User], str]:
    """An access token for a user, as log-in would issue."""

    def token(user: User) -> str:
        return codec.encode(access_claims(user_id=user.id))

    return token


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
    assert snippet.owner_id is not None
    shared = snippet.share(sharer_id=snippet.owner_id, number=1, ttl=ttl, now=clock.now())
    snippets.seed(snippet)
    assert shared.expires_at is not None
    return share_tokens.issue(snippet.id, 1, shared.expires_at)


def query(
    *,
    version: int | None = None,
    access_token: str | None = None,
    token: str | None = None,
    representation: Representation = Representation.JSON,
) -> ReadSnippetQuery:
    return ReadSnippetQuery(
        short_id=SHORT_ID,
        version=version,
        representation=representation,
        access_token=access_token,
        address_key=ADDRESS,
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
    tokens: Callable[[User], str],
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
            reader = {"owner": owner, "stranger": stranger, None: None}[situation.reader]
            access_token = tokens(reader) if reader is not None else None
            clock.advance(situation.read_after)
            if situation.deleted:
                snippet.delete(deleter_id=owner.id, now=clock.now())
                snippets.seed(snippet)
        else:
            access_token = None
        return query(version=situation.version, access_token=access_token, token=token)

    return arrange


# --- admission: the read budget and the token ----------------------------------------


async def test_a_read_spends_one_request_of_the_address_budget(
    read_snippet: ReadSnippet, snippet_cache: FakeSnippetCache
) -> None:
    snippet_cache.seed(SHORT_ID, None, b"cached")
    read = await read_snippet(query())
    assert snippet_cache.spent == {ADDRESS: 1}
    assert (read.decision.allowed, read.decision.remaining) == (True, READS_ALLOWED - 1)


async def test_a_signed_in_reader_spends_their_own_budget(
    read_snippet: ReadSnippet,
    snippet_cache: FakeSnippetCache,
    owner: User,
    tokens: Callable[[User], str],
) -> None:
    snippet_cache.seed(SHORT_ID, None, b"cached")
    await read_snippet(query(access_token=tokens(owner)))
    await read_snippet(query(access_token=tokens(owner)))  # another token, the same user
    assert snippet_cache.spent == {user_budget(owner.id): 2}


async def test_an_empty_budget_refuses_the_read_before_anything_else(
    read_snippet: ReadSnippet,
    snippet_cache: FakeSnippetCache,
    snippet_queries: FakeSnippetQueries,
    snippets: FakeSnippetRepository,
    views: FakeViewRecorder,
    owner: User,
) -> None:
    seed(snippets, owner, visibility=Visibility.PRIVATE)
    snippet_cache.spent[ADDRESS] = READS_ALLOWED
    with pytest.raises(RateLimitExceeded) as refused:
        await read_snippet(query())
    assert refused.value.decision.retry_after_seconds > 0
    assert (snippet_queries.calls, views.views) == ([], [])


async def test_an_invalid_token_is_refused_once_its_address_paid(
    read_snippet: ReadSnippet, snippet_cache: FakeSnippetCache, views: FakeViewRecorder
) -> None:
    snippet_cache.seed(SHORT_ID, None, b"cached")
    with pytest.raises(NotAuthenticated, match="invalid or expired"):
        await read_snippet(query(access_token="forged"))
    assert snippet_cache.spent == {ADDRESS: 1}
    assert views.views == []


@pytest.mark.parametrize("cached", [True, False], ids=["hit", "miss"])
async def test_a_logged_out_token_is_refused(
    read_snippet: ReadSnippet,
    snippet_cache: FakeSnippetCache,
    snippets: FakeSnippetRepository,
    denylist: FakeDenylist,
    codec: FakeAccessTokenCodec,
    owner: User,
    tokens: Callable[[User], str],
    *,
    cached: bool,
) -> None:
    seed(snippets, owner)
    if cached:
        snippet_cache.seed(SHORT_ID, None, b"cached")
    token = tokens(owner)
    await denylist.revoke_token(codec.decode(token).token_id, DEFAULT_NOW + timedelta(hours=1))
    with pytest.raises(NotAuthenticated, match="revoked"):
        await read_snippet(query(access_token=token))


async def test_without_the_cache_the_database_says_whether_a_session_ended(
    read_snippet: ReadSnippet,
    snippet_cache: FakeSnippetCache,
    snippets: FakeSnippetRepository,
    refresh_tokens: FakeRefreshTokenRepository,
    session_revocations: FakeSessionRevocations,
    codec: FakeAccessTokenCodec,
    owner: User,
) -> None:
    seed(snippets, owner)
    snippet_cache.unavailable = True
    live, ended = access_claims(user_id=owner.id), access_claims(user_id=owner.id)
    refresh_tokens.seed(a_refresh_token(user_id=owner.id, family_id=live.session_id))
    refresh_tokens.seed(
        a_refresh_token(user_id=owner.id, family_id=ended.session_id, revoked_at=DEFAULT_NOW)
    )
    read = await read_snippet(query(access_token=codec.encode(live)))
    assert read.decision.allowed
    with pytest.raises(NotAuthenticated, match="revoked"):
        await read_snippet(query(access_token=codec.encode(ended)))
    assert session_revocations.asked == 2


async def test_without_the_cache_an_anonymous_read_comes_from_the_database(
    read_snippet: ReadSnippet,
    snippet_cache: FakeSnippetCache,
    snippets: FakeSnippetRepository,
    session_revocations: FakeSessionRevocations,
    owner: User,
) -> None:
    seed(snippets, owner, content="print('hi')")
    snippet_cache.unavailable = True
    read = await read_snippet(query())
    assert read.body == f"{SHORT_ID} v1 by owner: print('hi')".encode()
    assert snippet_cache.puts == [] or not any(put.stored for put in snippet_cache.puts)
    assert session_revocations.asked == 0


# --- the cache ---------------------------------------------------------------------


async def test_a_cache_hit_returns_the_cached_bytes_without_querying(
    read_snippet: ReadSnippet,
    snippet_cache: FakeSnippetCache,
    snippet_queries: FakeSnippetQueries,
    renderer: FakeRenderer,
) -> None:
    snippet_cache.seed(SHORT_ID, 2, b"cached body")
    assert (await read_snippet(query(version=2))).body == b"cached body"
    assert (snippet_queries.calls, renderer.renders) == ([], 0)


async def test_the_cache_is_looked_up_by_short_id_and_asked_version(
    read_snippet: ReadSnippet, snippet_cache: FakeSnippetCache
) -> None:
    snippet_cache.seed(SHORT_ID, None, b"latest")
    await read_snippet(query())
    assert snippet_cache.gets == [(SHORT_ID, None, Representation.JSON)]


async def test_a_miss_returns_the_rendered_body(
    read_snippet: ReadSnippet, snippets: FakeSnippetRepository, owner: User
) -> None:
    seed(snippets, owner, content="print('hi')")
    assert (await read_snippet(query())).body == f"{SHORT_ID} v1 by owner: print('hi')".encode()


async def test_a_miss_caches_a_public_version_for_the_policy_ttl(
    read_snippet: ReadSnippet,
    snippets: FakeSnippetRepository,
    snippet_cache: FakeSnippetCache,
    owner: User,
) -> None:
    snippet = seed(snippets, owner)
    read = await read_snippet(query(version=1))
    body = read.body
    assert snippet_cache.puts == [
        CachePut(
            short_id=SHORT_ID,
            version=1,
            representation=Representation.JSON,
            rendered=Rendered(body),
            views=0,
            ttl_seconds=CACHE_TTL_SECONDS,
            generation=snippet_cache.generation(SHORT_ID),
            snippet_id=snippet.id,
            etag=read.etag,
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
    assert first.body == second.body
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
    body = (await read_snippet(arrange(situation))).body
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
    read = await read_snippet(query())
    assert snippet_cache.entries == {
        (SHORT_ID, None, Representation.JSON): CacheEntry(
            Rendered(read.body), 0, CACHE_TTL_SECONDS, snippet.id, read.etag
        )
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
@pytest.mark.parametrize("representation", list(Representation))
async def test_a_refused_read_records_no_view_and_caches_nothing(
    read_snippet: ReadSnippet,
    arrange: Callable[[Situation], ReadSnippetQuery],
    snippet_cache: FakeSnippetCache,
    views: FakeViewRecorder,
    situation: Situation,
    error: type[Exception],
    representation: Representation,
) -> None:
    read = replace(arrange(situation), representation=representation)
    with pytest.raises(error):
        await read_snippet(read)
    assert views.views == []
    assert snippet_cache.puts == []


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
    tokens: Callable[[User], str],
    snippets: FakeSnippetRepository,
    share_tokens: FakeShareTokens,
    views: FakeViewRecorder,
    owner: User,
    clock: FixedClock,
) -> None:
    snippet = seed(snippets, owner, visibility=Visibility.PRIVATE)
    token = share_privately(snippets, share_tokens, snippet, clock)
    await read_snippet(query(access_token=tokens(owner)))
    await read_snippet(query(version=1, token=token))
    assert views.views == [viewed(snippet.id, None, clock), viewed(snippet.id, 1, clock)]


# --- raw -------------------------------------------------------------------------------


async def test_raw_is_the_content_of_the_asked_version(
    read_snippet: ReadSnippet,
    snippets: FakeSnippetRepository,
    owner: User,
    clock: FixedClock,
) -> None:
    snippet = seed(snippets, owner, content="v1")
    snippet.revise(editor_id=owner.id, now=clock.now(), content="v2")
    snippets.seed(snippet)
    raw = Representation.RAW
    assert (await read_snippet(query(representation=raw))).body == b"v2"
    assert (await read_snippet(query(version=1, representation=raw))).body == b"v1"


async def test_raw_and_json_are_cached_apart(
    read_snippet: ReadSnippet,
    snippets: FakeSnippetRepository,
    snippet_cache: FakeSnippetCache,
    snippet_queries: FakeSnippetQueries,
    owner: User,
) -> None:
    seed(snippets, owner, content="print('hi')")
    for _ in range(2):
        assert (await read_snippet(query(representation=Representation.RAW))).body == (
            b"print('hi')"
        )
        assert (await read_snippet(query())).body.endswith(b": print('hi')")
    assert snippet_queries.calls == ["find", "find"]
    assert {key[2] for key in snippet_cache.entries} == {Representation.RAW, Representation.JSON}


async def test_private_raw_content_is_read_by_its_owner_and_a_share_token(
    read_snippet: ReadSnippet,
    snippets: FakeSnippetRepository,
    share_tokens: FakeShareTokens,
    owner: User,
    clock: FixedClock,
    tokens: Callable[[User], str],
) -> None:
    snippet = seed(snippets, owner, visibility=Visibility.PRIVATE, content="secret")
    token = share_privately(snippets, share_tokens, snippet, clock)
    raw = Representation.RAW
    mine = await read_snippet(query(access_token=tokens(owner), representation=raw))
    shared = await read_snippet(query(version=1, token=token, representation=raw))
    assert mine.body == shared.body == b"secret"


# --- personal access tokens ---------------------------------------------------------


async def personal_token(
    access_tokens: FakeAccessTokens, uow: FakeUnitOfWork, user: User, *scopes: Scope
) -> str:
    secret = new_personal_access_token()
    await access_tokens.add(
        PersonalAccessToken(
            id=uuid4(),
            user_id=user.id,
            name="ci",
            scopes=frozenset(scopes),
            token_digest=secret_digest(secret),
            created_at=DEFAULT_NOW,
        )
    )
    await uow.commit()
    return secret


async def test_a_personal_access_token_reads_as_its_user_on_their_budget(
    read_snippet: ReadSnippet,
    snippets: FakeSnippetRepository,
    snippet_cache: FakeSnippetCache,
    access_tokens: FakeAccessTokens,
    uow: FakeUnitOfWork,
    owner: User,
) -> None:
    seed(snippets, owner, visibility=Visibility.PRIVATE)
    token = await personal_token(access_tokens, uow, owner, Scope.SNIPPETS_READ)
    read = await read_snippet(query(access_token=token))
    assert read.body == f"{SHORT_ID} v1 by owner: print('hi')".encode()
    assert snippet_cache.spent == {user_budget(owner.id): 1}
    # Checked when it was looked up: no logout denylist to consult.
    assert [admission.claims for admission in snippet_cache.admissions] == [None]


async def test_a_personal_access_token_without_the_read_scope_is_refused_once_paid(
    read_snippet: ReadSnippet,
    snippets: FakeSnippetRepository,
    snippet_cache: FakeSnippetCache,
    access_tokens: FakeAccessTokens,
    uow: FakeUnitOfWork,
    views: FakeViewRecorder,
    owner: User,
) -> None:
    seed(snippets, owner)
    snippet_cache.seed(SHORT_ID, None, b"cached")
    token = await personal_token(access_tokens, uow, owner, Scope.SNIPPETS_WRITE)
    with pytest.raises(InsufficientScope, match="snippets:read"):
        await read_snippet(query(access_token=token))
    assert snippet_cache.spent == {user_budget(owner.id): 1}
    assert views.views == []


async def test_an_unknown_personal_access_token_is_refused_once_its_address_paid(
    read_snippet: ReadSnippet,
    snippets: FakeSnippetRepository,
    snippet_cache: FakeSnippetCache,
    owner: User,
) -> None:
    seed(snippets, owner)
    with pytest.raises(NotAuthenticated, match="invalid or revoked"):
        await read_snippet(query(access_token="sp_pat_not-issued"))
    assert snippet_cache.spent == {ADDRESS: 1}


# --- entity tags ----------------------------------------------------------------------


async def test_a_cache_hit_answers_with_the_tag_stored_beside_the_body(
    read_snippet: ReadSnippet, snippet_cache: FakeSnippetCache
) -> None:
    snippet_cache.seed(SHORT_ID, None, b"cached")
    assert (await read_snippet(query())).etag == "cached-etag"


async def test_the_latest_version_has_one_tag_however_it_is_asked_for(
    read_snippet: ReadSnippet, snippets: FakeSnippetRepository, owner: User
) -> None:
    snippet = seed(snippets, owner)
    latest = await read_snippet(query())
    numbered = await read_snippet(query(version=1))
    expected = snippet_etag(snippet, snippet.version(1), Representation.JSON)
    assert latest.etag == numbered.etag == expected
    assert expected in current_etags(snippet)


async def test_forms_and_versions_have_tags_of_their_own(
    read_snippet: ReadSnippet, snippets: FakeSnippetRepository, owner: User, clock: FixedClock
) -> None:
    snippet = seed(snippets, owner)
    snippet.revise(editor_id=owner.id, now=clock.now(), content="v2")
    snippets.seed(snippet)
    tags = {
        (await read_snippet(query(version=version, representation=form))).etag
        for version in (1, 2)
        for form in (Representation.JSON, Representation.RAW)
    }
    assert len(tags) == 4


async def test_any_change_to_the_snippet_changes_its_tag(
    read_snippet: ReadSnippet,
    snippets: FakeSnippetRepository,
    snippet_cache: FakeSnippetCache,
    owner: User,
    clock: FixedClock,
) -> None:
    snippet = seed(snippets, owner)
    before = (await read_snippet(query())).etag
    snippet.revise(editor_id=owner.id, now=clock.now(), title="renamed")  # no new version
    snippets.seed(snippet)
    await snippet_cache.invalidate(SHORT_ID, 1)
    assert (await read_snippet(query())).etag != before
