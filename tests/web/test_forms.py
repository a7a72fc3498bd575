"""Creating and managing a snippet through the forms: create, edit, share, delete."""

import html
import re

import httpx

from tests.web.conftest import Browser


async def test_an_anonymous_visitor_is_asked_to_sign_up_before_pasting(
    stranger: Browser,
) -> None:
    home = await stranger.get("/")
    assert home.status_code == 200
    assert 'href="/signup"' in home.text
    assert 'action="/new"' not in home.text
    token_page = await stranger.get("/signin")
    response = await stranger.submit(
        "/signin",
        "/new",
        {"title": "t", "content": "c"},
        csrf=re.findall(r'name="csrf" value="([^"]*)"', token_page.text)[0],
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin")


async def test_the_language_comes_from_the_file_name_or_the_content(browser: Browser) -> None:
    await browser.sign_up()
    by_name = await browser.create(content="fn main() {}\n", filename="main.rs")
    page = await browser.get(f"/{by_name}")
    assert '<span class="language">Rust</span>' in page.text
    assert 'download="main.rs"' in page.text
    by_content = await browser.create(content="#!/usr/bin/env python3\nprint(1)\n")
    assert '<span class="language">Python</span>' in (await browser.get(f"/{by_content}")).text
    plain = await browser.create(content="just some words\n")
    assert '<span class="language">plain text</span>' in (await browser.get(f"/{plain}")).text


async def test_a_refused_form_says_why_keeps_the_text_and_creates_nothing(
    browser: Browser,
) -> None:
    await browser.sign_up()
    for fields, message in (
        ({"title": "", "content": "kept text"}, "title"),
        ({"title": "t", "content": "kept text", "filename": "../up.py"}, "filename"),
        ({"title": "t", "content": "kept text", "expires_in": "17"}, "expiry"),
        ({"title": "t", "content": "kept text", "visibility": "secret"}, "visibility"),
    ):
        response = await browser.submit("/", "/new", fields)
        assert response.status_code == 422, fields
        assert message in response.text
        assert "kept text</textarea>" in response.text
    assert "No snippets yet" in (await browser.get("/mine")).text


async def test_textarea_line_ends_are_kept_as_typed(browser: Browser) -> None:
    await browser.sign_up()
    short_id = await browser.create(content="\nfirst\r\nsecond\r\n")
    raw = await browser.get(f"/v1/api/snippet/{short_id}/raw")
    assert raw.text == "\nfirst\nsecond\n"
    form = await browser.get(f"/{short_id}/edit")
    assert "<textarea" in form.text
    assert ">\n\nfirst\nsecond\n</textarea>" in form.text


async def test_editing_makes_a_new_version_only_when_the_content_changes(
    browser: Browser,
) -> None:
    await browser.sign_up()
    short_id = await browser.create(content="one\n", language="python")
    form = await browser.get(f"/{short_id}/edit")
    fields = _form_fields(form.text)
    renamed = await browser.submit(
        f"/{short_id}/edit", f"/{short_id}/edit", {**fields, "title": "renamed"}
    )
    assert renamed.status_code == 303
    page = await browser.get(f"/{short_id}")
    assert "<h1>renamed</h1>" in page.text
    assert "version 1 of 1" in page.text
    fields = _form_fields((await browser.get(f"/{short_id}/edit")).text)
    edited = await browser.submit(
        f"/{short_id}/edit", f"/{short_id}/edit", {**fields, "content": "one\ntwo\n"}
    )
    assert edited.headers["location"] == f"/{short_id}/v/2"
    page = await browser.get(f"/{short_id}/v/2")
    assert "version 2 of 2" in page.text
    assert '<span class="language">Python</span>' in page.text


async def test_only_the_owner_gets_the_edit_form(browser: Browser, stranger: Browser) -> None:
    await browser.sign_up()
    short_id = await browser.create()
    await stranger.sign_up()
    refused = await stranger.get(f"/{short_id}/edit")
    assert refused.status_code == 403
    assert "Not your snippet" in refused.text
    anonymous = await stranger.submit("/", "/signout", {})
    assert anonymous.status_code == 303
    assert (await stranger.get(f"/{short_id}/edit")).status_code == 303


async def test_sharing_from_the_page_gives_a_link_to_the_page(
    browser: Browser, stranger: Browser
) -> None:
    await browser.sign_up()
    short_id = await browser.create(visibility="private", content="private words\n")
    page = await browser.get(f"/{short_id}")
    fields = _form_fields(page.text, action=f"/{short_id}/share")
    shared = await browser.submit(f"/{short_id}", f"/{short_id}/share", fields)
    assert shared.status_code == 201
    url = html.unescape(re.findall(r'value="(http://[^"]+)" id="share-url"', shared.text)[0])
    assert httpx.URL(url).path == f"/{short_id}/v/1"
    opened = await stranger.get(httpx.URL(url).path, params=httpx.URL(url).params)
    assert opened.status_code == 200
    assert "private words" in opened.text


async def test_deleting_needs_the_confirmation_and_then_the_page_is_gone(
    browser: Browser,
) -> None:
    await browser.sign_up()
    short_id = await browser.create()
    page = (await browser.get(f"/{short_id}")).text
    fields = _form_fields(page, action=f"/{short_id}/delete")
    unconfirmed = await browser.submit(f"/{short_id}", f"/{short_id}/delete", fields)
    assert unconfirmed.headers["location"] == f"/{short_id}"
    assert (await browser.get(f"/{short_id}")).status_code == 200
    deleted = await browser.submit(
        f"/{short_id}", f"/{short_id}/delete", {**fields, "confirm": "yes"}
    )
    assert deleted.headers["location"] == "/mine"
    assert (await browser.get(f"/{short_id}")).status_code == 404


async def test_my_snippets_lists_them_with_their_views(browser: Browser) -> None:
    await browser.sign_up()
    first = await browser.create(title="<first>")
    second = await browser.create(title="second")
    mine = await browser.get("/mine")
    assert mine.status_code == 200
    assert mine.text.index(f'href="/{second}"') < mine.text.index(f'href="/{first}"')
    assert "&lt;first&gt;" in mine.text
    assert "<th>Views</th>" in mine.text


async def test_the_diff_page_shows_the_change_highlighted(browser: Browser) -> None:
    await browser.sign_up()
    short_id = await browser.create(content="a\nb\n")
    fields = _form_fields((await browser.get(f"/{short_id}/edit")).text)
    await browser.submit(f"/{short_id}/edit", f"/{short_id}/edit", {**fields, "content": "a\nc\n"})
    diff = await browser.get(f"/{short_id}/diff/1..2")
    assert diff.status_code == 200
    assert "+1 added" in diff.text
    assert "-1 removed" in diff.text
    assert '<span class="gd">-b</span>' in diff.text
    assert '<span class="gi">+c</span>' in diff.text
    for span in ("1-2", "x..2", "0..1"):
        refused = await browser.get(f"/{short_id}/diff/{span}")
        assert refused.status_code == 422
        assert "A..B" in refused.text or "numbered" in refused.text
    assert (await browser.get(f"/{short_id}/diff/1..9")).status_code == 404


async def test_static_assets_are_served_with_long_caching(stranger: Browser) -> None:
    page = (await stranger.get("/signin")).text
    for name in ("site.css", "highlight.css", "site.js"):
        url = re.findall(rf'"(/static/{re.escape(name)}\?v=[0-9a-f]+)"', page)[0]
        asset = await stranger.get(url)
        assert asset.status_code == 200
        assert "immutable" in asset.headers["cache-control"]
    css = await stranger.get("/static/highlight.css")
    assert "prefers-color-scheme: dark" in css.text
    assert css.headers["content-type"].startswith("text/css")
    assert (await stranger.get("/static/missing.css")).status_code == 404


def _form_fields(page: str, action: str | None = None) -> dict[str, str]:
    """The named inputs and textareas of the page's form (the one posting to `action`)."""
    if action is not None:
        page = page[page.index(f'action="{action}"') :]
        page = page[: page.index("</form>")]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    fields |= dict(re.findall(r'<input type="text" name="([^"]+)"[^>]*value="([^"]*)"', page))
    for name, value in re.findall(r'<textarea name="([^"]+)"[^>]*>\n(.*?)</textarea>', page, re.S):
        fields[name] = value
    for name, value in re.findall(r'<select name="([^"]+)">\s*<option value="([^"]*)"', page):
        fields.setdefault(name, value)
    selected = re.findall(r'<select name="([^"]+)">.*?<option value="([^"]*)" selected', page, re.S)
    fields |= dict(selected)
    fields.pop("csrf", None)
    return {
        name: value.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
        for name, value in fields.items()
    }
