"""ExpireDueShares: one scheduler tick marks ended share windows and records their events."""

from datetime import timedelta

import pytest

from swiftpaste.application.snippets.expire_shares import ExpireDueShares, ExpiryRun
from swiftpaste.domain.events import SnippetExpired
from swiftpaste.domain.snippets import Snippet, Visibility
from swiftpaste.domain.users import User
from tests.unit.fakes import (
    DEFAULT_NOW,
    FakeSnippetRepository,
    FakeUnitOfWork,
    FixedClock,
    a_snippet,
)

HOUR = timedelta(hours=1)
ENDS = DEFAULT_NOW + HOUR
BATCH = 100


@pytest.fixture
def expire(
    snippets: FakeSnippetRepository, uow: FakeUnitOfWork, clock: FixedClock
) -> ExpireDueShares:
    return ExpireDueShares(snippets, uow, clock)


def seed_expiring(
    snippets: FakeSnippetRepository,
    owner: User,
    short_id: str,
    *,
    versions: int = 1,
    ends: timedelta = HOUR,
    visibility: Visibility = Visibility.PUBLIC,
) -> Snippet:
    """A committed snippet whose `versions` versions are all open for `ends` from now."""
    snippet = a_snippet(
        owner_id=owner.id,
        short_id=short_id,
        visibility=visibility,
        expires_at=DEFAULT_NOW + ends,
        now=DEFAULT_NOW,
    )
    for number in range(2, versions + 1):
        snippet.revise(editor_id=owner.id, now=DEFAULT_NOW, content=f"v{number}")
    return snippets.seed(snippet)


def expired_events(snippets: FakeSnippetRepository) -> list[SnippetExpired]:
    events = [event for event in snippets.saved_events if isinstance(event, SnippetExpired)]
    assert len(events) == len(snippets.saved_events), "only expiries were expected"
    return events


async def test_nothing_due_commits_an_empty_run(
    expire: ExpireDueShares,
    snippets: FakeSnippetRepository,
    uow: FakeUnitOfWork,
    owner: User,
) -> None:
    seed_expiring(snippets, owner, "later234")
    assert await expire(BATCH) == ExpiryRun(snippets=0, versions=0)
    assert uow.commits == 1
    assert snippets.saved_events == []


async def test_ended_windows_are_counted_by_snippet_and_by_version(
    expire: ExpireDueShares,
    snippets: FakeSnippetRepository,
    uow: FakeUnitOfWork,
    clock: FixedClock,
    owner: User,
) -> None:
    seed_expiring(snippets, owner, "one23456")
    seed_expiring(snippets, owner, "two23456", versions=3)
    seed_expiring(snippets, owner, "later234", ends=2 * HOUR)
    snippets.seed(a_snippet(owner_id=owner.id, short_id="never234"))
    clock.set(ENDS)
    assert await expire(BATCH) == ExpiryRun(snippets=2, versions=4)
    assert uow.commits == 1


async def test_the_marks_are_committed(
    expire: ExpireDueShares,
    snippets: FakeSnippetRepository,
    clock: FixedClock,
    owner: User,
) -> None:
    snippet = seed_expiring(snippets, owner, "two23456", versions=2)
    clock.set(ENDS + timedelta(seconds=7))
    await expire(BATCH)
    stored = snippets.committed_snippet(snippet.id)
    assert stored is not None
    assert [(v.number, v.expires_at, v.expired_at) for v in stored.versions.values()] == [
        (1, ENDS, clock.now()),
        (2, ENDS, clock.now()),
    ]
    assert stored.aggregate_version == snippet.aggregate_version + 2


async def test_the_expiry_events_reach_the_repository(
    expire: ExpireDueShares,
    snippets: FakeSnippetRepository,
    clock: FixedClock,
    owner: User,
) -> None:
    snippet = seed_expiring(snippets, owner, "two23456", versions=2, visibility=Visibility.PRIVATE)
    clock.set(ENDS)
    await expire(BATCH)
    assert expired_events(snippets) == [
        SnippetExpired(
            snippet_id=snippet.id,
            short_id="two23456",
            owner_id=owner.id,
            occurred_at=ENDS,
            latest_version=2,
            aggregate_version=snippet.aggregate_version + number,
            version=number,
            visibility="private",
            expires_at=ENDS,
        )
        for number in (1, 2)
    ]


async def test_a_second_run_announces_nothing_again(
    expire: ExpireDueShares,
    snippets: FakeSnippetRepository,
    uow: FakeUnitOfWork,
    clock: FixedClock,
    owner: User,
) -> None:
    seed_expiring(snippets, owner, "one23456")
    clock.set(ENDS)
    await expire(BATCH)
    announced = list(snippets.saved_events)
    clock.advance(HOUR)
    assert await expire(BATCH) == ExpiryRun(snippets=0, versions=0)
    assert snippets.saved_events == announced
    assert uow.commits == 2


async def test_a_deleted_snippet_is_never_announced(
    expire: ExpireDueShares,
    snippets: FakeSnippetRepository,
    clock: FixedClock,
    owner: User,
) -> None:
    snippet = seed_expiring(snippets, owner, "gone2345")
    snippet.delete(deleter_id=owner.id, now=DEFAULT_NOW)
    snippets.seed(snippet)
    clock.set(ENDS)
    assert await expire(BATCH) == ExpiryRun(snippets=0, versions=0)
    assert snippets.saved_events == []


async def test_the_batch_size_limits_the_snippets_of_one_run(
    expire: ExpireDueShares,
    snippets: FakeSnippetRepository,
    clock: FixedClock,
    owner: User,
) -> None:
    for short_id in ("one23456", "two23456", "thr23456"):
        seed_expiring(snippets, owner, short_id)
    clock.set(ENDS)
    assert await expire(2) == ExpiryRun(snippets=2, versions=2)
    assert await expire(2) == ExpiryRun(snippets=1, versions=1)
    assert await expire(2) == ExpiryRun(snippets=0, versions=0)
    assert len({event.snippet_id for event in expired_events(snippets)}) == 3
    assert snippets.expiry_locks == [(ENDS, 2)] * 3


async def test_a_window_shared_again_after_its_announcement_is_announced_again(
    expire: ExpireDueShares,
    snippets: FakeSnippetRepository,
    clock: FixedClock,
    owner: User,
) -> None:
    snippet = seed_expiring(snippets, owner, "one23456")
    clock.set(ENDS)
    await expire(BATCH)

    reloaded = snippets.committed_snippet(snippet.id)
    assert reloaded is not None
    reloaded.share(sharer_id=owner.id, number=1, ttl=HOUR, now=clock.now())
    snippets.seed(reloaded)

    clock.advance(HOUR)
    assert await expire(BATCH) == ExpiryRun(snippets=1, versions=1)
    assert [event.expires_at for event in expired_events(snippets)] == [ENDS, ENDS + HOUR]


async def test_a_window_still_open_on_another_version_waits_for_a_later_run(
    expire: ExpireDueShares,
    snippets: FakeSnippetRepository,
    clock: FixedClock,
    owner: User,
) -> None:
    snippet = a_snippet(owner_id=owner.id, short_id="mix23456", now=DEFAULT_NOW)
    snippet.revise(editor_id=owner.id, now=DEFAULT_NOW, content="v2")
    snippet.share(sharer_id=owner.id, number=1, ttl=HOUR, now=DEFAULT_NOW)
    snippet.share(sharer_id=owner.id, number=2, ttl=2 * HOUR, now=DEFAULT_NOW)
    snippets.seed(snippet)
    clock.set(ENDS)
    assert await expire(BATCH) == ExpiryRun(snippets=1, versions=1)
    stored = snippets.committed_snippet(snippet.id)
    assert stored is not None
    assert (stored.version(1).expired_at, stored.version(2).expired_at) == (ENDS, None)
    assert stored.version(2).content == "v2"

    clock.advance(HOUR)
    assert await expire(BATCH) == ExpiryRun(snippets=1, versions=1)
    assert [event.version for event in expired_events(snippets)] == [1, 2]
