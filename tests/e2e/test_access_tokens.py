"""Personal access tokens over HTTP: issued once, used on every route family, scoped,
revoked at once, stored as digests, never managing tokens themselves."""

import hashlib
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from swiftpaste.infrastructure.cache.client import RedisOptions, make_redis
from tests.conftest import Servers
from tests.e2e.conftest import (
    Account,
    bearer,
    issue_token,
    query_database,
    register_and_log_in,
)

SNIPPETS = "/v1/api/snippet"
TOKENS = "/users/me/tokens"


@pytest.fixture
async def owner(client: httpx.AsyncClient) -> Account:
    return await register_and_log_in(client)


@pytest.fixture
async def redis(servers: Servers) -> Any:
    client = make_redis(
        RedisOptions(
            url=servers.endpoints.redis_url,
            socket_timeout_seconds=1.0,
            retries=1,
            retry_backoff_seconds=0.05,
            max_connections=4,
        )
    )
    yield client
    await client.aclose()


async def create(
    client: httpx.AsyncClient, headers: dict[str, str], **fields: Any
) -> httpx.Response:
    body = {"title": "notes", "content": "print('hi')", **fields}
    return await client.post(f"{SNIPPETS}/", json=body, headers=headers)


# --- the lifecycle --------------------------------------------------------------------


async def test_a_token_is_shown_once_and_listed_without_its_secret(
    client: httpx.AsyncClient, owner: Account
) -> None:
    issued = await client.post(
        TOKENS,
        json={"name": "deploy", "scopes": ["snippets:read"], "expires_in_days": 30},
        headers=owner.auth,
    )
    assert issued.status_code == 201, issued.text
    assert issued.headers["cache-control"] == "no-store"
    body = issued.json()
    assert body["token"].startswith("sp_pat_")
    assert (body["name"], body["scopes"], body["last_used_at"]) == (
        "deploy",
        ["snippets:read"],
        None,
    )
    assert body["expires_at"] is not None

    listed = await client.get(TOKENS, headers=owner.auth)
    assert listed.status_code == 200
    (item,) = listed.json()["items"]
    assert item["id"] == body["id"]
    assert "token" not in item
    assert body["token"] not in listed.text


async def test_using_a_token_records_when_it_was_last_used(
    client: httpx.AsyncClient, owner: Account
) -> None:
    token = await issue_token(client, owner)
    assert (await client.get("/users/me", headers=bearer(token))).status_code == 200
    (item,) = (await client.get(TOKENS, headers=owner.auth)).json()["items"]
    assert item["last_used_at"] is not None


async def test_a_revoked_token_stops_working_with_the_next_request(
    client: httpx.AsyncClient, owner: Account
) -> None:
    token = await issue_token(client, owner)
    public = (await create(client, owner.auth)).json()
    path = f"{SNIPPETS}/{public['short_id']}"
    # Read twice: the second read is a cache hit, which must not outlive the token either.
    for _ in range(2):
        assert (await client.get(path, headers=bearer(token))).status_code == 200
    (item,) = (await client.get(TOKENS, headers=owner.auth)).json()["items"]
    revoked = await client.delete(f"{TOKENS}/{item['id']}", headers=owner.auth)
    assert revoked.status_code == 204
    for request in (
        client.get(path, headers=bearer(token)),
        client.get(f"{path}/raw", headers=bearer(token)),
        client.get("/users/me", headers=bearer(token)),
        create(client, bearer(token)),
    ):
        refused = await request
        assert refused.status_code == 401, refused.text
        assert refused.json()["error"]["code"] == "not_authenticated"
    assert (await client.get(TOKENS, headers=owner.auth)).json()["items"] == []


async def test_revoking_a_token_of_another_account_or_none_is_not_found(
    client: httpx.AsyncClient, owner: Account
) -> None:
    stranger = await register_and_log_in(client)
    await issue_token(client, owner)
    (item,) = (await client.get(TOKENS, headers=owner.auth)).json()["items"]
    refused = await client.delete(f"{TOKENS}/{item['id']}", headers=stranger.auth)
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "token_not_found"
    assert len((await client.get(TOKENS, headers=owner.auth)).json()["items"]) == 1


async def test_an_expired_token_is_refused(
    client: httpx.AsyncClient, owner: Account, database_url: str
) -> None:
    token = await issue_token(client, owner, days=1)
    digest = hashlib.sha256(token.encode()).hexdigest()
    # A day from now is too long to wait: the token's end is moved into the past.
    await query_database(
        database_url,
        "UPDATE personal_access_tokens SET expires_at = now() - interval '1 second'"
        " WHERE token_digest = $1",
        digest,
    )
    refused = await client.get("/users/me", headers=bearer(token))
    assert refused.status_code == 401
    assert "expired" in refused.json()["error"]["message"]


async def test_only_the_digest_of_a_token_is_stored(
    client: httpx.AsyncClient, owner: Account, database_url: str
) -> None:
    token = await issue_token(client, owner)
    rows = await query_database(
        database_url,
        "SELECT * FROM personal_access_tokens WHERE user_id = $1::uuid",
        owner.id,
    )
    (row,) = rows
    assert row["token_digest"] == hashlib.sha256(token.encode()).hexdigest()
    secret = token.removeprefix("sp_pat_")
    assert all(secret not in str(value) for value in dict(row).values())


# --- every route family -----------------------------------------------------------------


async def test_a_token_works_wherever_an_access_token_does(
    client: httpx.AsyncClient, owner: Account, redis: Redis
) -> None:
    headers = bearer(await issue_token(client, owner))
    me = await client.get("/users/me", headers=headers)
    assert (me.status_code, me.json()["id"]) == (200, owner.id)

    created = await create(client, headers, visibility="private")
    assert created.status_code == 201, created.text
    snippet = created.json()
    assert snippet["author"] == {"id": owner.id, "username": owner.username}
    path = f"{SNIPPETS}/{snippet['short_id']}"
    # Its private snippet, on the read path: the token reads as its user, on their budget.
    assert (await client.get(path, headers=headers)).status_code == 200
    assert await redis.exists(f"ratelimit:v2:read:user:{owner.id}")
    assert (await client.get(f"{path}/raw", headers=headers)).text == "print('hi')"
    assert (await client.get(f"{path}/versions", headers=headers)).status_code == 200
    listed = await client.get(f"{SNIPPETS}/", headers=headers)
    assert [item["id"] for item in listed.json()["items"]] == [snippet["id"]]
    searched = await client.get(f"{SNIPPETS}/search", params={"query": "hi"}, headers=headers)
    assert searched.status_code == 200

    revised = await client.put(f"{SNIPPETS}/{snippet['id']}", json={"title": "x"}, headers=headers)
    assert (revised.status_code, revised.json()["title"]) == (200, "x")
    shared = await client.post(f"{SNIPPETS}/{snippet['id']}/share", json={}, headers=headers)
    assert shared.status_code == 201
    deleted = await client.delete(f"{SNIPPETS}/{snippet['id']}", headers=headers)
    assert deleted.status_code == 204
    assert (await client.get(path, headers=headers)).status_code == 404


# --- scopes -----------------------------------------------------------------------------


async def test_a_read_only_token_cannot_write(client: httpx.AsyncClient, owner: Account) -> None:
    snippet = (await create(client, owner.auth)).json()
    headers = bearer(await issue_token(client, owner, "snippets:read"))
    assert (
        await client.get(f"{SNIPPETS}/{snippet['short_id']}", headers=headers)
    ).status_code == 200
    for request in (
        create(client, headers),
        client.put(f"{SNIPPETS}/{snippet['id']}", json={"title": "x"}, headers=headers),
        client.delete(f"{SNIPPETS}/{snippet['id']}", headers=headers),
        client.post(f"{SNIPPETS}/{snippet['id']}/share", json={}, headers=headers),
    ):
        refused = await request
        assert refused.status_code == 403, refused.text
        error = refused.json()["error"]
        assert (error["code"], error["message"]) == (
            "insufficient_scope",
            "this personal access token lacks the scope snippets:write",
        )
    assert (await client.get(f"{SNIPPETS}/{snippet['short_id']}")).json()["title"] == "notes"


async def test_a_write_only_token_cannot_read(client: httpx.AsyncClient, owner: Account) -> None:
    snippet = (await create(client, owner.auth)).json()
    headers = bearer(await issue_token(client, owner, "snippets:write"))
    path = f"{SNIPPETS}/{snippet['short_id']}"
    for request in (
        client.get(path, headers=headers),
        client.get(f"{path}/raw", headers=headers),
        client.get(f"{path}/versions", headers=headers),
        client.get(f"{SNIPPETS}/", headers=headers),
        client.get(f"{SNIPPETS}/search", params={"query": "hi"}, headers=headers),
    ):
        refused = await request
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "insufficient_scope"
    assert (await create(client, headers)).status_code == 201


async def test_a_token_cannot_manage_tokens_or_the_account(
    client: httpx.AsyncClient, owner: Account
) -> None:
    headers = bearer(await issue_token(client, owner))
    (item,) = (await client.get(TOKENS, headers=owner.auth)).json()["items"]
    for request in (
        client.post(TOKENS, json={"name": "more", "scopes": ["snippets:read"]}, headers=headers),
        client.get(TOKENS, headers=headers),
        client.delete(f"{TOKENS}/{item['id']}", headers=headers),
        client.patch("/users/me", json={"username": "taken_over"}, headers=headers),
        client.patch(
            "/users/me",
            json={"password": "a new password", "current_password": owner.password},
            headers=headers,
        ),
        client.post("/auth/jwt/logout", headers=headers),
    ):
        refused = await request
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "insufficient_scope"
    assert len((await client.get(TOKENS, headers=owner.auth)).json()["items"]) == 1
    assert (await client.get("/users/me", headers=owner.auth)).json()["username"] == owner.username


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": "x", "scopes": ["snippets:admin"]}, "invalid_token_request"),
        ({"name": "x", "scopes": ["account"]}, "invalid_token_request"),
        ({"name": "x", "scopes": []}, "validation_error"),
        ({"name": "", "scopes": ["snippets:read"]}, "validation_error"),
        ({"name": "   ", "scopes": ["snippets:read"]}, "invalid_token_request"),
        ({"name": "x", "scopes": ["snippets:read"], "expires_in_days": 0}, "validation_error"),
        ({"name": "x", "scopes": ["snippets:read"], "admin": True}, "validation_error"),
    ],
)
async def test_a_bad_token_request_is_refused_and_stores_nothing(
    client: httpx.AsyncClient, owner: Account, body: dict[str, Any], code: str
) -> None:
    refused = await client.post(TOKENS, json=body, headers=owner.auth)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == code
    assert (await client.get(TOKENS, headers=owner.auth)).json()["items"] == []


async def test_a_made_up_token_is_refused(client: httpx.AsyncClient) -> None:
    refused = await client.get("/users/me", headers=bearer("sp_pat_" + "x" * 43))
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
