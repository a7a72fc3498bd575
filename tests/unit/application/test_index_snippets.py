"""IndexSnippets: each document follows its snippet's committed state, never an older one."""

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from swiftpaste.application.integration_events import (
    LifecycleEvent,
    SnippetDeletedEvent,
    SnippetRevisedEvent,
)
from swiftpaste.application.ports.consumers import SearchDocument
from swiftpaste.application.search.index_snippets import IndexSnippets, IndexTally
from tests.unit.consumer_fakes import FakeSearchDocuments, FakeSnippetSnapshots, a_document
from tests.unit.fakes import FakeUnitOfWork


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def snapshots() -> FakeSnippetSnapshots:
    return FakeSnippetSnapshots()


@pytest.fixture
def documents(uow: FakeUnitOfWork, snapshots: FakeSnippetSnapshots) -> FakeSearchDocuments:
    return FakeSearchDocuments(uow, snapshots)


@pytest.fixture
def index(
    snapshots: FakeSnippetSnapshots, documents: FakeSearchDocuments, uow: FakeUnitOfWork
) -> IndexSnippets:
    return IndexSnippets(snapshots, documents, uow)


def revised(snippet_id: UUID, aggregate_version: int) -> LifecycleEvent:
    return SnippetRevisedEvent.model_validate(
        {
            "event_id": uuid4(),
            "occurred_at": datetime(2025, 1, 1, tzinfo=UTC),
            "snippet_id": snippet_id,
            "aggregate_version": aggregate_version,
            "payload": {
                "short_id": "abcd1234",
                "owner_id": uuid4(),
                "latest_version": aggregate_version,
                "title": "notes",
                "visibility": "public",
                "language": None,
                "expires_at": None,
                "title_changed": False,
                "new_version": True,
            },
        },
    )


def deleted(snippet_id: UUID, aggregate_version: int) -> LifecycleEvent:
    return SnippetDeletedEvent.model_validate(
        {
            "event_id": uuid4(),
            "occurred_at": datetime(2025, 1, 1, tzinfo=UTC),
            "snippet_id": snippet_id,
            "aggregate_version": aggregate_version,
            "payload": {"short_id": "abcd1234", "owner_id": uuid4(), "latest_version": 1},
        },
    )


async def test_a_new_snippet_gets_its_document(
    index: IndexSnippets,
    snapshots: FakeSnippetSnapshots,
    documents: FakeSearchDocuments,
) -> None:
    current = snapshots.put(a_document(aggregate_version=1))

    assert await index([revised(current.snippet_id, 1)]) == IndexTally(indexed=1)

    assert documents.committed == {current.snippet_id: current}


async def test_the_document_is_rebuilt_from_the_current_state_not_from_the_event(
    index: IndexSnippets,
    snapshots: FakeSnippetSnapshots,
    documents: FakeSearchDocuments,
) -> None:
    # The event says version 2, but the snippet has moved on to 4 meanwhile.
    documents.seed(a_document(snippet_id := uuid4(), aggregate_version=1))
    current = snapshots.put(a_document(snippet_id, aggregate_version=4, content="newest"))

    assert await index([revised(snippet_id, 2)]) == IndexTally(indexed=1)

    assert documents.committed[snippet_id] == current


async def test_an_event_no_newer_than_the_document_is_skipped_without_reading_the_snippet(
    index: IndexSnippets,
    snapshots: FakeSnippetSnapshots,
    documents: FakeSearchDocuments,
    uow: FakeUnitOfWork,
) -> None:
    stored = documents.seed(a_document(aggregate_version=3))

    assert await index([revised(stored.snippet_id, 3)]) == IndexTally(up_to_date=1)
    assert await index([revised(stored.snippet_id, 2)]) == IndexTally(up_to_date=1)

    assert snapshots.reads == []
    assert documents.committed == {stored.snippet_id: stored}
    assert uow.commits == 0


async def test_a_deleted_snippet_loses_its_document(
    index: IndexSnippets, documents: FakeSearchDocuments, uow: FakeUnitOfWork
) -> None:
    stored = documents.seed(a_document(aggregate_version=2))

    assert await index([deleted(stored.snippet_id, 3)]) == IndexTally(removed=1)

    assert documents.committed == {}
    assert uow.commits == 1


async def test_a_write_that_loses_the_race_to_a_newer_document_reports_up_to_date(
    index: IndexSnippets,
    snapshots: FakeSnippetSnapshots,
    documents: FakeSearchDocuments,
) -> None:
    snippet_id = uuid4()
    snapshots.put(a_document(snippet_id, aggregate_version=2))
    documents.written_meanwhile = a_document(snippet_id, aggregate_version=5)

    assert await index([revised(snippet_id, 2)]) == IndexTally(up_to_date=1)
    assert documents.committed[snippet_id].aggregate_version == 5


async def test_a_batch_is_folded_per_snippet_and_committed_once(
    index: IndexSnippets,
    snapshots: FakeSnippetSnapshots,
    documents: FakeSearchDocuments,
    uow: FakeUnitOfWork,
) -> None:
    edited = snapshots.put(a_document(aggregate_version=3, content="third"))
    fresh = snapshots.put(a_document(aggregate_version=1))
    current = documents.seed(a_document(aggregate_version=2))
    snapshots.put(current)
    doomed = documents.seed(a_document(aggregate_version=1))
    events = [
        revised(edited.snippet_id, 1),
        revised(edited.snippet_id, 3),
        revised(fresh.snippet_id, 1),
        revised(edited.snippet_id, 2),
        revised(current.snippet_id, 2),
        deleted(doomed.snippet_id, 2),
    ]

    tally = await index(events)

    assert tally == IndexTally(indexed=2, removed=1, up_to_date=1)
    assert uow.commits == 1
    # One read per snippet that needed one: not per event, not for the current document.
    assert sorted(snapshots.reads) == sorted(
        [edited.snippet_id, fresh.snippet_id, doomed.snippet_id]
    )
    assert documents.committed == {
        edited.snippet_id: edited,
        fresh.snippet_id: fresh,
        current.snippet_id: current,
    }


async def test_a_failing_batch_is_rolled_back_whole(
    index: IndexSnippets,
    snapshots: FakeSnippetSnapshots,
    documents: FakeSearchDocuments,
    uow: FakeUnitOfWork,
) -> None:
    stale = documents.seed(a_document(aggregate_version=1))
    snapshots.put(a_document(stale.snippet_id, aggregate_version=2))

    async def unreadable(snippet_ids: Sequence[UUID]) -> dict[UUID, SearchDocument]:
        await documents.remove([stale.snippet_id])  # a write the failure must undo
        raise RuntimeError("the snippets cannot be read")

    snapshots.current = unreadable  # type: ignore[method-assign]

    with pytest.raises(RuntimeError):
        await index([revised(stale.snippet_id, 2)])

    assert (uow.commits, uow.rollbacks) == (0, 1)
    assert documents.staged == {stale.snippet_id: stale}


async def test_no_events_is_no_transaction(index: IndexSnippets, uow: FakeUnitOfWork) -> None:
    assert await index([]) == IndexTally()
    assert (uow.commits, uow.rollbacks) == (0, 0)
