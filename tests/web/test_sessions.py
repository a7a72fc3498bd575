"""Signing up, in and out from the pages: cookies, CSRF, and a sign-out that holds."""

import uuid

import httpx
from fastapi import FastAPI

from tests.e2e.conftest import TEST_PASSWORD
from tests.web.conftest import Browser, csrf_of


async def test_signing_up_keeps_the_session_in_httponly_samesite_cookies(
    browser: Browser,
) -> None:
    page = await browser.get("/signup")
    csrf_cookie = page.headers["set-cookie"]
    assert "swiftpaste_csrf=" in csrf_cookie
    assert "HttpOnly" in csrf_cookie
    assert "SameSite=lax" in csrf_cookie
    username = await browser.sign_up()
    home = await browser.get("/")
    assert f'<span class="who">{username}</span>' in home.text
    assert 'action="/new"' in home.text


async def test_session_cookies_are_httponly_samesite_and_cover_the_site(
    browser: Browser,
) -> None:
    username = f"web_{uuid.uuid4().hex[:10]}"
    page = await browser.get("/signup")
    response = await browser.http.post(
        "/signup",
        data={
            "csrf": csrf_of(page.text),
            "email": f"{username}@example.com",
            "username": username,
            "password": TEST_PASSWORD,
        },
    )
    cookies = response.headers.get_list("set-cookie")
    session = [c for c in cookies if c.startswith(("swiftpaste_access=", "swiftpaste_refresh="))]
    assert len(session) == 2
    for cookie in session:
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Path=/" in cookie
        # PUBLIC_BASE_URL is http:// in the tests; https:// adds Secure.
        assert "Secure" not in cookie


async def test_signing_in_with_a_wrong_password_says_so_and_signs_nobody_in(
    browser: Browser, stranger: Browser
) -> None:
    username = await browser.sign_up()
    refused = await stranger.submit(
        "/signin", "/signin", {"username": username, "password": "not the password"}
    )
    assert refused.status_code == 401
    assert "incorrect username or password" in refused.text
    assert stranger.token() is None
    accepted = await stranger.submit(
        "/signin?next=/mine",
        "/signin",
        {"username": username, "password": TEST_PASSWORD, "next": "/mine"},
    )
    assert accepted.status_code == 303
    assert accepted.headers["location"] == "/mine"


async def test_a_next_address_elsewhere_is_not_followed(browser: Browser) -> None:
    username = await browser.sign_up()
    await browser.submit("/", "/signout", {})
    for elsewhere in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = await browser.submit(
            "/signin",
            "/signin",
            {"username": username, "password": TEST_PASSWORD, "next": elsewhere},
        )
        assert response.headers["location"] == "/"


async def test_signing_out_ends_the_session_at_once_even_for_a_copied_cookie(
    browser: Browser, app: FastAPI
) -> None:
    await browser.sign_up()
    short_id = await browser.create(visibility="private")
    copied = dict(browser.http.cookies.items())
    response = await browser.submit("/", "/signout", {})
    assert response.status_code == 303
    assert browser.token() is None
    assert "Sign in" in (await browser.get("/")).text
    # Someone who kept a copy of the cookies gets nothing from them any more.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://swiftpaste.test", cookies=copied
    ) as thief:
        assert (await thief.get(f"/{short_id}")).status_code == 404
        mine = await thief.get("/mine")
        assert mine.status_code == 303
        assert mine.headers["location"].startswith("/signin")


async def test_forms_without_this_browsers_csrf_token_are_refused(
    browser: Browser, stranger: Browser
) -> None:
    await browser.sign_up()
    fields = {"title": "forged", "content": "forged\n"}
    for token in ("", "0" * 64, csrf_of((await stranger.get("/signin")).text)):
        refused = await browser.submit("/", "/new", fields, csrf=token)
        assert refused.status_code == 403
        assert "This form has expired" in refused.text
    missing = await browser.http.post("/new", data=fields)
    assert missing.status_code == 403
    mine = await browser.get("/mine")
    assert "forged" not in mine.text
    assert "No snippets yet" in mine.text
    # Signing out without the token does not sign out (a link elsewhere cannot do it).
    assert (await browser.http.post("/signout")).status_code == 403
    assert browser.token() is not None
    assert (await browser.get("/mine")).status_code == 200


async def test_sign_in_and_sign_up_refuse_forms_without_the_token(stranger: Browser) -> None:
    for action in ("/signin", "/signup"):
        response = await stranger.http.post(
            action, data={"username": "someone", "password": TEST_PASSWORD, "email": "a@b.c"}
        )
        assert response.status_code == 403
    assert stranger.token() is None


async def test_sign_up_shows_what_is_wrong_and_keeps_what_was_typed(browser: Browser) -> None:
    taken = await browser.sign_up()
    await browser.submit("/", "/signout", {})
    for fields, status, message in (
        ({"username": "ab", "email": "ok@example.com"}, 422, "username"),
        ({"username": "fine_name", "email": "not-an-email"}, 422, "email"),
        ({"username": taken, "email": "other@example.com"}, 409, "username is already taken"),
    ):
        response = await browser.submit("/signup", "/signup", {**fields, "password": TEST_PASSWORD})
        assert response.status_code == status
        assert message in response.text
        assert f'value="{fields["email"]}"' in response.text
