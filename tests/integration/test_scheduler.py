"""The scheduler against real PostgreSQL: every ended share window announced exactly once."""

import asyncio
import json
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from dishka import AsyncContainer
from prometheus_client import REGISTRY

from swiftpaste.main.scheduler import (
    expire_due_shares,
    make_scheduler_container,
    run_scheduler_loop,
)
from swiftpaste.main.settings import Settings
from tests.conftest import (
    PROJECT_ROOT,
    Servers,
    eventually,
    free_port,
    scratch_database,
    with_database,
)
from tests.e2e.conftest import Account, make_settings, register_and_log_in
from tests.integration.test_relay import (
    SNIPPETS,
    api_client,
    create_snippet,
    sql,
    unique_topic,
)


@pytest.fixture(scope="module")
def scheduler_database(servers: Servers) -> Iterator[str]:
    with scratch_database(servers, "swiftpaste_scheduler", migrated=True) as url:
        yield url


@pytest.fixture(scope="module")
def settings(servers: Servers, scheduler_database: str) -> Settings:
    return make_settings(
        servers,
        scheduler_database,
        kafka_snippet_events_topic=unique_topic(),
        scheduler_interval_seconds=0.05,
        scheduler_batch_size=4,
    )


@pytest.fixture(scope="module")
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(settings) as http:
        yield http


@pytest.fixture(scope="module")
async def owner(client: httpx.AsyncClient) -> Account:
    return await register_and_log_in(client)


@pytest.fixture
async def container(settings: Settings) -> AsyncIterator[AsyncContainer]:
    scheduler = make_scheduler_container(settings)
    yield scheduler
    await scheduler.close()


async def share(
    client: httpx.AsyncClient, owner: Account, snippet_id: str, version: int | None = None
) -> dict[str, Any]:
    params = {"version": version} if version is not None else {}
    response = await client.post(
        f"{SNIPPETS}/{snippet_id}/share", params=params, json={}, headers=owner.auth
    )
    assert response.status_code == 201, response.text
    shared: dict[str, Any] = response.json()
    return shared


async def end_share_windows(database_url: str, snippet_ids: list[str]) -> None:
    """Move every share window of these snippets one minute into the past."""
    await sql(
        database_url,
        "UPDATE snippet_versions SET expires_at = now() - interval '1 minute'"
        " WHERE snippet_id = ANY($1::uuid[]) AND expires_at IS NOT NULL",
        snippet_ids,
    )


async def expired_events(database_url: str, snippet_id: str) -> list[dict[str, Any]]:
    rows = await sql(
        database_url,
        "SELECT message FROM outbox WHERE event_type = 'snippet.expired' AND message_key = $1"
        " ORDER BY id",
        snippet_id,
    )
    return [json.loads(row["message"]) for row in rows]


async def versions(database_url: str, snippet_id: str) -> dict[int, Any]:
    rows = await sql(
        database_url,
        "SELECT version, expires_at, expired_at FROM snippet_versions WHERE snippet_id = $1",
        uuid.UUID(snippet_id),
    )
    return {row["version"]: row for row in rows}


def metric(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


async def test_each_ended_share_window_is_announced_once(
    client: httpx.AsyncClient, owner: Account, settings: Settings, container: AsyncContainer
) -> None:
    database = settings.database_url
    snippet = await create_snippet(client, owner, title="two shared versions")
    revised = await client.put(
        f"{SNIPPETS}/{snippet['id']}",
        json={"content": "second", "visibility": "private"},
        headers=owner.auth,
    )
    assert revised.status_code == 200, revised.text
    await share(client, owner, snippet["id"], version=1)
    await share(client, owner, snippet["id"], version=2)
    still_open = await create_snippet(client, owner, title="still shared")
    await share(client, owner, still_open["id"])
    await end_share_windows(database, [snippet["id"]])
    expired_before = metric("scheduler_expired_versions_total")

    assert await expire_due_shares(container, settings.scheduler_batch_size) >= 2
    assert await expire_due_shares(container, settings.scheduler_batch_size) == 0

    events = await expired_events(database, snippet["id"])
    stored = await versions(database, snippet["id"])
    assert [event["payload"]["version"] for event in events] == [1, 2]
    for event in events:
        version = stored[event["payload"]["version"]]
        assert version["expired_at"] is not None
        assert datetime.fromisoformat(event["payload"]["expires_at"]) == version["expires_at"]
        assert event["snippet_id"] == snippet["id"]
        assert event["payload"]["short_id"] == snippet["short_id"]
        assert event["payload"]["latest_version"] == 2
    assert [event["payload"]["visibility"] for event in events] == ["public", "private"]
    # Created, revised, shared twice, then the two expiries: one aggregate version each.
    assert [event["aggregate_version"] for event in events] == [5, 6]
    assert metric("scheduler_expired_versions_total") >= expired_before + 2

    assert await expired_events(database, still_open["id"]) == []
    assert (await versions(database, still_open["id"]))[1]["expired_at"] is None


async def test_two_schedulers_announce_each_expiry_exactly_once(
    client: httpx.AsyncClient, owner: Account, settings: Settings
) -> None:
    snippet_ids = []
    for n in range(24):
        snippet = await create_snippet(client, owner, title=f"raced {n}")
        await share(client, owner, snippet["id"])
        snippet_ids.append(snippet["id"])
    await end_share_windows(settings.database_url, snippet_ids)

    first, second = make_scheduler_container(settings), make_scheduler_container(settings)
    try:
        by_first, by_second = await asyncio.gather(
            expire_due_shares(first, 4), expire_due_shares(second, 4)
        )
        assert by_first + by_second == 24
        assert by_first > 0
        assert by_second > 0

        # The same with both loops running side by side: nothing more to announce.
        runs_before = metric("scheduler_runs_total")
        stop = asyncio.Event()
        loops = asyncio.gather(
            run_scheduler_loop(first, settings, stop), run_scheduler_loop(second, settings, stop)
        )

        async def both_ticked_twice() -> bool:
            return metric("scheduler_runs_total") >= runs_before + 4

        try:
            await eventually(both_ticked_twice, within=10, what="both scheduler loops ticked")
        finally:
            stop.set()
            await asyncio.wait_for(loops, 5)
    finally:
        await first.close()
        await second.close()

    for snippet_id in snippet_ids:
        events = await expired_events(settings.database_url, snippet_id)
        assert len(events) == 1, snippet_id
        assert len({event["event_id"] for event in events}) == 1


async def test_a_new_share_window_is_announced_again_when_it_ends(
    client: httpx.AsyncClient, owner: Account, settings: Settings, container: AsyncContainer
) -> None:
    database = settings.database_url
    snippet = await create_snippet(client, owner, title="shared twice")
    await share(client, owner, snippet["id"])
    await end_share_windows(database, [snippet["id"]])
    await expire_due_shares(container, settings.scheduler_batch_size)
    first_end = (await versions(database, snippet["id"]))[1]["expires_at"]

    await share(client, owner, snippet["id"])
    reopened = (await versions(database, snippet["id"]))[1]
    assert reopened["expired_at"] is None
    assert reopened["expires_at"] > first_end
    await expire_due_shares(container, settings.scheduler_batch_size)
    assert len(await expired_events(database, snippet["id"])) == 1  # the new window is open

    await end_share_windows(database, [snippet["id"]])
    await expire_due_shares(container, settings.scheduler_batch_size)
    events = await expired_events(database, snippet["id"])
    assert len(events) == 2
    assert [event["payload"]["version"] for event in events] == [1, 1]
    assert events[0]["event_id"] != events[1]["event_id"]
    assert events[0]["aggregate_version"] < events[1]["aggregate_version"]


async def test_a_deleted_snippet_announces_nothing(
    client: httpx.AsyncClient, owner: Account, settings: Settings, container: AsyncContainer
) -> None:
    database = settings.database_url
    snippet = await create_snippet(client, owner, title="deleted while shared")
    await share(client, owner, snippet["id"])
    deleted = await client.delete(f"{SNIPPETS}/{snippet['id']}", headers=owner.auth)
    assert deleted.status_code == 204
    await end_share_windows(database, [snippet["id"]])

    await expire_due_shares(container, settings.scheduler_batch_size)
    assert await expired_events(database, snippet["id"]) == []
    assert (await versions(database, snippet["id"]))[1]["expired_at"] is None


async def test_the_loop_survives_database_errors_and_stops_promptly(
    servers: Servers, settings: Settings
) -> None:
    missing = with_database(settings.database_url, f"missing_{uuid.uuid4().hex[:8]}")
    broken = settings.model_copy(update={"database_url": missing})
    container = make_scheduler_container(broken)
    errors_before = metric("scheduler_errors_total")
    stop = asyncio.Event()
    loop = asyncio.create_task(run_scheduler_loop(container, broken, stop))
    try:

        async def failed_twice() -> bool:
            return metric("scheduler_errors_total") >= errors_before + 2

        await eventually(
            failed_twice, within=10, what="the scheduler retried after a database error"
        )
        assert not loop.done()
    finally:
        stop.set()
        started = time.monotonic()
        await asyncio.wait_for(loop, 5)
        await container.close()
    assert time.monotonic() - started < 2


async def test_the_scheduler_command_announces_expiries_and_stops_on_sigterm(
    client: httpx.AsyncClient, owner: Account, settings: Settings
) -> None:
    snippet = await create_snippet(client, owner, title="announced by the process")
    await share(client, owner, snippet["id"])
    await end_share_windows(settings.database_url, [snippet["id"]])
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "REDIS_", "KAFKA_", "SCHEDULER_", "ENVIRONMENT"))
    } | {
        "ENVIRONMENT": "test",
        "JWT_SECRET": "test-secret-" + "x" * 40,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "KAFKA_SNIPPET_EVENTS_TOPIC": settings.kafka_snippet_events_topic,
        "SCHEDULER_INTERVAL_SECONDS": "0.2",
        "SCHEDULER_HTTP_PORT": str(port),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "swiftpaste",
        "scheduler",
        env=env,
        cwd=PROJECT_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2) as http:

            async def ready() -> bool:
                try:
                    return (await http.get("/ready")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, within=30, what="the scheduler answers ready", interval=0.2)

            async def announced() -> bool:
                return len(await expired_events(settings.database_url, snippet["id"])) == 1

            await eventually(
                announced, within=10, what="the scheduler process announced the expiry"
            )
            metrics = (await http.get("/metrics")).text
            assert "scheduler_expired_versions_total 1.0" in metrics
            assert "scheduler_runs_total" in metrics
        process.send_signal(signal.SIGTERM)
        raw, _ = await asyncio.wait_for(process.communicate(), 15)
    finally:
        if process.returncode is None:
            process.kill()
            await process.communicate()
    assert process.returncode == 0, raw.decode()
