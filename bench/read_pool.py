"""CPU per snippet lookup: the API's asyncpg read pool against a SQLAlchemy session.

    uv run python -m bench.read_pool                 # 5 alternating rounds
    uv run python -m bench.read_pool --lookups 4000 --concurrency 8

Both run the read model's statement for one snippet (`AsyncpgSnippetQueries.find`'s);
the session does it as a request-scoped session would: a pooled connection checked out
with its ping, BEGIN, the statement, ROLLBACK. Measured as this process's CPU time, so
PostgreSQL's own work is not counted. Without DATABASE_URL it starts the embedded
servers in `.data/bench-pool/` and stops them on exit.
"""

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

if __package__ in {None, ""}:  # run as a script: make `bench` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from bench.harness import ROOT, free_port, say
from swiftpaste.infrastructure.persistence.engine import (
    EngineOptions,
    make_engine,
    make_session_factory,
)
from swiftpaste.infrastructure.persistence.read_pool import ReadPool, ReadPoolOptions
from swiftpaste.infrastructure.persistence.snippet_queries import AsyncpgSnippetQueries
from swiftpaste.main.migrations import upgrade

DATA_DIR = ROOT / ".data" / "bench-pool"
Lookup = Callable[[], Awaitable[object]]


@contextmanager
def database() -> Iterator[str]:
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    from swiftpaste.devstack.embedded import EmbeddedStack  # noqa: PLC0415 - dev only

    stack = EmbeddedStack(
        DATA_DIR,
        postgres_port=free_port(),
        redis_port=free_port(),
        kafka_port=free_port(),
        attached=True,
    )
    try:
        yield stack.up().database_url
    finally:
        stack.down()


async def seed(url: str) -> str:
    """One snippet with its author; its short id."""
    engine = make_engine(_engine_options(url))
    short_id = uuid.uuid4().hex[:8]
    async with engine.begin() as connection:
        user_id, snippet_id = uuid.uuid4(), uuid.uuid4()
        await connection.execute(
            text(
                "INSERT INTO users (id, email, username, hashed_password, is_active,"
                " is_superuser, is_verified, created_at) VALUES (:id, :email, :name, 'x',"
                " true, false, false, now())"
            ),
            {"id": user_id, "email": f"{short_id}@example.com", "name": f"u{short_id}"},
        )
        await connection.execute(
            text(
                "INSERT INTO snippets (id, short_id, title, owner_id, latest_version, views,"
                " created_at, updated_at) VALUES (:id, :short_id, 't', :owner, 1, 0, now(),"
                " now())"
            ),
            {"id": snippet_id, "short_id": short_id, "owner": user_id},
        )
        await connection.execute(
            text(
                "INSERT INTO snippet_versions (snippet_id, version, content, visibility,"
                " created_at) VALUES (:id, 1, :content, 'private', now())"
            ),
            {"id": snippet_id, "content": "x" * 1500},
        )
    await engine.dispose()
    return short_id


def _engine_options(url: str) -> EngineOptions:
    return EngineOptions(
        url=url,
        connect_timeout_seconds=3,
        statement_timeout_ms=5000,
        pool_size=10,
        max_overflow=10,
        slow_query_seconds=1,
    )


async def cpu_per_lookup(lookup: Lookup, lookups: int, concurrency: int) -> float:
    per_worker = lookups // concurrency

    async def worker(count: int) -> None:
        for _ in range(count):
            await lookup()

    await asyncio.gather(*(worker(20) for _ in range(concurrency)))  # warm up
    started = time.process_time()
    await asyncio.gather(*(worker(per_worker) for _ in range(concurrency)))
    return (time.process_time() - started) / (per_worker * concurrency) * 1e6


async def measure(url: str, lookups: int, concurrency: int, rounds: int) -> None:
    short_id = await seed(url)
    pool = await ReadPool.open(
        ReadPoolOptions(
            url=url,
            max_connections=concurrency,
            acquire_timeout_seconds=3,
            statement_timeout_ms=5000,
        )
    )
    queries = AsyncpgSnippetQueries(pool)
    engine = make_engine(_engine_options(url))
    sessions = make_session_factory(engine)
    details = text(
        "SELECT s.*, u.username, v.content FROM snippets s JOIN users u ON u.id = s.owner_id"
        " LEFT JOIN snippet_versions v ON v.snippet_id = s.id AND v.version = s.latest_version"
        " WHERE s.short_id = :short_id"
    )

    async def through_pool() -> object:
        return await queries.find(short_id, None)

    async def through_session() -> object:
        async with sessions() as session:
            return (await session.execute(details, {"short_id": short_id})).one_or_none()

    results: dict[str, list[float]] = {"read pool": [], "session": []}
    try:
        for round_ in range(1, rounds + 1):
            for name, lookup in (("read pool", through_pool), ("session", through_session)):
                cpu = await cpu_per_lookup(lookup, lookups, concurrency)
                results[name].append(cpu)
                say(f"round {round_}: {name:9s} {cpu:6.0f} µs CPU per lookup")
    finally:
        await pool.aclose()
        await engine.dispose()
    pool_cpu, session_cpu = results["read pool"], results["session"]
    ratios = [session / pool for pool, session in zip(pool_cpu, session_cpu, strict=True)]
    say(
        f"median: read pool {statistics.median(pool_cpu):.0f} µs, session "
        f"{statistics.median(session_cpu):.0f} µs; session ÷ pool, round by round: "
        + " ".join(f"{ratio:.2f}" for ratio in ratios)
        + f" (median {statistics.median(ratios):.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.read_pool", description=__doc__)
    parser.add_argument("--lookups", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with database() as url:
        upgrade(url)
        asyncio.run(measure(url, args.lookups, args.concurrency, args.rounds))


if __name__ == "__main__":
    main()
