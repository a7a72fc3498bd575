"""`swiftpaste reindex` rebuilds the search documents from the snippets, from scratch."""

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import create_async_engine

from swiftpaste.infrastructure.persistence.tables import search_documents
from swiftpaste.main import reindex
from tests.conftest import Servers, scratch_database
from tests.consumers.conftest import SnippetTables, consumer_settings


@pytest.fixture(scope="module")
def empty_database(servers: Servers) -> Iterator[str]:
    """A database of its own: a rebuild covers every snippet there is."""
    with scratch_database(servers, "swiftpaste_reindex", migrated=True) as url:
        yield url


async def test_reindex_rebuilds_every_document_and_drops_stale_ones(
    servers: Servers,
    empty_database: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = consumer_settings(servers, empty_database)
    engine = create_async_engine(empty_database)
    try:
        tables = SnippetTables(engine)
        revised_twice = await tables.create("v1", title="notes")
        await tables.revise(revised_twice, "v2")
        await tables.revise(revised_twice, "v3", title="final notes")
        untouched = await tables.create("only version")
        removed = await tables.create("doomed")
        # What a lagging or broken indexer might have left behind.
        async with engine.begin() as connection:
            for stored, content in ((revised_twice, "v1"), (removed, "doomed")):
                await connection.execute(
                    insert(search_documents).values(
                        snippet_id=stored.id,
                        short_id=stored.short_id,
                        owner_id=stored.owner_id,
                        title="stale",
                        content=content,
                        visibility="public",
                        version=1,
                        snippet_created_at=datetime.now(UTC),
                        aggregate_version=1,
                    ),
                )
        await tables.delete(removed)

        monkeypatch.setattr(reindex, "configure_logging", lambda *_, **__: None)
        await asyncio.to_thread(reindex.run_reindex, settings)
        assert capsys.readouterr().out == "reindexed 2 snippets; removed 1 stale documents\n"

        async with engine.connect() as connection:
            rows = await connection.execute(select(search_documents))
            documents: dict[Any, Any] = {row.snippet_id: row for row in rows}
        assert set(documents) == {revised_twice.id, untouched.id}
        final = documents[revised_twice.id]
        assert (final.content, final.title, final.version, final.aggregate_version) == (
            "v3",
            "final notes",
            3,
            3,
        )
        assert documents[untouched.id].content == "only version"

        await asyncio.to_thread(reindex.run_reindex, settings)
        assert capsys.readouterr().out == "reindexed 2 snippets; removed 0 stale documents\n"
    finally:
        await engine.dispose()
