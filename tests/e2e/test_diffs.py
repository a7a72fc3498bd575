"""`GET /v1/api/snippet/{short_id}/diff`: the changes between two versions, under the
rules of reading each of them."""

from urllib.parse import parse_qs, urlparse

import httpx

from tests.e2e.conftest import Account, register_and_log_in
from tests.e2e.test_snippets import SNIPPETS, create


async def _revise(
    client: httpx.AsyncClient, owner: Account, snippet_id: str, **fields: str
) -> None:
    response = await client.put(f"{SNIPPETS}/{snippet_id}", json=fields, headers=owner.auth)
    assert response.status_code == 200, response.text


async def test_a_diff_names_the_versions_and_counts_the_lines(
    client: httpx.AsyncClient, account: Account
) -> None:
    snippet = await create(client, account, content="a\nb\nc\n")
    await _revise(client, account, snippet["id"], content="a\nB\nc\nd\n")
    response = await client.get(
        f"{SNIPPETS}/{snippet['short_id']}/diff", params={"from": 1, "to": 2}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "from": 1,
        "to": 2,
        "added": 2,
        "removed": 1,
        "unified": "--- v1\n+++ v2\n@@ -1,3 +1,4 @@\n a\n-b\n+B\n c\n+d\n",
    }
    assert int(response.headers["RateLimit-Remaining"]) >= 0


async def test_a_diff_needs_the_right_to_read_both_versions(
    client: httpx.AsyncClient, account: Account
) -> None:
    snippet = await create(client, account, content="public\n")
    await _revise(client, account, snippet["id"], content="private\n", visibility="private")
    await _revise(client, account, snippet["id"], content="private too\n")
    path = f"{SNIPPETS}/{snippet['short_id']}/diff"
    stranger = await register_and_log_in(client)
    for headers in ({}, stranger.auth):
        refused = await client.get(path, params={"from": 1, "to": 2}, headers=headers)
        assert refused.status_code == 404
        assert refused.json()["error"]["code"] == "snippet_not_found"
    owners = await client.get(path, params={"from": 1, "to": 2}, headers=account.auth)
    assert owners.json()["unified"].endswith("-public\n+private\n")
    # A share token opens one version: not enough for a diff with another.
    shared = await client.post(
        f"{SNIPPETS}/{snippet['id']}/share", params={"version": 2}, headers=account.auth
    )
    token = parse_qs(urlparse(shared.json()["share_url"]).query)["token"][0]
    with_token = await client.get(path, params={"from": 1, "to": 2, "token": token})
    assert with_token.status_code == 200  # version 1 is public, version 2 shared
    assert with_token.json()["unified"].endswith("-public\n+private\n")
    assert (await client.get(path, params={"from": 2, "to": 3, "token": token})).status_code == 404


async def test_a_diff_without_both_versions_is_refused(
    client: httpx.AsyncClient, account: Account
) -> None:
    snippet = await create(client, account)
    path = f"{SNIPPETS}/{snippet['short_id']}/diff"
    refused: list[dict[str, str | int]] = [
        {"from": 1},
        {"from": 0, "to": 1},
        {"from": "x", "to": 1},
    ]
    for params in refused:
        response = await client.get(path, params=params)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "validation_error"
    missing = await client.get(path, params={"from": 1, "to": 7}, headers=account.auth)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "version_not_found"
