"""A burn-after-reading snippet in Chromium: someone else sees it once, then its 410 page."""

import uuid
from collections.abc import Callable

import httpx

from tests.browser.conftest import Chromium
from tests.e2e.conftest import TEST_PASSWORD


def test_a_burn_after_reading_snippet_is_seen_once_then_gone(
    chromium: Callable[..., Chromium], site: str
) -> None:
    username = f"burner_{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=site) as api:
        registered = api.post(
            "/auth/register",
            json={
                "email": f"{username}@example.com",
                "username": username,
                "password": TEST_PASSWORD,
            },
        )
        assert registered.status_code == 201, registered.text
        login = api.post("/auth/jwt/login", data={"username": username, "password": TEST_PASSWORD})
        token = login.json()["access_token"]
        created = api.post(
            "/v1/api/snippet/",
            json={
                "title": "Read me once",
                "content": "the launch code is 0000\n",
                "burn_after_reading": True,
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        assert created.status_code == 201, created.text
    short_id = created.json()["short_id"]

    reader = chromium()
    reader.open(f"/{short_id}")
    assert "the launch code is 0000" in reader.find("td.source").text
    reader.screenshot("15-burn-after-reading-first-view")
    reader.open(f"/{short_id}")
    assert "410" in reader.find("section.problem").text
    assert "launch code" not in reader.text()
    reader.screenshot("16-burn-after-reading-gone")
