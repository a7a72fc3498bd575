"""AsyncpgSnippetFinder against real PostgreSQL: what SqlaSnippetQueries.find answers, and
how it recovers when its connections go."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from swiftpaste.application.ports.snippets import SnippetLookupUnavailable
from swiftpaste.infrastructure.persistence.engine import make_session_factory
from swiftpaste.infrastructure.persistence.snippet_finder import (
    MAX_BATCH,
    AsyncpgSnippetFinder,
    SnippetFinderOptions,
)
from swiftpaste.infrastructure.persistence.snippet_queries import SqlaSnippetQueries
from swiftpaste.main.settings import Settings
from tests.conftest import Servers
from tests.e2e.conftest import make_settings

APPLICATION_NAME = "swiftpaste-finder-test"


def plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


@pytest.fixture
def settings(servers: Servers, database_url: str) -> Settings:
    return make_settings(servers, database_url)


def make_finder(settings: Settings, statement_timeout_ms: int = 2000) -> AsyncpgSnippetFinder:
    return AsyncpgSnippetFinder(
        SnippetFinderOptions(
            url=settings.database_url,
            max_connections=3,
            acquire_timeout_seconds=2.0,
            statement_timeout_ms=statement_timeout_ms,
            application_name=APPLICATION_NAME,
        )
    )


@pytest.fixture
async def finder(settings: Settings) -> AsyncIterator[AsyncpgSnippetFinder]:
    found = make_finder(settings)
    yield found
    await found.aclose()


async def opened_connections(database_url: str) -> int:
    connection = await asyncpg.connect(plain(database_url))
    try:
        opened: int = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
            APPLICATION_NAME,
        )
    finally:
        await connection.close()
    return opened


@pytest.fixture
async def queries(settings: Settings) -> AsyncIterator[SqlaSnippetQueries]:
    engine = create_async_engine(settings.database_url)
    yield SqlaSnippetQueries(make_session_factory(engine))
    await engine.dispose()


async def seed(database_url: str) -> dict[str, str]:
    """A user with a snippet in three versions (v2 private and shared), and a deleted one."""
    now = datetime.now(UTC).replace(microsecond=123456)
    user_id, live_id, deleted_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    live, deleted = uuid.uuid4().hex[:8], uuid.uuid4().hex[:8]
    connection = await asyncpg.connect(plain(database_url))
    try:
        await connection.execute(
            "INSERT INTO users (id, email, username, hashed_password) VALUES ($1, $2, $3, 'x')",
            user_id,
            f"{user_id}@example.com",
            f"u{user_id.hex[:12]}",
        )
        for snippet_id, short_id, deleted_at in ((live_id, live, None), (deleted_id, deleted, now)):
            await connection.execute(
                "INSERT INTO snippets (id, short_id, title, owner_id, latest_version, views,"
                " aggregate_version, created_at, updated_at, deleted_at)"
                " VALUES ($1, $2, 'tï\"tle', $3, 3, 7, 4, $4, $5, $6)",
                snippet_id,
                short_id,
                user_id,
                now - timedelta(days=1),
                now,
                deleted_at,
            )
            for number, visibility, expires in (
                (1, "public", None),
                (2, "private", now + timedelta(hours=1)),
                (3, "public", None),
            ):
                await connection.execute(
                    "INSERT INTO snippet_versions (snippet_id, version, content, visibility,"
                    " language, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    snippet_id,
                    number,
                    f"content {number}\n\t\u00e9",
                    visibility,
                    None if number == 1 else "python",
                    expires,
                    now - timedelta(hours=number),
                )
    finally:
        await connection.close()
    return {"live": live, "deleted": deleted}


async def test_every_lookup_is_what_the_sqlalchemy_queries_answer(
    settings: Settings, finder: AsyncpgSnippetFinder, queries: SqlaSnippetQueries
) -> None:
    short_ids = await seed(settings.database_url)
    for short_id in (*short_ids.values(), "zzzzzzzz"):
        for version in (None, 1, 2, 3, 4):
            lean = await finder.find(short_id, version)
            regular = await queries.find(short_id, version)
            assert lean == regular, (short_id, version)
    found = await finder.find(short_ids["live"], 2)
    assert found is not None
    assert set(found.snippet.versions) == {2}


async def test_lookups_at_once_share_the_few_connections(
    settings: Settings, finder: AsyncpgSnippetFinder
) -> None:
    short_ids = await seed(settings.database_url)
    found = await asyncio.gather(*(finder.find(short_ids["live"], None) for _ in range(40)))
    assert all(details is not None and details.snippet.latest_version == 3 for details in found)
    assert 1 <= await opened_connections(settings.database_url) <= 3


async def test_after_its_connections_are_killed_a_lookup_fails_once_then_reconnects(
    settings: Settings, finder: AsyncpgSnippetFinder
) -> None:
    short_ids = await seed(settings.database_url)
    assert await finder.find(short_ids["live"], None) is not None
    connection = await asyncpg.connect(plain(settings.database_url))
    try:
        await connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            APPLICATION_NAME,
        )
    finally:
        await connection.close()
    await asyncio.sleep(0.2)  # the termination reaches the client
    outcomes = []
    for _ in range(2):
        try:
            outcomes.append(await finder.find(short_ids["live"], None) is not None)
        except SnippetLookupUnavailable:
            outcomes.append(False)
    assert outcomes[-1] is True


async def test_an_unreachable_server_is_reported_as_unavailable(servers: Servers) -> None:
    finder = AsyncpgSnippetFinder(
        SnippetFinderOptions(
            url="postgresql+asyncpg://postgres@127.0.0.1:9/swiftpaste",
            max_connections=1,
            acquire_timeout_seconds=0.5,
            statement_timeout_ms=1000,
        )
    )
    try:
        with pytest.raises(SnippetLookupUnavailable, match="cannot connect"):
            await finder.find("aB3dE5fG", None)
    finally:
        await finder.aclose()


async def test_lookups_of_one_round_are_answered_together_each_as_alone(
    settings: Settings, finder: AsyncpgSnippetFinder, queries: SqlaSnippetQueries
) -> None:
    short_ids = await seed(settings.database_url)
    # Every kind of answer in one round: versions, the latest, a version that does not
    # exist, a deleted snippet, no snippet at all, and the same lookup twice.
    lookups = [
        (short_id, version)
        for short_id in (short_ids["live"], "zzzzzzzz", short_ids["deleted"])
        for version in (None, 2, 4)
    ]
    lookups += [(short_ids["live"], 1), (short_ids["live"], 1)]
    assert len(lookups) <= MAX_BATCH

    together = await asyncio.gather(*(finder.find(*lookup) for lookup in lookups))

    for lookup, found in zip(lookups, together, strict=True):
        assert found == await queries.find(*lookup), lookup
    assert sum(found is None for found in together) == 3  # the three of "zzzzzzzz"
    # One statement on one connection, where lookups one by one would have taken all three.
    assert await opened_connections(settings.database_url) == 1


async def test_more_lookups_than_a_batch_take_several(
    settings: Settings, finder: AsyncpgSnippetFinder
) -> None:
    short_ids = await seed(settings.database_url)
    versions = [1 + index % 3 for index in range(2 * MAX_BATCH + 1)]

    found = await asyncio.gather(*(finder.find(short_ids["live"], v) for v in versions))

    assert [details and set(details.snippet.versions) for details in found] == [
        {version} for version in versions
    ]
    assert await opened_connections(settings.database_url) == 3


async def test_a_failed_batch_fails_every_lookup_in_it_then_lookups_work_again(
    settings: Settings,
) -> None:
    short_ids = await seed(settings.database_url)
    finder = make_finder(settings, statement_timeout_ms=200)
    locker = await asyncpg.connect(plain(settings.database_url))
    try:
        assert await finder.find(short_ids["live"], None) is not None
        # The snippets table locked: the batch's statement runs into statement_timeout.
        locked = locker.transaction()
        await locked.start()
        await locker.execute("LOCK TABLE snippets IN ACCESS EXCLUSIVE MODE")
        outcomes = await asyncio.wait_for(
            asyncio.gather(
                *(finder.find(short_ids["live"], v) for v in (None, 1, 2, 3)),
                return_exceptions=True,
            ),
            timeout=5,
        )
        await locked.rollback()

        assert all(isinstance(outcome, SnippetLookupUnavailable) for outcome in outcomes)
        again = await asyncio.gather(*(finder.find(short_ids["live"], v) for v in (1, 2)))
        assert [details and set(details.snippet.versions) for details in again] == [{1}, {2}]
    finally:
        await locker.close()
        await finder.aclose()


async def test_when_the_lookup_leading_a_batch_is_cancelled_the_others_fail_at_once(
    settings: Settings, finder: AsyncpgSnippetFinder
) -> None:
    short_ids = await seed(settings.database_url)
    leader, *followers = (
        asyncio.create_task(finder.find(short_ids["live"], v)) for v in (None, 1, 2)
    )
    await asyncio.sleep(0)  # the first leads, waiting one turn; the others join its batch
    leader.cancel()

    outcomes = await asyncio.wait_for(asyncio.gather(*followers, return_exceptions=True), timeout=5)

    assert leader.cancelled()
    assert all(isinstance(outcome, SnippetLookupUnavailable) for outcome in outcomes)
    assert await finder.find(short_ids["live"], 3) is not None
