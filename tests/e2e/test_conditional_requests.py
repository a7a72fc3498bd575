"""Conditional requests: every read has an ETag and answers If-None-Match with 304; edits
and deletes with If-Match answer 412 once the snippet changed, even when two editors race."""

import asyncio
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Account, register_and_log_in

SNIPPETS = "/v1/api/snippet"


@pytest.fixture
async def owner(client: httpx.AsyncClient) -> Account:
    return await register_and_log_in(client)


@pytest.fixture
async def snippet(client: httpx.AsyncClient, owner: Account) -> dict[str, Any]:
    created = await client.post(
        f"{SNIPPETS}/", json={"title": "draft", "content": "v1"}, headers=owner.auth
    )
    assert created.status_code == 201
    body: dict[str, Any] = created.json()
    return body


async def etag_of(client: httpx.AsyncClient, short_id: str, suffix: str = "", **params: Any) -> str:
    read = await client.get(f"{SNIPPETS}/{short_id}{suffix}", params=params)
    assert read.status_code == 200
    return read.headers["etag"]


# --- reads: ETag and If-None-Match -----------------------------------------------------


async def test_a_read_and_the_cache_hit_after_it_carry_the_same_strong_etag(
    client: httpx.AsyncClient, snippet: dict[str, Any]
) -> None:
    first = await client.get(f"{SNIPPETS}/{snippet['short_id']}")  # a miss, then cached
    second = await client.get(f"{SNIPPETS}/{snippet['short_id']}")  # a hit
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert etag.endswith('"')
    assert second.headers["etag"] == etag
    assert second.content == first.content


async def test_forms_and_versions_have_etags_of_their_own(
    client: httpx.AsyncClient, snippet: dict[str, Any], owner: Account
) -> None:
    await client.put(f"{SNIPPETS}/{snippet['id']}", json={"content": "v2"}, headers=owner.auth)
    short_id = snippet["short_id"]
    tags = {
        await etag_of(client, short_id),
        await etag_of(client, short_id, "/raw"),
        await etag_of(client, short_id, version=1),
        await etag_of(client, short_id, "/raw", version=1),
    }
    assert len(tags) == 4
    assert await etag_of(client, short_id, version=2) == await etag_of(client, short_id)


@pytest.mark.parametrize("suffix", ["", "/raw"])
async def test_if_none_match_with_the_etag_answers_304_without_a_body(
    client: httpx.AsyncClient, snippet: dict[str, Any], suffix: str
) -> None:
    path = f"{SNIPPETS}/{snippet['short_id']}{suffix}"
    etag = (await client.get(path)).headers["etag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        unchanged = await client.get(path, headers={"If-None-Match": header})
        assert unchanged.status_code == 304, header
        assert unchanged.content == b""
        assert unchanged.headers["etag"] == etag
    changed = await client.get(path, headers={"If-None-Match": '"something-else"'})
    assert changed.status_code == 200
    assert changed.content


async def test_an_edit_changes_the_etag_so_the_next_read_is_sent_in_full(
    client: httpx.AsyncClient, snippet: dict[str, Any], owner: Account
) -> None:
    path = f"{SNIPPETS}/{snippet['short_id']}"
    etag = (await client.get(path)).headers["etag"]
    await client.put(f"{SNIPPETS}/{snippet['id']}", json={"title": "final"}, headers=owner.auth)
    after = await client.get(path, headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.json()["title"] == "final"
    assert after.headers["etag"] != etag


async def test_the_answer_to_an_edit_is_what_the_next_read_sends_with_its_etag(
    client: httpx.AsyncClient, snippet: dict[str, Any], owner: Account
) -> None:
    edited = await client.put(
        f"{SNIPPETS}/{snippet['id']}", json={"content": "v2"}, headers=owner.auth
    )
    read = await client.get(f"{SNIPPETS}/{snippet['short_id']}")
    assert edited.headers["etag"] == read.headers["etag"]
    assert edited.content == read.content


# --- writes: If-Match -------------------------------------------------------------------


async def test_an_edit_if_unchanged_is_applied(
    client: httpx.AsyncClient, snippet: dict[str, Any], owner: Account
) -> None:
    for suffix in ("", "/raw"):  # the tag of either form of the latest version will do
        etag = await etag_of(client, snippet["short_id"], suffix)
        edited = await client.put(
            f"{SNIPPETS}/{snippet['id']}",
            json={"content": f"edited after {suffix or 'json'}"},
            headers=owner.auth | {"If-Match": etag},
        )
        assert edited.status_code == 200, edited.text


@pytest.mark.parametrize(
    "if_match",
    ["stale", "weak", "older-version", "garbage"],
)
async def test_an_edit_against_anything_but_the_current_state_is_412_and_changes_nothing(
    client: httpx.AsyncClient, snippet: dict[str, Any], owner: Account, if_match: str
) -> None:
    short_id = snippet["short_id"]
    etag = await etag_of(client, short_id)
    await client.put(f"{SNIPPETS}/{snippet['id']}", json={"content": "v2"}, headers=owner.auth)
    header = {
        "stale": etag,
        "weak": f"W/{await etag_of(client, short_id)}",
        "older-version": await etag_of(client, short_id, version=1),
        "garbage": "not-a-tag",
    }[if_match]
    refused = await client.put(
        f"{SNIPPETS}/{snippet['id']}",
        json={"content": "v3"},
        headers=owner.auth | {"If-Match": header},
    )
    assert refused.status_code == 412, refused.text
    assert refused.json()["error"]["code"] == "precondition_failed"
    assert (await client.get(f"{SNIPPETS}/{short_id}")).json()["latest_version"] == 2


async def test_if_match_star_asks_only_that_the_snippet_exists(
    client: httpx.AsyncClient, snippet: dict[str, Any], owner: Account
) -> None:
    edited = await client.put(
        f"{SNIPPETS}/{snippet['id']}", json={"title": "t"}, headers=owner.auth | {"If-Match": "*"}
    )
    assert edited.status_code == 200


async def test_a_delete_if_unchanged_of_a_changed_snippet_is_412(
    client: httpx.AsyncClient, snippet: dict[str, Any], owner: Account
) -> None:
    etag = await etag_of(client, snippet["short_id"])
    await client.put(f"{SNIPPETS}/{snippet['id']}", json={"title": "moved"}, headers=owner.auth)
    path = f"{SNIPPETS}/{snippet['id']}"
    refused = await client.delete(path, headers=owner.auth | {"If-Match": etag})
    assert refused.status_code == 412
    assert (await client.get(f"{SNIPPETS}/{snippet['short_id']}")).status_code == 200
    current = await etag_of(client, snippet["short_id"])
    assert (
        await client.delete(path, headers=owner.auth | {"If-Match": current})
    ).status_code == 204


async def test_of_two_editors_racing_from_one_read_exactly_one_wins(
    client: httpx.AsyncClient, snippet: dict[str, Any], owner: Account
) -> None:
    etag = await etag_of(client, snippet["short_id"])
    edits = [
        client.put(
            f"{SNIPPETS}/{snippet['id']}",
            json={"content": f"editor {n}"},
            headers=owner.auth | {"If-Match": etag},
        )
        for n in range(2)
    ]
    answers = await asyncio.gather(*edits)
    assert sorted(answer.status_code for answer in answers) == [200, 412]
    (winner,) = [answer for answer in answers if answer.status_code == 200]
    latest = (await client.get(f"{SNIPPETS}/{snippet['short_id']}")).json()
    assert latest["latest_version"] == 2
    assert latest["current_version"]["content"] == winner.json()["current_version"]["content"]
