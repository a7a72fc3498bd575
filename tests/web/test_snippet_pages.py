"""A snippet's pages: the highlighted version, versions, raw links, access rules,
conditional answers, the owner's controls and what the cache keeps."""

import asyncio
import re
from datetime import UTC, datetime, timedelta

import httpx
from redis.asyncio import Redis

from tests.conftest import Servers
from tests.e2e.conftest import Account
from tests.web.conftest import Browser

SNIPPETS = "/v1/api/snippet"


async def api_create(api: httpx.AsyncClient, owner: Account, **fields: object) -> dict[str, str]:
    body = {"title": "fibonacci", "content": "def fib(n):\n    return n\n", **fields}
    response = await api.post(f"{SNIPPETS}/", json=body, headers=owner.auth)
    assert response.status_code == 201, response.text
    created: dict[str, str] = response.json()
    return created


async def test_a_created_snippet_has_a_highlighted_page(browser: Browser) -> None:
    username = await browser.sign_up()
    short_id = await browser.create(title="fib & friends", language="python")
    page = await browser.get(f"/{short_id}")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    html = page.text
    assert "<h1>fib &amp; friends</h1>" in html
    assert f"<strong>{username}</strong>" in html
    assert "version 1 of 1" in html
    assert '<span class="language">Python</span>' in html
    # Highlighted by Pygments, each line linkable.
    assert '<span class="k">def</span>' in html
    assert '<span id="L-1">' in html
    assert '<a href="#L-2" aria-label="line 2">2</a>' in html
    assert f'href="{SNIPPETS}/{short_id}/raw?v=1"' in html
    assert 'download="' + short_id + '.py"' in html


async def test_pages_carry_a_strict_policy_and_may_not_be_framed(browser: Browser) -> None:
    await browser.sign_up()
    short_id = await browser.create()
    for path in (f"/{short_id}", "/", "/signin", f"/{short_id}/v/1", "/nothing8"):
        page = await browser.get(path)
        policy = page.headers["content-security-policy"]
        assert "default-src 'none'" in policy, path
        assert "script-src 'self'" in policy, path
        assert "frame-ancestors 'none'" in policy, path
        assert "unsafe-inline" not in policy, path
        assert page.headers["x-frame-options"] == "DENY", path
        assert page.headers["x-content-type-options"] == "nosniff", path
        assert "<script>" not in page.text, path
        assert "style=" not in page.text, path


async def test_the_embed_alone_may_be_framed_by_other_sites(browser: Browser) -> None:
    await browser.sign_up()
    short_id = await browser.create(language="python")
    embed = await browser.get(f"/{short_id}/embed", params={"v": 1})
    assert embed.status_code == 200
    assert "frame-ancestors *" in embed.headers["content-security-policy"]
    assert "x-frame-options" not in embed.headers
    assert '<span class="k">def</span>' in embed.text
    assert 'target="_blank" rel="noopener"' in embed.text
    assert "Sign out" not in embed.text  # read anonymously: no session in a frame


async def test_a_public_page_answers_304_to_the_copy_the_browser_has(browser: Browser) -> None:
    await browser.sign_up()
    short_id = await browser.create()
    first = await browser.get(f"/{short_id}/v/1")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    again = await browser.get(f"/{short_id}/v/1", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    changed = await browser.get(f"/{short_id}/v/1", headers={"If-None-Match": '"other"'})
    assert changed.status_code == 200


async def test_a_private_page_is_never_kept_and_has_no_etag(
    browser: Browser, stranger: Browser
) -> None:
    await browser.sign_up()
    short_id = await browser.create(visibility="private")
    mine = await browser.get(f"/{short_id}")
    assert mine.status_code == 200
    assert '<span class="badge">private</span>' in mine.text
    assert "etag" not in mine.headers
    assert mine.headers["cache-control"] == "private, no-store"
    theirs = await stranger.get(f"/{short_id}")
    assert theirs.status_code == 404
    assert "Snippet not found" in theirs.text
    assert "def fib" not in theirs.text


async def test_the_owner_controls_never_reach_a_cached_page_served_to_others(
    browser: Browser, stranger: Browser, servers: Servers
) -> None:
    await browser.sign_up()
    short_id = await browser.create()
    owners = await browser.get(f"/{short_id}")  # the owner's read fills the cache
    redis = Redis.from_url(servers.endpoints.redis_url)
    try:
        assert await redis.exists(f"snippet:{short_id}:vlatest:page") == 1
        cached = await redis.get(f"snippet:{short_id}:vlatest:page")
    finally:
        await redis.aclose()
    assert cached is not None
    assert b"Owner" not in cached
    assert b"csrf" not in cached
    assert "Owner's controls" in owners.text
    assert f'action="/{short_id}/delete"' in owners.text
    others = await stranger.get(f"/{short_id}")  # a cache hit
    assert others.status_code == 200
    assert "Owner's controls" not in others.text
    assert "/delete" not in others.text
    assert "/edit" not in others.text
    assert "Sign in" in others.text
    assert str(browser.username) not in others.text.split("<main>")[0]
    owner_again = await browser.get(f"/{short_id}")  # a hit too: the controls come back
    assert "Owner's controls" in owner_again.text


async def test_slot_markers_in_the_content_stay_text(browser: Browser) -> None:
    await browser.sign_up()
    marker = "<!--swiftpaste:owner--> <!--swiftpaste:session--> <!--swiftpaste:token-->"
    short_id = await browser.create(content=marker, title=marker)
    html = (await browser.get(f"/{short_id}")).text
    assert html.count("Owner's controls") == 1
    assert "&lt;!--swiftpaste:owner--&gt;" in html
    assert "<!--swiftpaste" not in html


async def test_hostile_title_content_and_language_come_back_escaped(
    browser: Browser, api: httpx.AsyncClient, author: Account
) -> None:
    hostile_title = "<script>alert('title')</script>"
    hostile_content = "</textarea></pre><script>alert(1)</script><img src=x onerror=alert(2)>"
    hostile_language = '"><img src=x onerror=alert(3)>'
    snippet = await api_create(
        api, author, title=hostile_title, content=hostile_content, language=hostile_language
    )
    short_id = snippet["short_id"]
    pages = [
        await browser.get(f"/{short_id}"),
        await browser.get(f"/{short_id}/embed"),
    ]
    for page in pages:
        assert page.status_code == 200
        html = page.text
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(" in html
    assert "&lt;img src=x onerror=alert(3)&gt;" in pages[0].text  # the language, unknown
    assert "&lt;/textarea&gt;" in pages[0].text


async def test_versions_are_linked_and_each_has_its_page(
    browser: Browser, api: httpx.AsyncClient, author: Account
) -> None:
    snippet = await api_create(api, author, content="one\n")
    for content in ("two\n", "three\n"):
        revised = await api.put(
            f"{SNIPPETS}/{snippet['id']}", json={"content": content}, headers=author.auth
        )
        assert revised.status_code == 200
    short_id = snippet["short_id"]
    latest = (await browser.get(f"/{short_id}")).text
    assert "version 3 of 3" in latest
    assert re.findall(rf'href="/{short_id}/v/(\d+)"', latest) == ["3", "2", "1"]
    assert f'href="/{short_id}/diff/2..3"' in latest
    first = await browser.get(f"/{short_id}/v/1")
    assert "version 1 of 3" in first.text
    assert "one" in first.text
    missing = await browser.get(f"/{short_id}/v/9")
    assert missing.status_code == 404
    assert (await browser.get(f"/{short_id}/v/0")).status_code == 404


async def test_an_expired_version_gets_a_clear_410_page_never_the_content(
    stranger: Browser, api: httpx.AsyncClient, author: Account
) -> None:
    # The API refuses a past expiry: the version expires a second after it is created.
    soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    snippet = await api_create(api, author, content="secret recipe\n", expires_at=soon)
    await asyncio.sleep(1.2)
    page = await stranger.get(f"/{snippet['short_id']}")
    assert page.status_code == 410
    assert "This link has expired" in page.text
    assert "410" in page.text
    assert "secret recipe" not in page.text
    embedded = await stranger.get(f"/{snippet['short_id']}/embed")
    assert embedded.status_code == 410
    assert "frame-ancestors *" in embedded.headers["content-security-policy"]
    assert "secret recipe" not in embedded.text


async def test_a_share_link_opens_the_private_version_for_anyone_holding_it(
    browser: Browser, stranger: Browser, api: httpx.AsyncClient, author: Account
) -> None:
    snippet = await api_create(api, author, visibility="private", content="for your eyes\n")
    shared = await api.post(f"{SNIPPETS}/{snippet['id']}/share", headers=author.auth)
    url = httpx.URL(shared.json()["share_url"])
    assert url.path == f"/{snippet['short_id']}/v/1"
    token = url.params["token"]
    page = await stranger.get(url.path, params={"token": token})
    assert page.status_code == 200
    assert "for your eyes" in page.text
    # The raw and download links carry the token too.
    assert f"raw?v=1&amp;token={token}" in page.text
    raw = await stranger.get(
        f"{SNIPPETS}/{snippet['short_id']}/raw", params={"v": 1, "token": token}
    )
    assert raw.text == "for your eyes\n"
    assert (await stranger.get(url.path)).status_code == 404
