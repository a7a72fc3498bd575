"""The one read path (`GET /v1/api/snippet/{short_id}` and `/raw`) against real servers:
who may read what, the budget it spends, the views it records, and Redis trouble."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from asgi_lifespan import LifespanManager
from dishka import Provider, Scope, provide
from fastapi import FastAPI
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from swiftpaste.application.ports.snippets import ViewRecorder
from swiftpaste.domain.events import SnippetViewed
from swiftpaste.main.api import make_api
from swiftpaste.main.settings import Settings
from swiftpaste.presentation.http.metrics import HTTP_METRICS
from tests.conftest import Servers
from tests.e2e.conftest import Account, make_settings, register_and_log_in
from tests.e2e.test_snippets import SNIPPETS, create


def _metric(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


class RecordedViews(Provider):
    def __init__(self) -> None:
        super().__init__(scope=Scope.APP)
        self.views: list[SnippetViewed] = []

    @provide(override=True)
    def views_recorder(self) -> ViewRecorder:
        views = self.views

        class Recorder:
            def record(self, view: SnippetViewed) -> None:
                views.append(view)

        return Recorder()


@asynccontextmanager
async def running(settings: Settings, *providers: Provider) -> AsyncIterator[FastAPI]:
    app = make_api(settings, *providers)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
        yield app


def connect(app: FastAPI, address: str = "198.18.0.9") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 4321))
    return httpx.AsyncClient(transport=transport, base_url="http://swiftpaste.test")


@dataclass
class World:
    """An owner's private snippet in two versions (v1 shared by link), a deleted snippet,
    a public one, and a stranger."""

    owner: Account
    stranger: Account
    private: dict[str, Any]
    share_token: str
    deleted: dict[str, Any]
    public: dict[str, Any]


@pytest.fixture
async def world(client: httpx.AsyncClient) -> World:
    owner = await register_and_log_in(client)
    private = await create(client, owner, visibility="private", content="v1", language="go")
    revised = await client.put(
        f"{SNIPPETS}/{private['id']}", json={"content": 'v2 \u00e9\n\t<"\\>'}, headers=owner.auth
    )
    assert revised.status_code == 200
    shared = await client.post(
        f"{SNIPPETS}/{private['id']}/share", params={"version": 1}, headers=owner.auth
    )
    share_token = parse_qs(urlparse(shared.json()["share_url"]).query)["token"][0]
    deleted = await create(client, owner, visibility="private")
    gone = await client.delete(f"{SNIPPETS}/{deleted['id']}", headers=owner.auth)
    assert gone.status_code == 204
    public = await create(client, owner, content="print('public')\n")
    return World(owner, await register_and_log_in(client), private, share_token, deleted, public)


@dataclass
class Read:
    name: str
    query: str
    who: str | None = None
    """"owner" or "stranger"; None: anonymous."""
    content: str | None = None
    """The content read, for an answer of 200."""
    code: str | None = None
    """The error code of a 404."""


READS = [
    Read("the owner, latest", "", "owner", content='v2 \u00e9\n\t<"\\>'),
    Read("the owner, version=1", "?version=1", "owner", content="v1"),
    Read("the owner, v=2", "?v=2", "owner", content='v2 \u00e9\n\t<"\\>'),
    Read("a share link", "?v=1&token={token}", content="v1"),
    Read("a share link, signed in", "?token={token}&v=1", "stranger", content="v1"),
    Read("anonymous", "", code="snippet_not_found"),
    Read("a stranger", "", "stranger", code="snippet_not_found"),
    Read("a share link for another version", "?v=2&token={token}", code="snippet_not_found"),
    Read("a share link, no version", "?token={token}", code="snippet_not_found"),
    Read("a forged share link", "?v=1&token=AAAA{token}", code="snippet_not_found"),
    Read("the owner, version 9", "?version=9", "owner", code="version_not_found"),
    Read("a stranger, version 9", "?version=9", "stranger", code="snippet_not_found"),
]


@pytest.mark.parametrize("representation", ["", "/raw"], ids=["json", "raw"])
@pytest.mark.parametrize("case", READS, ids=[case.name for case in READS])
async def test_who_reads_a_private_snippet(
    client: httpx.AsyncClient, world: World, case: Read, representation: str
) -> None:
    who = {"owner": world.owner, "stranger": world.stranger, None: None}[case.who]
    query = case.query.format(token=world.share_token)
    response = await client.get(
        f"{SNIPPETS}/{world.private['short_id']}{representation}{query}",
        headers=who.auth if who else {},
    )
    if case.content is None:
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == case.code
        return
    assert response.status_code == 200, response.text
    if representation:
        assert response.text == case.content
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
    else:
        assert response.json()["current_version"]["content"] == case.content


async def test_a_deleted_snippet_is_gone_even_for_its_owner(
    client: httpx.AsyncClient, world: World
) -> None:
    for suffix in ("", "/raw"):
        path = f"{SNIPPETS}/{world.deleted['short_id']}{suffix}"
        response = await client.get(path, headers=world.owner.auth)
        assert response.status_code == 404


async def test_every_read_spends_one_request_hit_or_miss_or_refused(
    servers: Servers, database_url: str, world: World
) -> None:
    settings = make_settings(
        servers, database_url, rate_limit_read_capacity=50, rate_limit_read_refill_per_second=0.001
    )
    public = f"{SNIPPETS}/{world.public['short_id']}"
    async with running(settings) as app, connect(app, "198.18.7.7") as reader:
        lefts = []
        for path in (public, public, f"{public}/raw", f"{public}/raw", f"{public}?v=1"):
            response = await reader.get(path)
            assert response.status_code == 200
            lefts.append(int(response.headers["RateLimit-Remaining"]))
        for path in (f"{SNIPPETS}/{world.private['short_id']}", f"{SNIPPETS}/zzzzzzzz"):
            assert (await reader.get(path)).status_code == 404
        refused = await reader.get(public, headers={"Authorization": "Bearer not-a-token"})
        assert refused.status_code == 401
        last = await reader.get(public)
    assert lefts == [49, 48, 47, 46, 45]
    assert int(last.headers["RateLimit-Remaining"]) == 41  # each refusal spent one, once


async def test_a_logged_out_token_is_refused_on_a_hit_and_on_a_miss(
    client: httpx.AsyncClient, world: World
) -> None:
    public = f"{SNIPPETS}/{world.public['short_id']}"
    assert (await client.get(public)).status_code == 200  # cached now
    assert (await client.post("/auth/jwt/logout", headers=world.owner.auth)).status_code == 204
    for path in (public, f"{SNIPPETS}/{world.private['short_id']}"):
        response = await client.get(path, headers=world.owner.auth)
        assert response.status_code == 401
        assert response.json()["error"]["message"] == "access token has been revoked"


async def test_views_are_recorded_for_hits_and_misses_not_for_refusals(
    settings: Settings, world: World
) -> None:
    recorded = RecordedViews()
    public, private = world.public, world.private
    async with running(settings, recorded) as app, connect(app) as reader:
        for path in ("", "", "?v=1", "/raw"):
            assert (await reader.get(f"{SNIPPETS}/{public['short_id']}{path}")).is_success
        private_path = f"{SNIPPETS}/{private['short_id']}"
        assert (await reader.get(private_path)).status_code == 404
        assert (await reader.get(private_path, headers=world.owner.auth)).is_success
    assert [(str(view.snippet_id), view.version) for view in recorded.views] == [
        (public["id"], None),
        (public["id"], None),
        (public["id"], 1),
        (public["id"], None),
        (private["id"], None),
    ]


async def test_private_versions_and_raw_bodies_are_cached_as_they_should_be(
    client: httpx.AsyncClient, world: World, servers: Servers
) -> None:
    redis = Redis.from_url(servers.endpoints.redis_url)
    try:
        private = world.private["short_id"]
        assert (await client.get(f"{SNIPPETS}/{private}", headers=world.owner.auth)).is_success
        assert await redis.keys(f"snippet:{private}:v*") == []
        public = world.public
        raw = await client.get(f"{SNIPPETS}/{public['short_id']}/raw")
        assert raw.text == "print('public')\n"
        assert await redis.exists(f"snippet:{public['short_id']}:vlatest:raw")
        revised = await client.put(
            f"{SNIPPETS}/{public['id']}", json={"content": "v2\n"}, headers=world.owner.auth
        )
        assert revised.status_code == 200
        assert not await redis.exists(f"snippet:{public['short_id']}:vlatest:raw")
        assert (await client.get(f"{SNIPPETS}/{public['short_id']}/raw")).text == "v2\n"
    finally:
        await redis.aclose()


async def test_hits_are_counted_and_logged_under_the_route_template(
    client: httpx.AsyncClient, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    path = f"{SNIPPETS}/{world.public['short_id']}"
    labels = {"method": "GET", "route": "/v1/api/snippet/{short_id}", "status": "200"}
    HTTP_METRICS.flush()
    before = REGISTRY.get_sample_value("http_requests_total", labels) or 0.0
    await client.get(path)  # miss, or a hit already
    hits = _metric("cache_hit_total")
    with caplog.at_level("INFO", logger="swiftpaste.access"):
        await client.get(path, headers={"X-Request-Id": "logged-hit"})
    assert _metric("cache_hit_total") == hits + 1
    HTTP_METRICS.flush()  # as a scrape does
    assert REGISTRY.get_sample_value("http_requests_total", labels) == before + 2
    (record,) = [r for r in caplog.records if getattr(r, "request_id", None) == "logged-hit"]
    assert record.getMessage() == "GET /v1/api/snippet/{short_id} 200"


async def test_a_forgotten_script_is_loaded_again(
    client: httpx.AsyncClient, world: World, servers: Servers
) -> None:
    path = f"{SNIPPETS}/{world.public['short_id']}"
    first = await client.get(path)
    redis = Redis.from_url(servers.endpoints.redis_url)
    try:
        await redis.script_flush()
    finally:
        await redis.aclose()
    again = await client.get(path)
    assert again.status_code == 200
    assert again.headers["RateLimit-Remaining"] != first.headers["RateLimit-Remaining"]


@pytest.mark.embedded
async def test_with_valkey_stopped_reads_and_logouts_are_answered_from_postgres(
    settings: Settings, client: httpx.AsyncClient, servers: Servers
) -> None:
    stack = servers.require_stack()
    owner = await register_and_log_in(client)
    leaving = await register_and_log_in(client, password=owner.password)
    snippet = await create(client, owner, visibility="private")
    path = f"{SNIPPETS}/{snippet['short_id']}"
    async with running(settings) as app, connect(app) as reader:
        assert (await reader.post("/auth/jwt/logout", headers=leaving.auth)).status_code == 204
        errors = _metric("cache_error_total")
        stack.valkey.stop()
        try:
            for _ in range(2):
                mine = await reader.get(path, headers=owner.auth)
                assert mine.status_code == 200
                assert mine.json()["short_id"] == snippet["short_id"]
            # The denylist is away: PostgreSQL says the session ended.
            gone = await reader.get(path, headers=leaving.auth)
            assert gone.status_code == 401
            assert _metric("cache_error_total") > errors
        finally:
            stack.valkey.start()
        await asyncio.sleep(0.2)
        assert (await reader.get(path, headers=owner.auth)).status_code == 200


async def test_the_openapi_document_describes_the_read_paths(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path, media_type in (
        ("/v1/api/snippet/{short_id}", "application/json"),
        ("/v1/api/snippet/{short_id}/raw", "text/plain"),
    ):
        operation = paths[path]["get"]
        assert {(p["name"], p["in"]) for p in operation["parameters"]} == {
            ("short_id", "path"),
            ("version", "query"),
            ("v", "query"),
            ("token", "query"),
            ("X-Snippet-Password", "header"),
            ("If-None-Match", "header"),
        }
        assert media_type in operation["responses"]["200"]["content"]
    json_200 = paths["/v1/api/snippet/{short_id}"]["get"]["responses"]["200"]
    schema = json_200["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/SnippetResponse"}
