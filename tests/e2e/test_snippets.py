"""The snippet API over HTTP: every endpoint and every access rule."""

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from tests.e2e.conftest import Account, register_and_log_in

SNIPPETS = "/v1/api/snippet"


async def create(client: httpx.AsyncClient, owner: Account, **fields: Any) -> dict[str, Any]:
    body = {"title": "fibonacci", "content": "def fib(n):\n    return n\n", **fields}
    response = await client.post(f"{SNIPPETS}/", json=body, headers=owner.auth)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def read(
    client: httpx.AsyncClient, short_id: str, who: Account | None = None, **params: Any
) -> httpx.Response:
    headers = who.auth if who else {}
    return await client.get(f"{SNIPPETS}/{short_id}", params=params, headers=headers)


@pytest.fixture
async def owner(client: httpx.AsyncClient) -> Account:
    return await register_and_log_in(client)


@pytest.fixture
async def stranger(client: httpx.AsyncClient) -> Account:
    return await register_and_log_in(client)


async def test_create_returns_the_full_snippet(client: httpx.AsyncClient, owner: Account) -> None:
    snippet = await create(client, owner, language="Python")
    assert len(snippet["short_id"]) == 8
    assert snippet["title"] == "fibonacci"
    assert snippet["author"] == {"id": owner.id, "username": owner.username}
    assert snippet["latest_version"] == 1
    assert snippet["views"] == 0
    version = snippet["current_version"]
    assert version["version"] == 1
    assert version["visibility"] == "public"
    assert version["language"] == "python"
    assert version["expires_at"] is None
    assert "email" not in str(snippet)


@pytest.mark.parametrize(
    "body",
    [
        {"title": "", "content": "x"},
        {"title": "x" * 1001, "content": "x"},
        {"content": "x"},
        {"title": "t"},
        {"title": "t", "content": "x", "visibility": "secret"},
        {"title": "t", "content": "x", "expires_at": "2001-01-01T00:00:00Z"},
        {"title": "t", "content": "x", "expires_at": "2099-01-01T00:00:00"},
        {"title": "t", "content": "x", "language": "x" * 33},
        {"title": "t", "content": "x", "unknown": 1},
        {"title": "   ", "content": "x"},
        {"title": "t", "content": ""},
    ],
)
async def test_create_rejects_bad_input(
    client: httpx.AsyncClient, owner: Account, body: dict[str, Any]
) -> None:
    response = await client.post(f"{SNIPPETS}/", json=body, headers=owner.auth)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["message"]
    mine = await client.get(f"{SNIPPETS}/", headers=owner.auth)
    assert mine.json()["total"] == 0


async def test_content_over_the_limit_is_413(client: httpx.AsyncClient, owner: Account) -> None:
    too_big = "é" * (256 * 1024 + 1)  # 2 bytes each in UTF-8: just over 512 KiB
    response = await client.post(
        f"{SNIPPETS}/", json={"title": "big", "content": too_big}, headers=owner.auth
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "content_too_large"


async def test_a_huge_body_is_refused_before_it_is_read(
    client: httpx.AsyncClient, owner: Account
) -> None:
    response = await client.post(
        f"{SNIPPETS}/",
        content=b"x" * (8 * 1024 * 1024),
        headers={**owner.auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert response.headers["X-Request-Id"]


async def test_public_snippet_is_readable_by_anyone(
    client: httpx.AsyncClient, owner: Account, stranger: Account
) -> None:
    snippet = await create(client, owner)
    for who in (None, owner, stranger):
        response = await read(client, snippet["short_id"], who)
        assert response.status_code == 200
        assert response.json()["current_version"]["content"] == "def fib(n):\n    return n\n"


async def test_private_snippet_is_hidden_from_everyone_but_the_owner(
    client: httpx.AsyncClient, owner: Account, stranger: Account
) -> None:
    snippet = await create(client, owner, visibility="private")
    assert (await read(client, snippet["short_id"], owner)).status_code == 200
    for who in (None, stranger):
        response = await read(client, snippet["short_id"], who)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "snippet_not_found"
    missing = await read(client, "zzzzzzzz")
    assert missing.json()["error"]["message"] == response.json()["error"]["message"]


async def test_unknown_short_ids_and_versions_are_404(
    client: httpx.AsyncClient, owner: Account
) -> None:
    snippet = await create(client, owner)
    for short_id in ("zzzzzzzz", "short", "../../etc", "0OlI1aaa"):
        assert (await read(client, short_id)).status_code == 404
    assert (await read(client, snippet["short_id"], version=2)).status_code == 404
    assert (await read(client, snippet["short_id"], owner, version=2)).status_code == 404
    assert (await read(client, snippet["short_id"], version=0)).status_code == 422
    assert (await read(client, snippet["short_id"], version=1, v=2)).status_code == 422


async def test_raw_returns_plain_text_under_the_same_rules(
    client: httpx.AsyncClient, owner: Account, stranger: Account
) -> None:
    public = await create(client, owner, content="<script>alert(1)</script>")
    raw = await client.get(f"{SNIPPETS}/{public['short_id']}/raw")
    assert raw.status_code == 200
    assert raw.text == "<script>alert(1)</script>"
    assert raw.headers["content-type"] == "text/plain; charset=utf-8"
    assert raw.headers["X-Content-Type-Options"] == "nosniff"
    private = await create(client, owner, visibility="private")
    hidden = await client.get(f"{SNIPPETS}/{private['short_id']}/raw", headers=stranger.auth)
    assert hidden.status_code == 404
    own = await client.get(f"{SNIPPETS}/{private['short_id']}/raw", headers=owner.auth)
    assert own.status_code == 200


async def test_revise_title_only_creates_no_version(
    client: httpx.AsyncClient, owner: Account
) -> None:
    snippet = await create(client, owner)
    response = await client.put(
        f"{SNIPPETS}/{snippet['id']}", json={"title": "renamed"}, headers=owner.auth
    )
    assert response.status_code == 200
    assert response.json()["title"] == "renamed"
    assert response.json()["latest_version"] == 1


async def test_revise_content_creates_the_next_version(
    client: httpx.AsyncClient, owner: Account
) -> None:
    snippet = await create(client, owner, language="python")
    response = await client.put(
        f"{SNIPPETS}/{snippet['id']}", json={"content": "v2"}, headers=owner.auth
    )
    assert response.status_code == 200
    body = response.json()
    assert body["latest_version"] == 2
    assert body["current_version"]["content"] == "v2"
    assert body["current_version"]["language"] == "python"
    first = await read(client, snippet["short_id"], version=1)
    assert first.json()["current_version"]["content"] == snippet["current_version"]["content"]
    latest = await read(client, snippet["short_id"])
    assert latest.json()["current_version"]["content"] == "v2"


async def test_private_stays_private_when_a_revision_omits_visibility(
    client: httpx.AsyncClient, owner: Account
) -> None:
    snippet = await create(client, owner, visibility="private")
    revised = await client.put(
        f"{SNIPPETS}/{snippet['id']}", json={"content": "still secret"}, headers=owner.auth
    )
    assert revised.json()["current_version"]["visibility"] == "private"
    assert (await read(client, snippet["short_id"])).status_code == 404


async def test_revise_to_public_and_back(
    client: httpx.AsyncClient, owner: Account, stranger: Account
) -> None:
    snippet = await create(client, owner, visibility="private")
    await client.put(
        f"{SNIPPETS}/{snippet['id']}", json={"visibility": "public"}, headers=owner.auth
    )
    assert (await read(client, snippet["short_id"], stranger)).status_code == 200
    # version 1 stays private
    assert (await read(client, snippet["short_id"], stranger, version=1)).status_code == 404


async def test_revise_needs_a_field_and_the_owner(
    client: httpx.AsyncClient, owner: Account, stranger: Account
) -> None:
    snippet = await create(client, owner)
    empty = await client.put(f"{SNIPPETS}/{snippet['id']}", json={}, headers=owner.auth)
    assert empty.status_code == 422
    foreign = await client.put(
        f"{SNIPPETS}/{snippet['id']}", json={"content": "hijacked"}, headers=stranger.auth
    )
    assert foreign.status_code == 403
    anonymous = await client.put(f"{SNIPPETS}/{snippet['id']}", json={"content": "x"})
    assert anonymous.status_code == 401
    current = await read(client, snippet["short_id"])
    assert current.json()["current_version"]["content"] != "hijacked"
    assert current.json()["latest_version"] == 1
    unknown = await client.put(
        f"{SNIPPETS}/00000000-0000-0000-0000-000000000000",
        json={"title": "x"},
        headers=owner.auth,
    )
    assert unknown.status_code == 404


async def test_delete_is_owner_only_and_hides_the_snippet_everywhere(
    client: httpx.AsyncClient, owner: Account, stranger: Account
) -> None:
    snippet = await create(client, owner)
    assert (await read(client, snippet["short_id"])).status_code == 200  # now cached
    refused = await client.delete(f"{SNIPPETS}/{snippet['id']}", headers=stranger.auth)
    assert refused.status_code == 403
    deleted = await client.delete(f"{SNIPPETS}/{snippet['id']}", headers=owner.auth)
    assert deleted.status_code == 204
    short_id = snippet["short_id"]
    for who in (None, owner, stranger):
        assert (await read(client, short_id, who)).status_code == 404
    assert (await client.get(f"{SNIPPETS}/{short_id}/raw", headers=owner.auth)).status_code == 404
    versions = await client.get(f"{SNIPPETS}/{short_id}/versions", headers=owner.auth)
    assert versions.status_code == 404
    again = await client.delete(f"{SNIPPETS}/{snippet['id']}", headers=owner.auth)
    assert again.status_code == 404
    mine = await client.get(f"{SNIPPETS}/", headers=owner.auth)
    assert short_id not in {item["short_id"] for item in mine.json()["items"]}


async def test_versions_lists_what_the_caller_may_see(
    client: httpx.AsyncClient, owner: Account, stranger: Account
) -> None:
    snippet = await create(client, owner, content="héllo")
    await client.put(
        f"{SNIPPETS}/{snippet['id']}",
        json={"content": "secret", "visibility": "private"},
        headers=owner.auth,
    )
    own = await client.get(f"{SNIPPETS}/{snippet['short_id']}/versions", headers=owner.auth)
    assert [item["version"] for item in own.json()["items"]] == [1, 2]
    assert own.json()["items"][0]["size_bytes"] == len("héllo".encode())
    theirs = await client.get(f"{SNIPPETS}/{snippet['short_id']}/versions", headers=stranger.auth)
    assert [item["version"] for item in theirs.json()["items"]] == [1]


async def test_share_sets_the_expiry_and_returns_an_absolute_link(
    client: httpx.AsyncClient, owner: Account
) -> None:
    snippet = await create(client, owner)
    before = datetime.now(UTC)
    response = await client.post(
        f"{SNIPPETS}/{snippet['id']}/share", json={"ttl_seconds": 120}, headers=owner.auth
    )
    assert response.status_code == 201
    body = response.json()
    assert body["version"] == 1
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert before + timedelta(seconds=118) <= expires_at <= before + timedelta(seconds=122)
    url = urlparse(body["share_url"])
    assert url.scheme in {"http", "https"}
    assert url.netloc
    # The link opens the version's page; a public version's carries no token.
    assert url.path == f"/{snippet['short_id']}/v/1"
    assert parse_qs(url.query) == {}
    read_back = await read(client, snippet["short_id"], v=1)
    assert read_back.json()["current_version"]["expires_at"] is not None


async def test_share_uses_the_default_ttl_and_checks_the_range(
    client: httpx.AsyncClient, owner: Account, stranger: Account
) -> None:
    snippet = await create(client, owner)
    default = await client.post(f"{SNIPPETS}/{snippet['id']}/share", headers=owner.auth)
    assert default.status_code == 201
    for ttl in (59, 30 * 86_400 + 1, -1):
        response = await client.post(
            f"{SNIPPETS}/{snippet['id']}/share", json={"ttl_seconds": ttl}, headers=owner.auth
        )
        assert response.status_code == 422, ttl
    foreign = await client.post(f"{SNIPPETS}/{snippet['id']}/share", headers=stranger.auth)
    assert foreign.status_code == 403
    unknown_version = await client.post(
        f"{SNIPPETS}/{snippet['id']}/share", params={"version": 9}, headers=owner.auth
    )
    assert unknown_version.status_code == 404


async def test_a_private_share_link_opens_exactly_that_version(
    client: httpx.AsyncClient, owner: Account, stranger: Account
) -> None:
    snippet = await create(client, owner, visibility="private", content="secret v1")
    await client.put(
        f"{SNIPPETS}/{snippet['id']}", json={"content": "secret v2"}, headers=owner.auth
    )
    shared = await client.post(
        f"{SNIPPETS}/{snippet['id']}/share", params={"version": 1}, headers=owner.auth
    )
    link = urlparse(shared.json()["share_url"])
    token = parse_qs(link.query)["token"][0]
    assert link.path == f"/{snippet['short_id']}/v/1"
    with_token = await read(client, snippet["short_id"], v=1, token=token)
    assert with_token.status_code == 200
    assert with_token.json()["current_version"]["content"] == "secret v1"
    raw = await client.get(f"{SNIPPETS}/{snippet['short_id']}/raw", params={"v": 1, "token": token})
    assert raw.text == "secret v1"
    # The token opens version 1 only, and nothing without it.
    assert (await read(client, snippet["short_id"], v=2, token=token)).status_code == 404
    assert (await read(client, snippet["short_id"], stranger, v=1)).status_code == 404
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert (await read(client, snippet["short_id"], v=1, token=forged)).status_code == 404
    assert (await read(client, snippet["short_id"], v=1, token="garbage")).status_code == 404


async def test_resharing_retires_the_old_private_link(
    client: httpx.AsyncClient, owner: Account
) -> None:
    snippet = await create(client, owner, visibility="private")
    first = await client.post(
        f"{SNIPPETS}/{snippet['id']}/share", json={"ttl_seconds": 600}, headers=owner.auth
    )
    old_token = parse_qs(urlparse(first.json()["share_url"]).query)["token"][0]
    await client.post(
        f"{SNIPPETS}/{snippet['id']}/share", json={"ttl_seconds": 1200}, headers=owner.auth
    )
    assert (await read(client, snippet["short_id"], token=old_token)).status_code == 404


async def test_expired_versions_are_410_except_for_the_owner(
    client: httpx.AsyncClient, owner: Account, stranger: Account
) -> None:
    expires_at = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    snippet = await create(client, owner, expires_at=expires_at)
    assert (await read(client, snippet["short_id"])).status_code == 200
    await _wait_past(expires_at)
    for who in (None, stranger):
        response = await read(client, snippet["short_id"], who)
        assert response.status_code == 410
        assert response.json()["error"]["code"] == "share_expired"
    assert (await read(client, snippet["short_id"], owner)).status_code == 200
    # The owner may re-share it, which opens it again.
    reshared = await client.post(f"{SNIPPETS}/{snippet['id']}/share", headers=owner.auth)
    assert reshared.status_code == 201
    assert (await read(client, snippet["short_id"])).status_code == 200


async def _wait_past(moment: str) -> None:
    import asyncio

    remaining = (datetime.fromisoformat(moment) - datetime.now(UTC)).total_seconds()
    await asyncio.sleep(max(0.0, remaining) + 0.2)


async def test_list_my_snippets_newest_first_with_pages(
    client: httpx.AsyncClient, owner: Account, stranger: Account
) -> None:
    created = [await create(client, owner, title=f"n{i}") for i in range(5)]
    await create(client, stranger)
    first = await client.get(f"{SNIPPETS}/", params={"page": 1, "size": 2}, headers=owner.auth)
    body = first.json()
    assert (body["total"], body["page"], body["size"], body["pages"]) == (5, 1, 2, 3)
    assert [item["title"] for item in body["items"]] == ["n4", "n3"]
    assert set(body["items"][0]) == {
        "id",
        "short_id",
        "title",
        "latest_version",
        "views",
        "created_at",
        "updated_at",
        "current_version",
    }
    assert body["items"][0]["current_version"]["version"] == 1
    last = await client.get(f"{SNIPPETS}/", params={"page": 3, "size": 2}, headers=owner.auth)
    assert [item["id"] for item in last.json()["items"]] == [created[0]["id"]]
    for params in ({"size": 101}, {"size": 0}, {"page": 0}):
        response = await client.get(f"{SNIPPETS}/", params=params, headers=owner.auth)
        assert response.status_code == 422
    assert (await client.get(f"{SNIPPETS}/")).status_code == 401


async def test_an_invalid_token_on_a_public_read_is_refused(
    client: httpx.AsyncClient, owner: Account
) -> None:
    snippet = await create(client, owner)
    response = await client.get(
        f"{SNIPPETS}/{snippet['short_id']}", headers={"Authorization": "Bearer nope"}
    )
    assert response.status_code == 401
