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

from swiftpaste.infrastructure.persistence.tables import metadata
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
