"""`swiftpaste seed --count N`: realistic snippets written in bulk, for benchmarks and demos.

The snippets of `seed_corpus`, with their versions and search documents, owned by new
accounts whose password is `SEED_PASSWORD`; written straight through SQL, without the API,
the outbox or the indexer, so no event is published. Running it again adds more.
"""

import asyncio
import os
import random
import secrets
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from swiftpaste.application.ports.consumers import SearchDocument
from swiftpaste.devstack.seed_corpus import seed_snippet
from swiftpaste.domain.snippets import SHORT_ID_ALPHABET, SHORT_ID_LENGTH
from swiftpaste.infrastructure.persistence.search_documents import document_values
from swiftpaste.infrastructure.persistence.tables import (
    search_documents,
    snippet_versions,
    snippets,
    users,
)
from swiftpaste.infrastructure.security.passwords import Argon2Parameters, Argon2PasswordHasher

SEED_PASSWORD = "seed-password-1"  # noqa: S105 - the documented password of seeded accounts
BATCH_SIZE = 1000
HISTORY_DAYS = 730
PRIVATE_SHARE = 0.10
SHARED_SHARE = 0.05  # public with a share window, half of them already over; the rest public


@dataclass(frozen=True, slots=True)
class SeedReport:
    snippets: int
    users: tuple[str, ...]
    seconds: float


@dataclass(frozen=True, slots=True)
class _Batch:
    run: str
    start: int
    count: int
    owners: tuple[uuid.UUID, ...]
    now: datetime


Rows = list[dict[str, Any]]


def _short_id(rng: random.Random) -> str:
    return "".join(rng.choice(SHORT_ID_ALPHABET) for _ in range(SHORT_ID_LENGTH))


def _build(batch: _Batch) -> tuple[Rows, Rows, Rows]:
    """The rows of one batch: snippets, versions, search documents (in a worker process)."""
    snippet_rows: Rows = []
    version_rows: Rows = []
    document_rows: Rows = []
    for index in range(batch.start, batch.start + batch.count):
        rng = random.Random(f"{batch.run}:{index}")  # noqa: S311 - test data
        seeded = seed_snippet(index)
        snippet_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        owner = batch.owners[rng.randrange(len(batch.owners))]
        created_at = batch.now - timedelta(seconds=rng.uniform(60, HISTORY_DAYS * 86400))
        draw = rng.random()
        visibility = "private" if draw < PRIVATE_SHARE else "public"
        expires_at = None
        if PRIVATE_SHARE <= draw < PRIVATE_SHARE + SHARED_SHARE:
            expires_at = batch.now + timedelta(hours=rng.choice((-48, -1, 1, 48)))
        snippet_rows.append(
            {
                "id": snippet_id,
                "short_id": _short_id(rng),
                "title": seeded.title,
                "owner_id": owner,
                "latest_version": 1,
                "views": int(rng.paretovariate(1.5)) - 1,
                "aggregate_version": 1,
                "created_at": created_at,
                "updated_at": created_at,
            },
        )
        version_rows.append(
            {
                "snippet_id": snippet_id,
                "version": 1,
                "content": seeded.content,
                "visibility": visibility,
                "language": seeded.language,
                "expires_at": expires_at,
                "created_at": created_at,
                # Past windows count as announced: the scheduler has nothing to catch up on.
                "expired_at": expires_at if expires_at and expires_at < batch.now else None,
            },
        )
        # What the indexer would write for it: the same values, the same tokenizer.
        document_rows.append(
            document_values(
                SearchDocument(
                    snippet_id=snippet_id,
                    short_id="",  # set once the short id is known to be free
                    owner_id=owner,
                    title=seeded.title,
                    content=seeded.content,
                    language=seeded.language,
                    visibility=visibility,
                    version=1,
                    expires_at=expires_at,
                    snippet_created_at=created_at,
                    aggregate_version=1,
                ),
            ),
        )
    return snippet_rows, version_rows, document_rows


async def _create_users(
    connection: AsyncConnection, password_hashing: Argon2Parameters, run: str, count: int
) -> list[tuple[uuid.UUID, str]]:
    # One password for all, so a benchmark can sign in as any owner.
    hashed = Argon2PasswordHasher(password_hashing).hash(SEED_PASSWORD)
    accounts = [(uuid.uuid4(), f"seed{run}_{n}") for n in range(count)]
    await connection.execute(
        insert(users),
        [
            {
                "id": user_id,
                "email": f"{name}@example.com",
                "username": name,
                "hashed_password": hashed,
                "is_verified": True,
            }
            for user_id, name in accounts
        ],
    )
    return accounts


async def _write(connection: AsyncConnection, rows: tuple[Rows, Rows, Rows]) -> int:
    snippet_rows, version_rows, document_rows = rows
    # A short id already taken (by an earlier run) drops that one snippet.
    written = await connection.execute(
        pg_insert(snippets)
        .on_conflict_do_nothing(index_elements=[snippets.c.short_id])
        .returning(snippets.c.id, snippets.c.short_id, sort_by_parameter_order=True),
        snippet_rows,
    )
    short_ids: dict[uuid.UUID, str] = {row[0]: row[1] for row in written}
    kept_versions = [row for row in version_rows if row["snippet_id"] in short_ids]
    kept_documents = [
        row | {"short_id": short_ids[row["snippet_id"]]}
        for row in document_rows
        if row["snippet_id"] in short_ids
    ]
    if kept_versions:
        await connection.execute(insert(snippet_versions), kept_versions)
        await connection.execute(insert(search_documents), kept_documents)
    return len(kept_versions)


def _batches(
    run: str, count: int, owners: tuple[uuid.UUID, ...], now: datetime
) -> Iterator[_Batch]:
    for start in range(0, count, BATCH_SIZE):
        yield _Batch(run, start, min(BATCH_SIZE, count - start), owners, now)


async def seed(
    database_url: str,
    password_hashing: Argon2Parameters,
    count: int,
    user_count: int | None = None,
    executor: Executor | None = None,
) -> SeedReport:
    """Write `count` snippets for `user_count` new accounts (default: one per 100 snippets)."""
    started = time.monotonic()
    run = secrets.token_hex(3)  # in the account names: a second run never collides
    engine = create_async_engine(
        database_url, connect_args={"server_settings": {"statement_timeout": "0"}}
    )
    written = 0
    try:
        async with engine.begin() as connection:
            accounts = await _create_users(
                connection, password_hashing, run, user_count or max(1, min(1000, count // 100))
            )
        owners = tuple(user_id for user_id, _ in accounts)
        now = datetime.now(UTC)
        batches = _batches(run, count, owners, now)
        results = executor.map(_build, batches) if executor else map(_build, batches)
        loop = asyncio.get_running_loop()
        iterator = iter(results)
        while True:
            # The next batch is built in the workers while this one is written.
            rows = await loop.run_in_executor(None, next, iterator, None)
            if rows is None:
                break
            async with engine.begin() as connection:
                written += await _write(connection, rows)
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            # Fresh statistics: the planner knows the new rows at once.
            await autocommit.execute(
                text("VACUUM (ANALYZE) users, snippets, snippet_versions, search_documents")
            )
    finally:
        await engine.dispose()
    return SeedReport(
        snippets=written,
        users=tuple(name for _, name in accounts),
        seconds=time.monotonic() - started,
    )


def run_seed(
    database_url: str,
    password_hashing: Argon2Parameters,
    count: int,
    user_count: int | None = None,
) -> None:
    """Seed with the contents built in worker processes, and print what was written."""
    workers = max(1, min(4, os.cpu_count() or 1))
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as executor:
        report = asyncio.run(seed(database_url, password_hashing, count, user_count, executor))
    sys.stdout.write(
        f"seeded {report.snippets} snippets for {len(report.users)} accounts in"
        f" {report.seconds:.1f} s; accounts {report.users[0]} … {report.users[-1]},"
        f" password {SEED_PASSWORD!r}\n"
    )
