"""Idempotency-Key on creates: a retry gets the first answer byte for byte and creates
nothing; another request under the same key is refused; concurrent ones create one snippet."""

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Account, query_database, register_and_log_in

SNIPPETS = "/v1/api/snippet"
KEPT_HEADERS = ("content-type", "content-length")


@pytest.fixture
async def owner(client: httpx.AsyncClient) -> Account:
    return await register_and_log_in(client)


def key() -> dict[str, str]:
    return {"Idempotency-Key": f"retry-{uuid.uuid4()}"}


async def create(
    client: httpx.AsyncClient, headers: dict[str, str], **fields: Any
) -> httpx.Response:
    body = {"title": "once", "content": "print('once')", **fields}
    return await client.post(f"{SNIPPETS}/", json=body, headers=headers)


async def count_titled(database_url: str, title: str) -> int:
    rows = await query_database(database_url, "SELECT id FROM snippets WHERE title = $1", title)
    return len(rows)


async def test_a_retry_gets_the_first_answer_byte_for_byte_and_creates_nothing(
    client: httpx.AsyncClient, owner: Account, database_url: str
) -> None:
    title = f"retried {uuid.uuid4()}"
    headers = owner.auth | key()
    first = await create(client, headers, title=title)
    again = await create(client, headers, title=title)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    for name in KEPT_HEADERS:
        assert again.headers[name] == first.headers[name]
    assert await count_titled(database_url, title) == 1
    listed = await client.get(f"{SNIPPETS}/", headers=owner.auth)
    assert [item["id"] for item in listed.json()["items"]] == [first.json()["id"]]


async def test_an_anonymous_retry_gets_its_delete_token_again_which_is_stored_sealed(
    client: httpx.AsyncClient, database_url: str
) -> None:
    headers = key()
    first = await create(client, headers)
    again = await create(client, headers)
    assert again.content == first.content
    token = first.json()["delete_token"]
    rows = await query_database(database_url, "SELECT * FROM idempotency_keys")
    assert rows
    assert all(token.encode() not in bytes(row["sealed_reply"]) for row in rows)
    assert all(headers["Idempotency-Key"] not in str(dict(row)) for row in rows)


async def test_the_same_key_with_another_body_is_refused(
    client: httpx.AsyncClient, owner: Account, database_url: str
) -> None:
    headers = owner.auth | key()
    title = f"first {uuid.uuid4()}"
    assert (await create(client, headers, title=title)).status_code == 201
    refused = await create(client, headers, title=title, content="something else")
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "idempotency_key_reused"
    assert await count_titled(database_url, title) == 1


async def test_keys_are_the_callers_own(client: httpx.AsyncClient, owner: Account) -> None:
    other = await register_and_log_in(client)
    shared_key = key()
    mine = await create(client, owner.auth | shared_key)
    theirs = await create(client, other.auth | shared_key)
    assert theirs.status_code == 201
    assert theirs.json()["id"] != mine.json()["id"]


async def test_without_a_key_every_create_is_new(client: httpx.AsyncClient, owner: Account) -> None:
    first, second = await create(client, owner.auth), await create(client, owner.auth)
    assert first.json()["id"] != second.json()["id"]


async def test_concurrent_requests_with_one_key_create_one_snippet(
    client: httpx.AsyncClient, owner: Account, database_url: str
) -> None:
    title = f"raced {uuid.uuid4()}"
    headers = owner.auth | key()
    answers = await asyncio.gather(*(create(client, headers, title=title) for _ in range(8)))
    assert {answer.status_code for answer in answers} == {201}
    assert len({answer.content for answer in answers}) == 1
    assert await count_titled(database_url, title) == 1


async def test_a_refused_create_claims_no_key(
    client: httpx.AsyncClient, owner: Account, database_url: str
) -> None:
    headers = owner.auth | key()
    title = f"fixed {uuid.uuid4()}"
    refused = await create(client, headers, title=title, visibility="secret")
    assert refused.status_code == 422
    assert (await create(client, headers, title=title)).status_code == 201
    assert await count_titled(database_url, title) == 1


@pytest.mark.parametrize("bad_key", ["", "x" * 256, "tab\there"])
async def test_a_malformed_key_is_refused(
    client: httpx.AsyncClient, owner: Account, database_url: str, bad_key: str
) -> None:
    title = f"malformed {uuid.uuid4()}"
    refused = await create(client, owner.auth | {"Idempotency-Key": bad_key}, title=title)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "validation_error"
    assert "Idempotency-Key" in error["message"]
    assert await count_titled(database_url, title) == 0
