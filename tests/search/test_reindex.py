"""`swiftpaste reindex` rebuilds the search vectors from the database, as the indexer cuts them."""

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import create_async_engine

from swiftpaste.infrastructure.persistence.tables import search_documents
from swiftpaste.main.reindex import reindex
from swiftpaste.main.settings import Settings
from tests.search.conftest import SearchClient, unique_word


async def test_reindex_makes_lost_vectors_searchable_again_exactly_as_indexed(
    search: SearchClient, search_settings: Settings
) -> None:
    owner = await search.account()
    tag = unique_word("x")
    snippet = await search.create(owner, f"{tag} rebuilt", "def get_user_by_id(user_id): ...")
    await search.until_total(f"{tag} getUser", 1)
    vectors = select(search_documents.c.title_vector, search_documents.c.search_vector).where(
        search_documents.c.snippet_id == snippet["id"]
    )
    engine = create_async_engine(search_settings.database_url)
    try:
        async with engine.begin() as connection:
            indexed = tuple((await connection.execute(vectors)).one())
            # What a restore from an old backup, or a bug, might leave behind.
            await connection.execute(
                update(search_documents)
                .where(search_documents.c.snippet_id == snippet["id"])
                .values(title_vector=text("''::tsvector"), search_vector=text("''::tsvector"))
            )
        assert (await search.find(tag))["total"] == 0

        report = await reindex(search_settings, page_size=7)

        assert report.written >= 1
        assert await search.short_ids(f"{tag} getUser") == [snippet["short_id"]]
        async with engine.connect() as connection:
            assert tuple((await connection.execute(vectors)).one()) == indexed
    finally:
        await engine.dispose()
