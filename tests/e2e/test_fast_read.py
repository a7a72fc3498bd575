"""The fast read lane against real servers: it answers exactly as the route would.

Every comparison sends the same request to two apps built from the same settings, one with
the lane and one without it (the route alone, the reference), each request from an address
of its own so both see a fresh rate-limit bucket, and with the same X-Request-Id.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from dishka import Provider, Scope, provide
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from swiftpaste.application.ports.snippets import ViewRecorder
from swiftpaste.domain.events import SnippetViewed
from swiftpaste.infrastructure.persistence.snippet_finder import (
    AsyncpgSnippetFinder,
    SnippetFinderOptions,
)
from swiftpaste.main.settings import Settings
from swiftpaste.presentation.http.fast_read import FastReadLane
from swiftpaste.presentation.http.metrics import HTTP_METRICS
from tests import lanes
from tests.conftest import Servers, free_port
from tests.e2e.conftest import Account, make_settings, register_and_log_in
from tests.e2e.test_snippets import SNIPPETS, create
from tests.lanes import Api, Pair, fresh_address


def running(
    settings: Settings, *providers: Provider, lane: bool = True
) -> AbstractAsyncContextManager[Api]:
    return lanes.running(settings, FastReadLane, *providers, lane=lane)


def assert_same(
    via_lane: httpx.Response, via_route: httpx.Response, *, one_bucket: bool = False
) -> None:
    """Same status, body and headers. `one_bucket`: both requests spent from one budget
    (a signed-in user's), the lane's first, so the route's shows one request less left."""
    assert via_lane.status_code == via_route.status_code, via_lane.text
    assert via_lane.content == via_route.content
    if not one_bucket:
        assert via_lane.headers.raw == via_route.headers.raw
        return
    remaining = b"ratelimit-remaining"
    lane_headers = [(k, v) for k, v in via_lane.headers.raw if k != remaining]
    route_headers = [(k, v) for k, v in via_route.headers.raw if k != remaining]
    assert lane_headers == route_headers
    left = int(via_lane.headers.get(remaining.decode(), -1))
    assert int(via_route.headers.get(remaining.decode(), -2)) == left - 1


@pytest.fixture
async def pair(settings: Settings) -> AsyncIterator[Pair]:
    async with running(settings) as lane, running(settings, lane=False) as route:
        yield Pair(lane, route)


@pytest.fixture
async def owner(client: httpx.AsyncClient) -> Account:
    return await register_and_log_in(client)


def _metric(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


# --- same answers ------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "?version=1", "?v=1", "?version=1&v=1"])
async def test_a_hit_is_the_route_answer_byte_for_byte(
    pair: Pair, client: httpx.AsyncClient, owner: Account, query: str
) -> None:
    snippet = await create(client, owner, language="python")
    path = f"{SNIPPETS}/{snippet['short_id']}{query}"
    assert (await pair.route.get(path)).status_code == 200  # fills the cache
    hits = _metric("cache_hit_total")
    passed_on = pair.lane.passed_on
    via_lane, via_route = await pair.both(path)
    assert pair.lane.passed_on == passed_on  # answered by the lane itself
    assert _metric("cache_hit_total") == hits + 2
    assert via_lane.status_code == 200
    assert_same(via_lane, via_route)
    assert via_lane.headers["RateLimit-Remaining"] == str(1_000_000 - 1)
    assert via_lane.headers["X-Frame-Options"] == "DENY"


async def test_refusals_are_the_route_429(
    servers: Servers, database_url: str, client: httpx.AsyncClient, owner: Account
) -> None:
    settings = make_settings(
        servers,
        database_url,
        rate_limit_read_capacity=2,
        rate_limit_read_refill_per_second=0.001,
    )
    snippet = await create(client, owner)
    path = f"{SNIPPETS}/{snippet['short_id']}"
    async with running(settings) as lane, running(settings, lane=False) as route:
        refused = []
        for api in (lane, route):
            address = fresh_address()
            statuses = [(await api.get(path, address=address)).status_code for _ in range(2)]
            assert statuses == [200, 200]
            refused.append(
                await api.get(path, address=address, headers={"X-Request-Id": "refused-1"})
            )
        passed_on = lane.passed_on
        assert_same(*refused)
        assert lane.passed_on == passed_on
    via_lane = refused[0]
    assert via_lane.status_code == 429
    assert via_lane.json()["error"]["code"] == "rate_limited"
    assert int(via_lane.headers["Retry-After"]) >= 1


async def test_the_budget_is_spent_once_per_request_hit_or_miss(
    servers: Servers, database_url: str, client: httpx.AsyncClient, owner: Account
) -> None:
    settings = make_settings(
        servers,
        database_url,
        rate_limit_read_capacity=50,
        rate_limit_read_refill_per_second=0.001,
    )
    public = await create(client, owner)
    private = await create(client, owner, visibility="private")
    path = f"{SNIPPETS}/{public['short_id']}"
    address = fresh_address()
    async with running(settings) as lane:

        async def remaining(suffix: str = "") -> int:
            response = await lane.get(path + suffix, address=address)
            assert response.status_code == 200
            return int(response.headers["RateLimit-Remaining"])

        hits, misses = _metric("cache_hit_total"), _metric("cache_miss_total")
        assert await remaining() == 49  # miss: the route reads PostgreSQL
        assert await remaining() == 48  # hit
        assert await remaining("?version=1") == 47  # miss
        assert await remaining("?v=1") == 46  # hit
        assert _metric("cache_hit_total") == hits + 2
        assert _metric("cache_miss_total") == misses + 2
        for other in (f"{SNIPPETS}/{private['short_id']}", f"{SNIPPETS}/zzzzzzzz"):
            assert (await lane.get(other, address=address)).status_code == 404
        assert await remaining() == 43  # each 404 spent one, once


@dataclass
class Case:
    name: str
    path: Callable[[dict[str, Any]], str]
    headers: Callable[[Account], dict[str, str]] = field(default=lambda _: {})
    method: str = "GET"
    one_bucket: bool = False


CASES = [
    Case("unknown", lambda s: f"{SNIPPETS}/zzzzzzzz"),
    Case("not a short id", lambda s: f"{SNIPPETS}/0O1lI"),
    Case("version too high", lambda s: f"{SNIPPETS}/{s['short_id']}?version=9"),
    Case("version zero", lambda s: f"{SNIPPETS}/{s['short_id']}?version=0"),
    Case("version not a number", lambda s: f"{SNIPPETS}/{s['short_id']}?version=one"),
    Case("versions disagree", lambda s: f"{SNIPPETS}/{s['short_id']}?version=1&v=2"),
    Case("a bogus share token", lambda s: f"{SNIPPETS}/{s['short_id']}?token=bogus"),
    Case("an unknown parameter", lambda s: f"{SNIPPETS}/{s['short_id']}?page=2"),
    Case("HEAD", lambda s: f"{SNIPPETS}/{s['short_id']}", method="HEAD"),
    Case(
        "an invalid token",
        lambda s: f"{SNIPPETS}/{s['short_id']}",
        lambda _: {"Authorization": "Bearer nope"},
    ),
    Case(
        "the owner",
        lambda s: f"{SNIPPETS}/{s['short_id']}",
        lambda owner: owner.auth,
        one_bucket=True,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_everything_else_is_answered_as_the_route_does(
    pair: Pair, client: httpx.AsyncClient, owner: Account, case: Case
) -> None:
    snippet = await create(client, owner)
    await pair.route.get(f"{SNIPPETS}/{snippet['short_id']}")  # cached
    via_lane, via_route = await pair.both(case.path(snippet), case.headers(owner), case.method)
    assert_same(via_lane, via_route, one_bucket=case.one_bucket)


async def test_private_deleted_and_expired_snippets_answer_as_before(
    pair: Pair, client: httpx.AsyncClient, owner: Account
) -> None:
    private = await create(client, owner, visibility="private")
    deleted = await create(client, owner)
    soon = datetime.now(UTC) + timedelta(seconds=2)
    expiring = await create(client, owner, expires_at=soon.isoformat())
    for snippet in (deleted, expiring):
        assert (await pair.route.get(f"{SNIPPETS}/{snippet['short_id']}")).status_code == 200
    gone = await client.delete(f"{SNIPPETS}/{deleted['id']}", headers=owner.auth)
    assert gone.status_code == 204
    await asyncio.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.2)
    expected = {private["short_id"]: 404, deleted["short_id"]: 404, expiring["short_id"]: 410}
    for short_id, status in expected.items():
        via_lane, via_route = await pair.both(f"{SNIPPETS}/{short_id}")
        assert via_lane.status_code == status
        assert_same(via_lane, via_route)
    # The owner still reads the expired version: through the route, as before.
    mine = await pair.lane.get(f"{SNIPPETS}/{expiring['short_id']}", headers=owner.auth)
    assert mine.status_code == 200


async def test_hits_are_counted_and_logged_under_the_route_template(
    pair: Pair, client: httpx.AsyncClient, owner: Account, caplog: pytest.LogCaptureFixture
) -> None:
    snippet = await create(client, owner)
    path = f"{SNIPPETS}/{snippet['short_id']}"
    labels = {"method": "GET", "route": "/v1/api/snippet/{short_id}", "status": "200"}
    before = REGISTRY.get_sample_value("http_requests_total", labels) or 0.0
    await pair.lane.get(path)  # miss
    passed_on = pair.lane.passed_on
    with caplog.at_level("INFO", logger="swiftpaste.access"):
        await pair.lane.get(path, headers={"X-Request-Id": "logged-hit"})  # hit
    assert pair.lane.passed_on == passed_on
    HTTP_METRICS.flush()  # as a scrape does
    assert REGISTRY.get_sample_value("http_requests_total", labels) == before + 2
    (record,) = [r for r in caplog.records if getattr(r, "request_id", None) == "logged-hit"]
    assert record.getMessage() == "GET /v1/api/snippet/{short_id} 200"
    fields = {name: getattr(record, name) for name in ("method", "route", "path", "status")}
    assert fields == {
        "method": "GET",
        "route": "/v1/api/snippet/{short_id}",
        "path": path,
        "status": 200,
    }
    assert record.__dict__["latency_ms"] >= 0
    assert record.__dict__["client"].startswith("198.18.")


# --- reads the cache cannot answer: the lane's own database read ------------------------


@dataclass
class World:
    """An owner's private snippet in two versions (v1 shared by link), a deleted snippet,
    a public one nobody read yet, and a stranger."""

    owner: Account
    stranger: Account
    private: dict[str, Any]
    share_token: str
    deleted: dict[str, Any]
    public: dict[str, Any]


@pytest.fixture
async def world(client: httpx.AsyncClient, owner: Account) -> World:
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
    public = await create(client, owner)
    return World(owner, await register_and_log_in(client), private, share_token, deleted, public)


@dataclass
class Read:
    name: str
    path: Callable[[World], str]
    who: Callable[[World], dict[str, str]] = field(default=lambda _: {})
    status: int = 200
    code: str | None = None
    """The error code, for a refusal."""


def _private(world: World, query: str = "") -> str:
    return f"{SNIPPETS}/{world.private['short_id']}{query}"


READS = [
    Read("the owner, latest", _private, lambda w: w.owner.auth),
    Read("the owner, version=1", lambda w: _private(w, "?version=1"), lambda w: w.owner.auth),
    Read("the owner, v=2", lambda w: _private(w, "?v=2"), lambda w: w.owner.auth),
    Read("the owner, both", lambda w: _private(w, "?v=1&version=1"), lambda w: w.owner.auth),
    Read("a share link", lambda w: _private(w, f"?v=1&token={w.share_token}")),
    Read(
        "a share link, signed in",
        lambda w: _private(w, f"?token={w.share_token}&v=1"),
        lambda w: w.stranger.auth,
    ),
    Read(
        "the owner, with a share link",
        lambda w: _private(w, f"?v=1&token={w.share_token}"),
        lambda w: w.owner.auth,
    ),
    Read("anonymous", _private, status=404, code="snippet_not_found"),
    Read("a stranger", _private, lambda w: w.stranger.auth, 404, "snippet_not_found"),
    Read(
        "a share link for another version",
        lambda w: _private(w, f"?v=2&token={w.share_token}"),
        status=404,
        code="snippet_not_found",
    ),
    Read(
        "a share link, no version (the latest)",
        lambda w: _private(w, f"?token={w.share_token}"),
        status=404,
        code="snippet_not_found",
    ),
    Read(
        "a forged share link",
        lambda w: _private(w, f"?v=1&token={w.share_token[:-2]}AA"),
        status=404,
        code="snippet_not_found",
    ),
    Read(
        "the owner, version 9",
        lambda w: _private(w, "?version=9"),
        lambda w: w.owner.auth,
        404,
        "version_not_found",
    ),
    Read(
        "a stranger, version 9",
        lambda w: _private(w, "?version=9"),
        lambda w: w.stranger.auth,
        404,
        "snippet_not_found",
    ),
    Read(
        "deleted, its owner",
        lambda w: f"{SNIPPETS}/{w.deleted['short_id']}",
        lambda w: w.owner.auth,
        404,
        "snippet_not_found",
    ),
    Read(
        "unknown, signed in",
        lambda _: f"{SNIPPETS}/zzzzzzzz",
        lambda w: w.stranger.auth,
        404,
        "snippet_not_found",
    ),
]


@pytest.mark.parametrize("case", READS, ids=[case.name for case in READS])
async def test_a_miss_is_answered_from_the_database_as_the_route_does(
    pair: Pair, world: World, case: Read
) -> None:
    path, who = case.path(world), case.who(world)
    passed_on, misses = pair.lane.passed_on, _metric("cache_miss_total")
    via_lane, via_route = await pair.both(path, who)
    assert pair.lane.passed_on == passed_on  # answered by the lane itself
    assert _metric("cache_miss_total") == misses + 2  # the lane's, then the route's
    assert via_lane.status_code == case.status, via_lane.text
    if case.code is not None:
        assert via_lane.json()["error"]["code"] == case.code
    # A signed-in reader's two requests spend one budget; refusals carry no budget headers.
    assert_same(via_lane, via_route, one_bucket=bool(who) and case.status == 200)


async def test_a_private_read_in_the_lane_records_a_view_and_caches_nothing(
    settings: Settings, world: World, servers: Servers
) -> None:
    recorded = RecordedViews()
    short_id = world.private["short_id"]
    async with running(settings, recorded) as lane:
        passed_on = lane.passed_on
        for query in ("", "?v=1"):
            response = await lane.get(f"{SNIPPETS}/{short_id}{query}", headers=world.owner.auth)
            assert response.status_code == 200
        assert lane.passed_on == passed_on
    assert [(view.short_id, view.version) for view in recorded.views] == [
        (short_id, None),
        (short_id, 1),
    ]
    assert all(str(view.snippet_id) == world.private["id"] for view in recorded.views)
    redis = Redis.from_url(servers.endpoints.redis_url)
    try:
        assert await redis.keys(f"snippet:{short_id}:v*") == []
    finally:
        await redis.aclose()


async def test_a_public_miss_goes_on_to_the_route_which_caches_it(pair: Pair, world: World) -> None:
    path = f"{SNIPPETS}/{world.public['short_id']}"
    passed_on = pair.lane.passed_on
    first, _ = await pair.both(path, world.owner.auth)
    assert pair.lane.passed_on == passed_on + 1  # read, found public, handed on
    again = await pair.lane.get(path, headers=world.owner.auth)
    assert pair.lane.passed_on == passed_on + 1  # now a hit
    assert again.content == first.content


async def test_a_logged_out_token_is_refused_as_the_route_refuses_it(
    pair: Pair, client: httpx.AsyncClient, world: World
) -> None:
    assert (await client.post("/auth/jwt/logout", headers=world.owner.auth)).status_code == 204
    for path in (_private(world), f"{SNIPPETS}/{world.public['short_id']}"):
        passed_on = pair.lane.passed_on
        via_lane, via_route = await pair.both(path, world.owner.auth)
        assert pair.lane.passed_on == passed_on + 1  # the route refuses it
        assert via_lane.status_code == 401
        assert_same(via_lane, via_route)


async def test_an_expired_private_share_is_410_but_its_owner_still_reads_it(
    servers: Servers, database_url: str
) -> None:
    settings = make_settings(
        servers, database_url, share_min_ttl_seconds=1, share_default_ttl_seconds=1
    )
    async with running(settings) as lane, running(settings, lane=False) as route:
        transport = httpx.ASGITransport(app=route.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://swiftpaste.test") as c:
            owner = await register_and_log_in(c)
            snippet = await create(c, owner, visibility="private")
            shared = await c.post(
                f"{SNIPPETS}/{snippet['id']}/share", json={"ttl_seconds": 1}, headers=owner.auth
            )
        url = urlparse(shared.json()["share_url"])
        await asyncio.sleep(2.2)  # whole seconds: past the window for sure
        pair = Pair(lane, route)
        for who, status in (({}, 410), (owner.auth, 200)):
            passed_on = lane.passed_on
            via_lane, via_route = await pair.both(f"{url.path}?{url.query}", who)
            assert lane.passed_on == passed_on
            assert via_lane.status_code == status
            assert_same(via_lane, via_route, one_bucket=bool(who))


class UnreachableFinder(Provider):
    """The lane's database reads aimed at a port nobody listens on."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(scope=Scope.APP)
        self._url = settings.database_url.replace(
            f":{urlparse(settings.database_url).port}/", f":{free_port()}/"
        )

    @provide(override=True)
    async def snippet_finder(self) -> AsyncIterator[AsyncpgSnippetFinder]:
        finder = AsyncpgSnippetFinder(
            SnippetFinderOptions(
                url=self._url,
                max_connections=2,
                acquire_timeout_seconds=0.5,
                statement_timeout_ms=1000,
            )
        )
        yield finder
        await finder.aclose()


async def test_when_the_lanes_database_reads_fail_the_route_answers(
    settings: Settings, world: World
) -> None:
    path = _private(world)
    async with running(settings, UnreachableFinder(settings)) as lane:
        for _ in range(2):
            passed_on = lane.passed_on
            response = await lane.get(path, headers=world.owner.auth)
            assert response.status_code == 200
            assert response.json()["current_version"]["content"] == 'v2 \u00e9\n\t<"\\>'
            assert lane.passed_on == passed_on + 1
        left = [
            int((await lane.get(path, headers=world.owner.auth)).headers["RateLimit-Remaining"])
            for _ in range(2)
        ]
        assert left[1] == left[0] - 1  # the budget is spent once per request


# --- views -------------------------------------------------------------------------------


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


async def test_a_hit_records_a_view(
    settings: Settings, client: httpx.AsyncClient, owner: Account
) -> None:
    snippet = await create(client, owner)
    recorded = RecordedViews()
    path = f"{SNIPPETS}/{snippet['short_id']}"
    async with running(settings, recorded) as lane:
        await lane.get(path)  # miss: the route records it
        await lane.get(path + "?v=1")  # miss
        passed_on = lane.passed_on
        before = datetime.now(UTC)
        await lane.get(path)  # hits
        await lane.get(path + "?v=1")
        assert lane.passed_on == passed_on
    assert [(view.short_id, view.version) for view in recorded.views] == [
        (snippet["short_id"], None),
        (snippet["short_id"], 1),
        (snippet["short_id"], None),
        (snippet["short_id"], 1),
    ]
    for view in recorded.views[2:]:
        assert str(view.snippet_id) == snippet["id"]
        assert view.occurred_at >= before


# --- Redis trouble -----------------------------------------------------------------------


async def test_a_forgotten_script_is_loaded_again(
    pair: Pair, client: httpx.AsyncClient, owner: Account, servers: Servers
) -> None:
    snippet = await create(client, owner)
    path = f"{SNIPPETS}/{snippet['short_id']}"
    await pair.route.get(path)
    redis = Redis.from_url(servers.endpoints.redis_url)
    try:
        await redis.script_flush()
    finally:
        await redis.aclose()
    passed_on = pair.lane.passed_on
    assert (await pair.lane.get(path)).status_code == 200
    assert pair.lane.passed_on == passed_on


@pytest.mark.embedded
async def test_with_valkey_stopped_reads_come_from_postgres(
    settings: Settings, client: httpx.AsyncClient, owner: Account, servers: Servers
) -> None:
    stack = servers.require_stack()
    snippet = await create(client, owner)
    path = f"{SNIPPETS}/{snippet['short_id']}"
    async with running(settings) as lane:
        cached = await lane.get(path)
        cached = await lane.get(path)
        errors = _metric("cache_error_total")
        stack.valkey.stop()
        try:
            for _ in range(3):
                response = await lane.get(path)
                assert response.status_code == 200
                assert response.json()["short_id"] == snippet["short_id"]
            assert _metric("cache_error_total") > errors
        finally:
            stack.valkey.start()
        await asyncio.sleep(1.1)  # the lane steps aside for a second after a failure
        deadline = time.monotonic() + 10
        while True:
            passed_on = lane.passed_on
            response = await lane.get(path)
            if lane.passed_on == passed_on or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        assert lane.passed_on == passed_on, "the lane did not take reads again"
        assert response.content == cached.content
