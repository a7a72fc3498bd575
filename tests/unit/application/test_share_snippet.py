"""ShareSnippet: open a version for a bounded time; private versions get a share token."""

from datetime import timedelta
from uuid import uuid4

import pytest

from swiftpaste.application.errors import InvalidShare
from swiftpaste.application.ports.snippets import Representation
from swiftpaste.application.snippets.read_snippet import ReadSnippet, ReadSnippetQuery
from swiftpaste.application.snippets.share_snippet import (
    SharePolicy,
    ShareSnippet,
    ShareSnippetCommand,
)
from swiftpaste.domain.errors import NotSnippetOwner, SnippetNotFound, VersionNotFound
from swiftpaste.domain.events import SnippetShared
from swiftpaste.domain.snippets import ShareGrant, Snippet, Visibility
from swiftpaste.domain.users import User
from tests.unit.conftest import (
    SHARE_DEFAULT_TTL_SECONDS,
    SHARE_MAX_TTL_SECONDS,
    SHARE_MIN_TTL_SECONDS,
)
from tests.unit.fakes import (
    FakeShareTokens,
    FakeSnippetCache,
    FakeSnippetRepository,
    FakeUnitOfWork,
    FixedClock,
    a_snippet,
)

SHORT_ID = "abc12345"


@pytest.fixture
def share(
    snippets: FakeSnippetRepository,
    uow: FakeUnitOfWork,
    snippet_cache: FakeSnippetCache,
    share_tokens: FakeShareTokens,
    clock: FixedClock,
    share_policy: SharePolicy,
) -> ShareSnippet:
    return ShareSnippet(snippets, uow, snippet_cache, share_tokens, clock, share_policy)


def seed(
    snippets: FakeSnippetRepository,
    owner: User,
    clock: FixedClock,
    *visibilities: Visibility,
) -> Snippet:
    """A snippet whose versions 1, 2, ... have these visibilities."""
    first, *rest = visibilities
    snippet = a_snippet(
        owner_id=owner.id, short_id=SHORT_ID, visibility=first, content="v1", now=clock.now()
    )
    for number, visibility in enumerate(rest, start=2):
        snippet.revise(
            editor_id=owner.id, now=clock.now(), content=f"v{number}", visibility=visibility
        )
    return snippets.seed(snippet)


@pytest.fixture
def private_snippet(snippets: FakeSnippetRepository, owner: User, clock: FixedClock) -> Snippet:
    return seed(snippets, owner, clock, Visibility.PRIVATE)


def sharing(
    snippet: Snippet,
    sharer: User,
    *,
    version: int | None = None,
    ttl_seconds: int | None = None,
    expires_in: str | None = None,
) -> ShareSnippetCommand:
    return ShareSnippetCommand(
        snippet_id=snippet.id,
        sharer_id=sharer.id,
        version=version,
        ttl_seconds=ttl_seconds,
        expires_in=expires_in,
    )


async def test_without_a_ttl_the_default_window_is_committed(
    share: ShareSnippet,
    private_snippet: Snippet,
    owner: User,
    snippets: FakeSnippetRepository,
    clock: FixedClock,
) -> None:
    link = await share(sharing(private_snippet, owner))
    expected = clock.now() + timedelta(seconds=SHARE_DEFAULT_TTL_SECONDS)
    stored = snippets.committed_snippet(private_snippet.id)
    assert stored is not None
    assert stored.version(1).expires_at == link.expires_at == expected


async def test_the_link_names_the_short_id_and_the_latest_version_by_default(
    share: ShareSnippet, snippets: FakeSnippetRepository, owner: User, clock: FixedClock
) -> None:
    snippet = seed(snippets, owner, clock, Visibility.PUBLIC, Visibility.PRIVATE)
    link = await share(sharing(snippet, owner))
    assert (link.short_id, link.version) == (SHORT_ID, 2)


async def test_an_older_version_can_be_shared_and_only_it_is_opened(
    share: ShareSnippet, snippets: FakeSnippetRepository, owner: User, clock: FixedClock
) -> None:
    snippet = seed(snippets, owner, clock, Visibility.PRIVATE, Visibility.PRIVATE)
    link = await share(sharing(snippet, owner, version=1))
    stored = snippets.committed_snippet(snippet.id)
    assert stored is not None
    assert link.version == 1
    assert (stored.version(1).expires_at, stored.version(2).expires_at) == (link.expires_at, None)


async def test_the_window_is_whole_seconds(
    share: ShareSnippet, private_snippet: Snippet, owner: User, clock: FixedClock
) -> None:
    start = clock.now()
    clock.advance(timedelta(milliseconds=400))
    link = await share(sharing(private_snippet, owner, ttl_seconds=120))
    assert link.expires_at == start + timedelta(seconds=120)


@pytest.mark.parametrize("ttl", [SHARE_MIN_TTL_SECONDS, SHARE_MAX_TTL_SECONDS], ids=["min", "max"])
async def test_a_ttl_at_either_bound_is_accepted(
    share: ShareSnippet, private_snippet: Snippet, owner: User, clock: FixedClock, ttl: int
) -> None:
    link = await share(sharing(private_snippet, owner, ttl_seconds=ttl))
    assert link.expires_at == clock.now() + timedelta(seconds=ttl)


@pytest.mark.parametrize(
    "ttl",
    [SHARE_MIN_TTL_SECONDS - 1, SHARE_MAX_TTL_SECONDS + 1, 0, -60],
    ids=["below-min", "above-max", "zero", "negative"],
)
async def test_a_ttl_outside_the_bounds_is_refused_without_commit(
    share: ShareSnippet,
    private_snippet: Snippet,
    owner: User,
    journal: list[str],
    share_tokens: FakeShareTokens,
    ttl: int,
) -> None:
    with pytest.raises(InvalidShare):
        await share(sharing(private_snippet, owner, ttl_seconds=ttl))
    assert (journal, share_tokens.issued) == ([], {})


async def test_sharing_a_private_version_issues_a_token_for_exactly_that_window(
    share: ShareSnippet,
    private_snippet: Snippet,
    owner: User,
    share_tokens: FakeShareTokens,
) -> None:
    link = await share(sharing(private_snippet, owner))
    assert link.token is not None
    assert share_tokens.verify(link.token) == ShareGrant(private_snippet.id, 1, link.expires_at)


async def test_sharing_a_public_version_issues_no_token(
    share: ShareSnippet,
    snippets: FakeSnippetRepository,
    owner: User,
    clock: FixedClock,
    share_tokens: FakeShareTokens,
) -> None:
    snippet = seed(snippets, owner, clock, Visibility.PUBLIC)
    link = await share(sharing(snippet, owner))
    assert (link.token, share_tokens.issued) == (None, {})


def anonymous_raw_read(share_token: str) -> ReadSnippetQuery:
    return ReadSnippetQuery(
        short_id=SHORT_ID,
        representation=Representation.RAW,
        address_key="ip:198.51.100.7",
        share_token=share_token,
    )


async def test_the_share_token_lets_anyone_read_the_private_version(
    share: ShareSnippet, private_snippet: Snippet, owner: User, read_snippet: ReadSnippet
) -> None:
    link = await share(sharing(private_snippet, owner))
    assert link.token is not None
    assert (await read_snippet(anonymous_raw_read(link.token))).body == b"v1"


async def test_sharing_again_retires_the_previous_link(
    share: ShareSnippet,
    private_snippet: Snippet,
    owner: User,
    read_snippet: ReadSnippet,
    clock: FixedClock,
) -> None:
    first = await share(sharing(private_snippet, owner))
    clock.advance(timedelta(minutes=1))
    await share(sharing(private_snippet, owner))
    assert first.token is not None
    with pytest.raises(SnippetNotFound):
        await read_snippet(anonymous_raw_read(first.token))


async def test_the_cache_is_invalidated_after_the_commit(
    share: ShareSnippet,
    private_snippet: Snippet,
    owner: User,
    snippet_cache: FakeSnippetCache,
    journal: list[str],
) -> None:
    await share(sharing(private_snippet, owner))
    assert journal == ["commit", f"invalidate {SHORT_ID}"]
    assert snippet_cache.invalidations == [(SHORT_ID, 1)]


async def test_the_share_event_is_handed_to_the_repository(
    share: ShareSnippet,
    private_snippet: Snippet,
    owner: User,
    snippets: FakeSnippetRepository,
) -> None:
    link = await share(sharing(private_snippet, owner))
    (event,) = snippets.saved_events
    assert isinstance(event, SnippetShared)
    assert (event.version, event.expires_at) == (1, link.expires_at)


async def test_sharing_by_someone_else_is_refused_without_commit_or_token(
    share: ShareSnippet,
    private_snippet: Snippet,
    stranger: User,
    journal: list[str],
    share_tokens: FakeShareTokens,
) -> None:
    with pytest.raises(NotSnippetOwner):
        await share(sharing(private_snippet, stranger))
    assert (journal, share_tokens.issued) == ([], {})


async def test_sharing_an_unknown_version_is_refused_without_commit(
    share: ShareSnippet, private_snippet: Snippet, owner: User, journal: list[str]
) -> None:
    with pytest.raises(VersionNotFound):
        await share(sharing(private_snippet, owner, version=5))
    assert journal == []


async def test_sharing_an_unknown_snippet_is_not_found(
    share: ShareSnippet, owner: User, journal: list[str]
) -> None:
    with pytest.raises(SnippetNotFound):
        await share(ShareSnippetCommand(snippet_id=uuid4(), sharer_id=owner.id))
    assert journal == []


async def test_a_preset_opens_the_window_for_its_duration(
    share: ShareSnippet, private_snippet: Snippet, owner: User, clock: FixedClock
) -> None:
    link = await share(sharing(private_snippet, owner, expires_in="1h"))
    assert link.expires_at == (clock.now() + timedelta(hours=1)).replace(microsecond=0)


@pytest.mark.parametrize(
    ("ttl_seconds", "expires_in", "message"),
    [
        (None, "never", "preset"),
        (None, "1y", "between"),
        (None, "2d", "preset"),
        (600, "1h", "not both"),
    ],
    ids=["never", "longer-than-allowed", "unknown", "both"],
)
async def test_a_window_preset_must_end_within_the_longest_window(
    share: ShareSnippet,
    private_snippet: Snippet,
    owner: User,
    uow: FakeUnitOfWork,
    ttl_seconds: int | None,
    expires_in: str,
    message: str,
) -> None:
    with pytest.raises(InvalidShare, match=message):
        await share(sharing(private_snippet, owner, ttl_seconds=ttl_seconds, expires_in=expires_in))
    assert not uow.committed
