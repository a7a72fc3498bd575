"""RebuildSearchIndex: page through every live snippet, then sweep stale documents."""

from uuid import uuid4

from swiftpaste.application.search.rebuild_index import RebuildReport, RebuildSearchIndex
from tests.unit.consumer_fakes import FakeSearchDocuments, FakeSnippetSnapshots, a_document
from tests.unit.fakes import FakeUnitOfWork


async def test_every_live_snippet_is_rewritten_and_stale_documents_removed() -> None:
    uow = FakeUnitOfWork()
    snapshots = FakeSnippetSnapshots()
    documents = FakeSearchDocuments(uow, snapshots)
    live = [snapshots.put(a_document(aggregate_version=2)) for _ in range(5)]
    documents.seed(a_document(live[0].snippet_id, aggregate_version=1, content="old"))
    gone = documents.seed(a_document(uuid4()))

    report = await RebuildSearchIndex(documents, uow)(page_size=2)

    assert report == RebuildReport(written=5, removed=1)
    assert documents.committed == {document.snippet_id: document for document in live}
    assert gone.snippet_id not in documents.committed
    assert uow.commits == 5  # three pages, the empty last read, and the sweep


async def test_a_newer_document_written_meanwhile_is_kept() -> None:
    uow = FakeUnitOfWork()
    snapshots = FakeSnippetSnapshots()
    documents = FakeSearchDocuments(uow, snapshots)
    snippet = snapshots.put(a_document(aggregate_version=2))
    newer = documents.seed(a_document(snippet.snippet_id, aggregate_version=3, content="newer"))

    report = await RebuildSearchIndex(documents, uow)()

    assert report == RebuildReport(written=0, removed=0)
    assert documents.committed[snippet.snippet_id] == newer
