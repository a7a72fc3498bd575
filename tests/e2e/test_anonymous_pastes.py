"""Anonymous pastes over HTTP: created without credentials, public, expiring, with a budget of
their own, deleted with a token shown once, never revised; off with ANONYMOUS_PASTES=false."""

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import (
    Account,
    ClientWith,
    bearer,
    issue_token,
    query_database,
    register_and_log_in,
)

SNIPPETS = "/v1/api/snippet"
WEEK = timedelta(days=7)


async def paste(client: httpx.AsyncClient, **fields: Any) -> httpx.Response:
    return await client.post(f"{SNIPPETS}/", json={"title": "anon", "content": "hello", **fields})


async def test_a_paste_without_credentials_is_anonymous_public_and_expiring(
    client: httpx.AsyncClient,
) -> None:
    before = datetime.now(UTC)
    created = await paste(client, language="Python")
    assert created.status_code == 201, created.text
    snippet = created.json()
    assert snippet["author"] is None
    assert snippet["delete_token"].startswith("sp_del_")
    version = snippet["current_version"]
    assert (version["visibility"], version["language"]) == ("public", "python")
    expires_at = datetime.fromisoformat(version["expires_at"])
    assert before + WEEK - timedelta(seconds=5) <= expires_at <= datetime.now(UTC) + WEEK

    read = await client.get(f"{SNIPPETS}/{snippet['short_id']}")
    assert read.status_code == 200
    assert read.json()["author"] is None
    assert "delete_token" not in read.json()


async def test_an_anonymous_paste_may_ask_to_expire_sooner(client: httpx.AsyncClient) -> None:
    soon = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    created = await paste(client, expires_at=soon.isoformat())
    assert created.status_code == 201, created.text
    assert datetime.fromisoformat(created.json()["current_version"]["expires_at"]) == soon


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"visibility": "private"}, "cannot be private"),
        ({"expires_at": "2099-01-01T00:00:00Z"}, "expires within 604800 seconds"),
    ],
)
async def test_a_private_or_long_lived_anonymous_paste_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, database_url: str, fields: dict[str, Any], message: str
) -> None:
    title = f"refused {message}"
    refused = await paste(client, title=title, **fields)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert (error["code"], message in error["message"]) == ("invalid_snippet", True)
    assert (
        await query_database(database_url, "SELECT 1 FROM snippets WHERE title = $1", title) == []
    )


async def test_the_delete_token_is_kept_as_a_digest_only(
    client: httpx.AsyncClient, database_url: str
) -> None:
    snippet = (await paste(client)).json()
    (row,) = await query_database(
        database_url, "SELECT * FROM snippets WHERE id = $1::uuid", snippet["id"]
    )
    token = snippet["delete_token"]
    assert row["owner_id"] is None
    assert row["delete_token_digest"] == hashlib.sha256(token.encode()).hexdigest()
    assert all(token not in str(value) for value in dict(row).values())


# --- the delete token ---------------------------------------------------------------------


async def test_the_right_delete_token_deletes_the_paste(client: httpx.AsyncClient) -> None:
    snippet = (await paste(client)).json()
    deleted = await client.delete(
        f"{SNIPPETS}/{snippet['id']}", headers={"X-Delete-Token": snippet["delete_token"]}
    )
    assert deleted.status_code == 204
    assert (await client.get(f"{SNIPPETS}/{snippet['short_id']}")).status_code == 404


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"X-Delete-Token": "sp_del_wrong"}, 403, "invalid_delete_token"),
        ({}, 401, "not_authenticated"),
    ],
    ids=["wrong", "missing"],
)
async def test_a_wrong_or_missing_delete_token_deletes_nothing(
    client: httpx.AsyncClient, headers: dict[str, str], status: int, code: str
) -> None:
    snippet = (await paste(client)).json()
    refused = await client.delete(f"{SNIPPETS}/{snippet['id']}", headers=headers)
    assert refused.status_code == status, refused.text
    assert refused.json()["error"]["code"] == code
    assert (await client.get(f"{SNIPPETS}/{snippet['short_id']}")).status_code == 200


async def test_a_delete_token_deletes_no_other_snippet(client: httpx.AsyncClient) -> None:
    owner = await register_and_log_in(client)
    owned = (
        await client.post(f"{SNIPPETS}/", json={"title": "t", "content": "c"}, headers=owner.auth)
    ).json()
    other = (await paste(client)).json()
    for target in (owned, (await paste(client)).json()):
        refused = await client.delete(
            f"{SNIPPETS}/{target['id']}", headers={"X-Delete-Token": other["delete_token"]}
        )
        assert refused.status_code == 403
        assert (await client.get(f"{SNIPPETS}/{target['short_id']}")).status_code == 200


async def test_nobody_revises_shares_or_deletes_an_anonymous_paste_with_an_account(
    client: httpx.AsyncClient,
) -> None:
    someone: Account = await register_and_log_in(client)
    snippet = (await paste(client)).json()
    path = f"{SNIPPETS}/{snippet['id']}"
    for request in (
        client.put(path, json={"content": "mine now"}, headers=someone.auth),
        client.post(f"{path}/share", json={}, headers=someone.auth),
        client.delete(path, headers=someone.auth),
    ):
        refused = await request
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "not_owner"
    read = (await client.get(f"{SNIPPETS}/{snippet['short_id']}")).json()
    assert (read["latest_version"], read["current_version"]["content"]) == (1, "hello")


# --- limits and the setting -------------------------------------------------------------


async def test_anonymous_pastes_spend_a_budget_of_their_own(client_with: ClientWith) -> None:
    async with client_with(
        rate_limit_anonymous_capacity=2, rate_limit_anonymous_refill_per_second=0.001
    ) as client:
        assert [(await paste(client)).status_code for _ in range(2)] == [201, 201]
        refused = await paste(client)
        assert refused.status_code == 429
        assert refused.json()["error"]["details"]["policy"] == "anonymous"
        # The address's other writes, and its signed-in users, have budgets of their own.
        owner = await register_and_log_in(client)
        token = await issue_token(client, owner, "snippets:write")
        signed_in = await client.post(
            f"{SNIPPETS}/", json={"title": "t", "content": "c"}, headers=bearer(token)
        )
        assert signed_in.status_code == 201


async def test_with_anonymous_pastes_off_a_create_needs_credentials(
    client_with: ClientWith,
) -> None:
    async with client_with(anonymous_pastes=False) as client:
        refused = await paste(client)
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "not_authenticated"
        assert refused.headers["www-authenticate"] == "Bearer"
        owner = await register_and_log_in(client)
        signed_in = await client.post(
            f"{SNIPPETS}/", json={"title": "t", "content": "c"}, headers=owner.auth
        )
        assert signed_in.status_code == 201


async def test_a_shorter_longest_expiry_is_the_default_of_anonymous_pastes(
    client_with: ClientWith,
) -> None:
    async with client_with(anonymous_max_expiry_seconds=3600) as client:
        created = (await paste(client)).json()
        expires_at = datetime.fromisoformat(created["current_version"]["expires_at"])
        assert expires_at <= datetime.now(UTC) + timedelta(hours=1)
