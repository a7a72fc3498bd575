"""Migrations: every step goes up and down cleanly, and they match the table definitions."""

import asyncio
from collections.abc import Iterator

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from swiftpaste.application.search.code_terms import (
    CONTENT_WEIGHT,
    TITLE_WEIGHT,
    DocumentTerms,
    index_terms,
)
from swiftpaste.infrastructure.persistence.tables import metadata
from swiftpaste.infrastructure.persistence.text_search import tsvector_text
from swiftpaste.main.migrations import (
    alembic_config,
    downgrade,
    forget_stream_positions,
    upgrade,
)
from tests.conftest import Servers, scratch_database


@pytest.fixture
def empty_database(servers: Servers) -> Iterator[str]:
    with scratch_database(servers, "swiftpaste_migrations") as url:
        yield url


def _table_names(url: str) -> set[str]:
    async def fetch() -> set[str]:
        connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            rows = await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
        finally:
            await connection.close()
        return {row["tablename"] for row in rows}

    return asyncio.run(fetch())


def test_upgrade_downgrade_upgrade(empty_database: str) -> None:
    upgrade(empty_database)
    assert {"users", "refresh_tokens", "alembic_version"} <= _table_names(empty_database)
    downgrade(empty_database, "base")
    assert _table_names(empty_database) <= {"alembic_version"}
    upgrade(empty_database)
    assert {"users", "refresh_tokens"} <= _table_names(empty_database)


def test_stairway_every_revision_steps_down_and_up(empty_database: str) -> None:
    script = ScriptDirectory.from_config(alembic_config(empty_database))
    revisions = list(reversed(list(script.walk_revisions())))
    for revision in revisions:
        upgrade(empty_database, revision.revision)
        downgrade(empty_database, revision.down_revision or "base")  # type: ignore[arg-type]
        upgrade(empty_database, revision.revision)


def test_models_and_migrations_do_not_drift(empty_database: str) -> None:
    upgrade(empty_database)

    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, metadata))

    async def run() -> list[object]:
        engine = create_async_engine(empty_database)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(diff)
        finally:
            await engine.dispose()

    assert asyncio.run(run()) == []


def test_forgetting_stream_positions_empties_consumer_offsets(empty_database: str) -> None:
    forget_stream_positions(empty_database)  # no table yet: nothing to do, no error
    upgrade(empty_database)

    async def offsets(statement: str) -> int:
        connection = await asyncpg.connect(
            empty_database.replace("postgresql+asyncpg://", "postgresql://")
        )
        try:
            await connection.execute(statement)
            return int(await connection.fetchval("SELECT count(*) FROM consumer_offsets"))
        finally:
            await connection.close()

    insert = (
        "INSERT INTO consumer_offsets (group_id, topic, partition, next_offset)"
        " VALUES ('swiftpaste-views', 'swiftpaste.snippet-views', 0, 42)"
    )
    assert asyncio.run(offsets(insert)) == 1
    forget_stream_positions(empty_database)
    assert asyncio.run(offsets("SELECT 1")) == 0


TITLE = "Fib memo: getUserById"
CONTENT = "x = self.get_user_by_id(42)\nuserbyid = parse_json(raw)  # " + "a" * 70 + "_tail"


def test_0005_rewrites_search_vectors_into_the_keyed_form_and_back(empty_database: str) -> None:
    upgrade(empty_database, "0004")
    glued = DocumentTerms()  # the form 0004 stored: joins glued, at their first part
    glued.add_text(TITLE, TITLE_WEIGHT)
    glued.add_text(CONTENT, CONTENT_WEIGHT)

    async def stored(statement: str = "SELECT 1", *arguments: object) -> set[str]:
        connection = await asyncpg.connect(
            empty_database.replace("postgresql+asyncpg://", "postgresql://")
        )
        try:
            await connection.execute(statement, *arguments)
            vector = await connection.fetchval(
                "SELECT tsvector_to_array(search_vector) FROM search_documents"
            )
        finally:
            await connection.close()
        return set(vector or ())

    asyncio.run(
        stored(
            """
            WITH account AS (
                INSERT INTO users (id, email, username, hashed_password)
                VALUES (gen_random_uuid(), 'a@example.com', 'ada', 'x') RETURNING id
            ), snippet AS (
                INSERT INTO snippets (id, short_id, title, owner_id, latest_version,
                                      created_at, updated_at)
                SELECT gen_random_uuid(), 'aB3dE5fG', $1, id, 1, now(), now() FROM account
                RETURNING id, owner_id
            )
            INSERT INTO search_documents (snippet_id, short_id, owner_id, title, content,
                visibility, version, snippet_created_at, aggregate_version, search_vector)
            SELECT id, 'aB3dE5fG', owner_id, $1, $2, 'public', 1, now(), 1, $3::tsvector
            FROM snippet
            """,
            TITLE,
            CONTENT,
            tsvector_text(glued),
        )
    )
    upgrade(empty_database, "0005")
    keyed = index_terms(TITLE, CONTENT).everything
    assert asyncio.run(stored()) == set(keyed.positions) | keyed.keys
    downgrade(empty_database, "0004")
    assert asyncio.run(stored()) == set(glued.positions)


def test_0007_downgrade_deletes_the_anonymous_snippets_the_older_schema_cannot_hold(
    empty_database: str,
) -> None:
    upgrade(empty_database, "0007")

    async def run(*statements: str) -> list[str]:
        connection = await asyncpg.connect(
            empty_database.replace("postgresql+asyncpg://", "postgresql://")
        )
        try:
            for statement in statements:
                await connection.execute(statement)
            rows = await connection.fetch("SELECT short_id FROM snippets ORDER BY short_id")
        finally:
            await connection.close()
        return [row["short_id"] for row in rows]

    insert = (
        "INSERT INTO snippets (id, short_id, title, owner_id, delete_token_digest,"
        " latest_version, created_at, updated_at)"
    )
    assert asyncio.run(
        run(
            "INSERT INTO users (id, email, username, hashed_password)"
            " VALUES ('00000000-0000-4000-8000-000000000001', 'a@example.com', 'ada', 'x')",
            f"{insert} VALUES (gen_random_uuid(), 'owned234', 't',"
            " '00000000-0000-4000-8000-000000000001', NULL, 1, now(), now())",
            f"{insert} VALUES (gen_random_uuid(), 'anon2345', 't', NULL, repeat('d', 64),"
            " 1, now(), now())",
        )
    ) == ["anon2345", "owned234"]
    with pytest.raises(asyncpg.CheckViolationError):
        asyncio.run(
            run(
                f"{insert} VALUES (gen_random_uuid(), 'neither2', 't', NULL, NULL, 1, now(), now())"
            )
        )
    downgrade(empty_database, "0006")
    assert asyncio.run(run()) == ["owned234"]
