"""CountViews: each view counted once, however often Kafka delivers it."""

from uuid import UUID, uuid4

import pytest

from swiftpaste.application.ports.consumers import StreamPosition
from swiftpaste.application.snippets.count_views import CountViews, ViewRecord, ViewTally
from tests.unit.consumer_fakes import FakeLiveViewCounts, FakeViewLedger, short_id_of
from tests.unit.fakes import FakeUnitOfWork

GROUP = "swiftpaste-views"
TOPIC = "snippet-views"


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def ledger(uow: FakeUnitOfWork) -> FakeViewLedger:
    return FakeViewLedger(uow)


@pytest.fixture
def live() -> FakeLiveViewCounts:
    return FakeLiveViewCounts()


@pytest.fixture
def count(ledger: FakeViewLedger, uow: FakeUnitOfWork, live: FakeLiveViewCounts) -> CountViews:
    return CountViews(ledger, uow, live)


def view(partition: int, offset: int, snippet_id: UUID | None) -> ViewRecord:
    return ViewRecord(StreamPosition(TOPIC, partition, offset), snippet_id)


async def test_a_batch_adds_its_views_per_snippet_and_records_its_positions(
    count: CountViews, ledger: FakeViewLedger, uow: FakeUnitOfWork
) -> None:
    first, second = uuid4(), uuid4()
    batch = [view(0, 0, first), view(0, 1, second), view(1, 0, first), view(0, 2, first)]

    assert await count(GROUP, batch) == ViewTally(counted=4, duplicates=0)

    assert ledger.committed_views == {first: 3, second: 1}
    assert ledger.committed_offsets == {(GROUP, TOPIC, 0): 3, (GROUP, TOPIC, 1): 1}
    assert ledger.locked == [[(TOPIC, 0), (TOPIC, 1)]]
    assert uow.commits == 1


async def test_a_batch_delivered_again_counts_nothing(
    count: CountViews, ledger: FakeViewLedger
) -> None:
    snippet = uuid4()
    batch = [view(0, offset, snippet) for offset in range(5)]
    await count(GROUP, batch)

    assert await count(GROUP, batch) == ViewTally(counted=0, duplicates=5)
    assert ledger.committed_views == {snippet: 5}


async def test_an_overlapping_redelivery_counts_only_what_is_new(
    count: CountViews, ledger: FakeViewLedger
) -> None:
    snippet = uuid4()
    await count(GROUP, [view(0, offset, snippet) for offset in range(3)])

    tally = await count(GROUP, [view(0, offset, snippet) for offset in range(1, 6)])

    assert tally == ViewTally(counted=3, duplicates=2)
    assert ledger.committed_views == {snippet: 6}
    assert ledger.committed_offsets == {(GROUP, TOPIC, 0): 6}


async def test_an_unreadable_record_counts_nothing_but_uses_up_its_offset(
    count: CountViews, ledger: FakeViewLedger
) -> None:
    snippet = uuid4()

    tally = await count(GROUP, [view(0, 0, snippet), view(0, 1, None)])

    assert tally == ViewTally(counted=1, duplicates=0)
    assert ledger.committed_offsets == {(GROUP, TOPIC, 0): 2}


async def test_groups_keep_their_own_positions(count: CountViews, ledger: FakeViewLedger) -> None:
    snippet = uuid4()
    batch = [view(0, 0, snippet)]
    await count(GROUP, batch)

    assert await count("another-group", batch) == ViewTally(counted=1, duplicates=0)
    assert ledger.committed_views == {snippet: 2}


async def test_an_empty_batch_touches_nothing(
    count: CountViews, ledger: FakeViewLedger, uow: FakeUnitOfWork
) -> None:
    assert await count(GROUP, []) == ViewTally(counted=0, duplicates=0)
    assert ledger.locked == []
    assert uow.commits == 0


async def test_the_new_totals_are_published_after_the_commit(
    count: CountViews, live: FakeLiveViewCounts, uow: FakeUnitOfWork
) -> None:
    first, second = uuid4(), uuid4()
    await count(GROUP, [view(0, 0, first), view(0, 1, first), view(1, 0, second)])
    await count(GROUP, [view(0, 2, first)])
    assert uow.committed
    assert live.published == {short_id_of(first): 3, short_id_of(second): 1}


async def test_a_batch_of_duplicates_publishes_nothing_new(
    count: CountViews, live: FakeLiveViewCounts
) -> None:
    snippet = uuid4()
    await count(GROUP, [view(0, 0, snippet)])
    await count(GROUP, [view(0, 0, snippet)])
    assert live.batches == [{short_id_of(snippet): 1}, {}]
