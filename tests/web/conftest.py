"""The pages against the real app and real servers, through a cookie-keeping client.

The app and its settings are the e2e tier's; each `Browser` is an httpx client with a
cookie jar of its own, so two of them are two people.
"""

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.e2e.conftest import TEST_PASSWORD, Account, app, register_and_log_in, settings

__all__ = ["app", "settings"]  # the e2e tier's fixtures, used here as they are

_CSRF = re.compile(r'name="csrf" value="([^"]*)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, "the page carries no CSRF token"
    return found[1]


class Browser:
    """A person with a browser: cookies kept, forms sent with the page's CSRF token."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.username: str | None = None

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.get(path, **kwargs)

    async def submit(
        self, page: str, action: str, fields: dict[str, str], *, csrf: str | None = None
    ) -> httpx.Response:
        """Fill in and send the form of `page` that posts to `action`."""
        token = csrf if csrf is not None else csrf_of((await self.get(page)).text)
        return await self.http.post(action, data={"csrf": token, **fields})

    async def sign_up(self) -> str:
        username = f"web_{uuid.uuid4().hex[:10]}"
        response = await self.submit(
            "/signup",
            "/signup",
            {"email": f"{username}@example.com", "username": username, "password": TEST_PASSWORD},
        )
        assert response.status_code == 303, response.text
        self.username = username
        return username

    async def create(self, **fields: str) -> str:
        """Create a snippet through the form; its short id."""
        values = {"title": "fibonacci", "content": "def fib(n):\n    return n\n", **fields}
        response = await self.submit("/", "/new", values)
        assert response.status_code == 303, response.text
        return response.headers["location"].removeprefix("/")

    def token(self) -> str | None:
        return self.http.cookies.get("swiftpaste_access")


@pytest.fixture
async def browsers(app: FastAPI) -> AsyncIterator[Any]:
    """Makes browsers (each its own cookie jar) on the session's app."""
    opened: list[httpx.AsyncClient] = []

    def open_browser() -> Browser:
        transport = httpx.ASGITransport(app=app)
        http = httpx.AsyncClient(transport=transport, base_url="http://swiftpaste.test")
        opened.append(http)
        return Browser(http)

    yield open_browser
    for http in opened:
        await http.aclose()


@pytest.fixture
def browser(browsers: Any) -> Browser:
    made: Browser = browsers()
    return made


@pytest.fixture
def stranger(browsers: Any) -> Browser:
    made: Browser = browsers()
    return made


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://swiftpaste.test") as http:
        yield http


@pytest.fixture
async def author(api: httpx.AsyncClient) -> Account:
    """An account using the JSON API (bearer tokens)."""
    return await register_and_log_in(api)
