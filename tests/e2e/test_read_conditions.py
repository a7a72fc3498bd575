"""Sharing the way people share, against real servers: unlisted links, burn after reading,
view limits, passwords and expiry presets, across every way of reading and every caller."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from redis.asyncio import Redis

from swiftpaste.main.api import make_api
from tests.conftest import Servers
from tests.e2e.conftest import Account, make_settings, register_and_log_in
from tests.e2e.test_snippets import SNIPPETS, create

PASSWORD = "open sesame"


@pytest.fixture
async def owner(client: httpx.AsyncClient) -> Account:
    return await register_and_log_in(client)


@pytest.fixture
async def stranger(client: httpx.AsyncClient) -> Account:
    return await register_and_log_in(client)


@pytest.fixture
async def redis(servers: Servers) -> AsyncIterator[Redis]:
    client = Redis.from_url(servers.endpoints.redis_url)
    yield client
    await client.aclose()


async def stored_version(database_url: str, snippet_id: str, version: int) -> asyncpg.Record:
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        row = await connection.fetchrow(
            "SELECT * FROM snippet_versions WHERE snippet_id = $1 AND version = $2",
            snippet_id,
            version,
        )
    finally:
        await connection.close()
    assert row is not None
    return row


def read_paths(snippet: dict[str, Any]) -> list[str]:
    """Every way of reading the latest version by its link: JSON, raw, by number."""
    base = f"{SNIPPETS}/{snippet['short_id']}"
    return [base, f"{base}/raw", f"{base}?version=1", f"{base}/raw?v=1"]


# --- unlisted ---------------------------------------------------------------------------


async def test_an_unlisted_snippet_is_read_by_anyone_with_the_link_and_cached(
    client: httpx.AsyncClient, owner: Account, stranger: Account, redis: Redis
) -> None:
    snippet = await create(client, owner, visibility="unlisted", content="hidden gem\n")
    for path in read_paths(snippet):
        for who in ({}, stranger.auth, owner.auth):
            response = await client.get(path, headers=who)
            assert response.status_code == 200, (path, response.text)
            assert "hidden gem" in response.text
    assert await redis.exists(f"snippet:{snippet['short_id']}:vlatest")
    listing = await client.get(f"{SNIPPETS}/", headers=owner.auth)
    (item,) = [i for i in listing.json()["items"] if i["id"] == snippet["id"]]
    assert item["current_version"]["visibility"] == "unlisted"
    versions = await client.get(f"{SNIPPETS}/{snippet['short_id']}/versions")
    assert [v["visibility"] for v in versions.json()["items"]] == ["unlisted"]


# --- burn after reading -----------------------------------------------------------------


@pytest.mark.parametrize("first_reader", ["anonymous", "stranger", "share-link"])
async def test_a_burned_snippet_is_read_once_then_answers_410_to_everyone(
    client: httpx.AsyncClient,
    owner: Account,
    stranger: Account,
    database_url: str,
    redis: Redis,
    first_reader: str,
) -> None:
    visibility = "private" if first_reader == "share-link" else "public"
    snippet = await create(
        client, owner, visibility=visibility, burn_after_reading=True, content="once\n"
    )
    assert snippet["current_version"]["burn_after_reading"] is True
    assert snippet["current_version"]["views_left"] == 1
    # The owner's reads do not burn it.
    for path in read_paths(snippet):
        assert (await client.get(path, headers=owner.auth)).status_code == 200
    path = f"{SNIPPETS}/{snippet['short_id']}"
    headers = stranger.auth if first_reader == "stranger" else {}
    if first_reader == "share-link":
        shared = await client.post(f"{SNIPPETS}/{snippet['id']}/share", headers=owner.auth)
        path = urlparse(shared.json()["share_url"])
        path = f"{SNIPPETS}/{snippet['short_id']}?{path.query}"
    first = await client.get(path, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["current_version"]["content"] == "once\n"
    assert first.json()["current_version"]["views_left"] == 0
    for again in (*read_paths(snippet), path):
        for who in ({}, stranger.auth, owner.auth):
            refused = await client.get(again, headers=who)
            assert refused.status_code == 410, (again, refused.text)
            assert refused.json()["error"]["code"] == "snippet_burned"
    row = await stored_version(database_url, snippet["id"], 1)
    assert (row["content"], row["burned_at"] is not None) == ("", True)
    assert await redis.keys(f"snippet:{snippet['short_id']}:v*") == []


async def test_of_many_concurrent_first_reads_exactly_one_gets_the_content(
    client: httpx.AsyncClient, owner: Account
) -> None:
    snippet = await create(client, owner, burn_after_reading=True, content="race\n")
    path = f"{SNIPPETS}/{snippet['short_id']}"
    answers = await asyncio.gather(*(client.get(path) for _ in range(20)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] + [410] * 19


# --- view limits ------------------------------------------------------------------------


async def test_fifty_concurrent_reads_of_ten_allowed_give_exactly_ten_answers(
    client: httpx.AsyncClient, owner: Account, database_url: str
) -> None:
    snippet = await create(client, owner, max_views=10, content="limited\n")
    path = f"{SNIPPETS}/{snippet['short_id']}"
    answers = await asyncio.gather(*(client.get(path) for _ in range(50)))
    ok = [answer for answer in answers if answer.status_code == 200]
    refused = [answer for answer in answers if answer.status_code != 200]
    assert len(ok) == 10
    assert {answer.status_code for answer in refused} == {410}
    assert {answer.json()["error"]["code"] for answer in refused} == {"view_limit_reached"}
    assert sorted(answer.json()["current_version"]["views_left"] for answer in ok) == list(
        range(10)
    )
    assert (await stored_version(database_url, snippet["id"], 1))["views_used"] == 10
    mine = await client.get(path, headers=owner.auth)  # the owner still reads it
    assert (mine.status_code, mine.json()["current_version"]["views_left"]) == (200, 0)


async def test_a_limit_set_on_a_cached_snippet_counts_from_the_next_read(
    client: httpx.AsyncClient, owner: Account, redis: Redis
) -> None:
    snippet = await create(client, owner, content="popular\n")
    path = f"{SNIPPETS}/{snippet['short_id']}"
    for _ in range(3):
        assert (await client.get(path)).status_code == 200
    assert await redis.exists(f"snippet:{snippet['short_id']}:vlatest")  # the cache is warm
    revised = await client.put(
        f"{SNIPPETS}/{snippet['id']}", json={"max_views": 2}, headers=owner.auth
    )
    assert revised.status_code == 200
    assert [(await client.get(path)).status_code for _ in range(3)] == [200, 200, 410]
    # The first version, read without conditions, is still cached and read.
    assert (await client.get(f"{path}?version=1")).status_code == 200


async def test_a_burn_set_on_a_cached_snippet_burns_the_next_read(
    client: httpx.AsyncClient, owner: Account
) -> None:
    snippet = await create(client, owner, content="was public\n")
    path = f"{SNIPPETS}/{snippet['short_id']}/raw"
    assert (await client.get(path)).status_code == 200
    await client.put(
        f"{SNIPPETS}/{snippet['id']}", json={"burn_after_reading": True}, headers=owner.auth
    )
    assert [(await client.get(path)).status_code for _ in range(2)] == [200, 410]


# --- passwords --------------------------------------------------------------------------


async def test_a_password_protects_every_way_of_reading_but_the_owners(
    client: httpx.AsyncClient, owner: Account, stranger: Account, redis: Redis
) -> None:
    snippet = await create(client, owner, password=PASSWORD, content="behind a door\n")
    assert snippet["current_version"]["password_protected"] is True
    assert "password" not in snippet["current_version"]
    for path in read_paths(snippet):
        missing = await client.get(path, headers=stranger.auth)
        assert missing.status_code == 401
        assert missing.json()["error"]["code"] == "password_required"
        wrong = await client.get(path, headers={"X-Snippet-Password": "not the one"})
        assert wrong.status_code == 403
        assert wrong.json()["error"]["code"] == "password_incorrect"
        right = await client.get(path, headers={"X-Snippet-Password": PASSWORD})
        assert right.status_code == 200
        assert "behind a door" in right.text
        assert (await client.get(path, headers=owner.auth)).status_code == 200
    assert await redis.keys(f"snippet:{snippet['short_id']}:v*") == []


async def test_wrong_passwords_are_throttled_per_snippet_and_address(
    servers: Servers, database_url: str
) -> None:
    settings = make_settings(
        servers,
        database_url,
        rate_limit_password_capacity=3,
        rate_limit_password_refill_per_second=0.001,
    )
    app = make_api(settings)
    async with (
        LifespanManager(app, startup_timeout=30, shutdown_timeout=30),
        connect(app, "198.18.3.1") as guesser,
        connect(app, "198.18.3.2") as friend,
    ):
        owner = await register_and_log_in(guesser)
        snippet = await create(guesser, owner, password=PASSWORD)
        other = await create(guesser, owner, password=PASSWORD)
        path = f"{SNIPPETS}/{snippet['short_id']}"
        wrong = {"X-Snippet-Password": "guess guess"}
        right = {"X-Snippet-Password": PASSWORD}
        assert [(await guesser.get(path, headers=wrong)).status_code for _ in range(3)] == [403] * 3
        throttled = await guesser.get(path, headers=right)
        assert throttled.status_code == 429
        assert int(throttled.headers["Retry-After"]) >= 1
        assert throttled.json()["error"]["details"]["policy"] == "password"
        assert (await friend.get(path, headers=right)).status_code == 200
        other_path = f"{SNIPPETS}/{other['short_id']}"
        assert (await guesser.get(other_path, headers=right)).status_code == 200


def connect(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 4321))
    return httpx.AsyncClient(transport=transport, base_url="http://swiftpaste.test")


# --- expiry presets and sharing ---------------------------------------------------------


async def test_an_expiry_preset_sets_the_end_of_the_version(
    client: httpx.AsyncClient, owner: Account
) -> None:
    before = datetime.now(UTC)
    snippet = await create(client, owner, expires_in="1h")
    expires_at = datetime.fromisoformat(snippet["current_version"]["expires_at"])
    assert before + timedelta(hours=1) <= expires_at <= datetime.now(UTC) + timedelta(hours=1)
    forever = await create(client, owner, expires_in="never")
    assert forever["current_version"]["expires_at"] is None


async def test_a_share_takes_a_preset_up_to_the_longest_window(
    client: httpx.AsyncClient, owner: Account
) -> None:
    snippet = await create(client, owner, visibility="private")
    share = f"{SNIPPETS}/{snippet['id']}/share"
    month = await client.post(share, json={"expires_in": "30d"}, headers=owner.auth)
    assert month.status_code == 201
    expires_at = datetime.fromisoformat(month.json()["expires_at"])
    assert expires_at > datetime.now(UTC) + timedelta(days=29)
    token = parse_qs(urlparse(month.json()["share_url"]).query)["token"][0]
    assert (await client.get(f"{SNIPPETS}/{snippet['short_id']}?v=1&token={token}")).is_success
    for body in (
        {"expires_in": "1y"},
        {"expires_in": "never"},
        {"expires_in": "1h", "ttl_seconds": 60},
    ):
        refused = await client.post(share, json=body, headers=owner.auth)
        assert refused.status_code == 422, body
        assert refused.json()["error"]["code"] in {"invalid_share", "validation_error"}


# --- revisions inherit ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("visibility", "unlisted", ("visibility", "unlisted")),
        ("expires_in", "1w", ("expires_at", "set")),
        ("burn_after_reading", True, ("burn_after_reading", True)),
        ("max_views", 7, ("max_views", 7)),
        ("password", PASSWORD, ("password_protected", True)),
    ],
)
async def test_a_revision_inherits_each_condition_it_does_not_set(
    client: httpx.AsyncClient, owner: Account, field: str, value: object, shown: tuple[str, Any]
) -> None:
    snippet = await create(client, owner, **{field: value})
    revised = await client.put(
        f"{SNIPPETS}/{snippet['id']}", json={"content": "v2\n"}, headers=owner.auth
    )
    assert revised.status_code == 200, revised.text
    current = revised.json()["current_version"]
    name, expected = shown
    assert current["version"] == 2
    if expected == "set":
        assert current[name] is not None
    else:
        assert current[name] == expected


async def test_a_revision_removes_a_condition_with_null(
    client: httpx.AsyncClient, owner: Account, stranger: Account
) -> None:
    snippet = await create(client, owner, password=PASSWORD, max_views=3)
    revised = await client.put(
        f"{SNIPPETS}/{snippet['id']}",
        json={"password": None, "max_views": None},
        headers=owner.auth,
    )
    current = revised.json()["current_version"]
    assert (current["password_protected"], current["max_views"], current["views_left"]) == (
        False,
        None,
        None,
    )
    assert (await client.get(f"{SNIPPETS}/{snippet['short_id']}", headers=stranger.auth)).is_success


# --- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"expires_in": "2d"},
        {"expires_in": "1h", "expires_at": "2099-01-01T00:00:00Z"},
        {"max_views": 0},
        {"max_views": 1_000_001},
        {"password": "short"},
        {"visibility": "secret"},
        {"burn_after_reading": "sometimes"},
    ],
    ids=[
        "unknown-preset",
        "both-expiries",
        "no-views",
        "too-many-views",
        "short-password",
        "unknown-visibility",
        "not-a-boolean",
    ],
)
async def test_bad_conditions_get_422_and_store_nothing(
    client: httpx.AsyncClient, owner: Account, fields: dict[str, Any]
) -> None:
    body = {"title": "bad", "content": "x", **fields}
    refused = await client.post(f"{SNIPPETS}/", json=body, headers=owner.auth)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "validation_error"
    listing = await client.get(f"{SNIPPETS}/", headers=owner.auth)
    assert listing.json()["total"] == 0
    snippet = await create(client, owner)
    edit = await client.put(f"{SNIPPETS}/{snippet['id']}", json=fields, headers=owner.auth)
    assert edit.status_code == 422
    assert (await client.get(f"{SNIPPETS}/{snippet['short_id']}")).json()["latest_version"] == 1


async def test_the_owners_list_shows_each_snippets_conditions(
    client: httpx.AsyncClient, owner: Account
) -> None:
    await create(client, owner, max_views=4, password=PASSWORD, burn_after_reading=False)
    listing = await client.get(f"{SNIPPETS}/", headers=owner.auth)
    (item,) = listing.json()["items"]
    current = item["current_version"]
    assert (current["max_views"], current["views_left"], current["password_protected"]) == (
        4,
        4,
        True,
    )
    assert current["burn_after_reading"] is False
