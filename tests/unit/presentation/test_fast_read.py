"""The fast read lane with fakes: which requests it takes, and what it does with each."""

import json
import time
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from ipaddress import ip_network
from typing import Any
from uuid import UUID, uuid4

import pytest

from swiftpaste.application.ports.rate_limit import RateLimitDecision, RateLimitPolicy
from swiftpaste.application.ports.security import AccessClaims
from swiftpaste.application.ports.snippets import SnippetLookupUnavailable
from swiftpaste.application.snippets.read_snippet import ReadSnippetQuery
from swiftpaste.domain.errors import ShareExpired, SnippetNotFound, VersionNotFound
from swiftpaste.domain.events import SnippetViewed
from swiftpaste.presentation.http.fast_read import (
    FastReadLane,
    FastReadServices,
    FastReadWiring,
    hot_request,
)
from swiftpaste.presentation.http.rate_limit import (
    PREPAID_DECISION,
    PrepaidDecision,
    RateLimitSettings,
)
from tests.unit.fakes import FakeAccessTokenCodec

SHORT_ID = "aB3dE5fG"
PATH = f"/v1/api/snippet/{SHORT_ID}"
NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
LIMITS = RateLimitSettings(
    read=RateLimitPolicy("read", 10, 1.0),
    write=RateLimitPolicy("write", 5, 1.0),
    trusted_proxies=(ip_network("10.0.0.0/8"),),
)


def scope(
    path: str = PATH,
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    method: str = "GET",
    client: tuple[str, int] | None = ("198.51.100.7", 5000),
    **extra: Any,
) -> dict[str, Any]:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": "",
        "query_string": query,
        "headers": headers if headers is not None else [(b"host", b"swiftpaste.test")],
        "client": client,
        "state": {"request_id": "req-1"},
        **extra,
    }


# --- which requests the lane takes -----------------------------------------------------


@pytest.mark.parametrize(
    ("query", "version"),
    [
        (b"", None),
        (b"version=3", 3),
        (b"v=3", 3),
        (b"version=3&v=3", 3),
        (b"v=12&version=12", 12),
        (b"version=2147483647", 2**31 - 1),
    ],
)
def test_takes_plain_reads(query: bytes, version: int | None) -> None:
    request = hot_request(scope(query=query), cors_enabled=False)
    assert request is not None
    assert request.short_id == SHORT_ID
    assert request.version == version
    assert request.forwarded_for is None
    assert request.access_token is None
    assert request.share_token is None


@pytest.mark.parametrize(
    ("query", "version", "share_token"),
    [
        (b"token=abc", None, "abc"),
        (b"v=2&token=AAEC_-x.yz", 2, "AAEC_-x.yz"),
        (b"token=abc&version=3&v=3", 3, "abc"),
        (b"token=" + b"t" * 256, None, "t" * 256),
    ],
)
def test_takes_share_links(query: bytes, version: int | None, share_token: str) -> None:
    request = hot_request(scope(query=query), cors_enabled=False)
    assert request is not None
    assert (request.version, request.share_token) == (version, share_token)


def test_takes_a_plain_bearer_token() -> None:
    headers = [(b"authorization", b"Bearer eyJh.eyJz-_.c2ln")]
    request = hot_request(scope(headers=headers), cors_enabled=False)
    assert request is not None
    assert request.access_token == "eyJh.eyJz-_.c2ln"


@pytest.mark.parametrize(
    "query",
    [
        b"token=",
        b"token",
        b"token=abc&token=abc",
        b"token=a%2Eb",
        b"token=a+b",
        b"token=a b",
        b"token=" + b"t" * 257,
        b"version=1&version=1",
        b"version=1&v=2",
        b"version=0",
        b"version=01",
        b"version=-1",
        b"version=+1",
        b"version=1.0",
        b"version=%31",
        b"version=1%20",
        b"version=",
        b"version",
        b"version=2147483648",
        b"version=99999999999",
        b"version=1&",
        b"&version=1",
        b"page=1",
        b"Version=1",
    ],
)
def test_leaves_unusual_queries_to_the_route(query: bytes) -> None:
    assert hot_request(scope(query=query), cors_enabled=False) is None


@pytest.mark.parametrize(
    "path",
    [
        "/v1/api/snippet/",
        "/v1/api/snippet/aB3dE5f",
        "/v1/api/snippet/aB3dE5fGh",
        "/v1/api/snippet/aB3dE5f0",  # 0 is not in the alphabet
        "/v1/api/snippet/aB3dE5fG/",
        "/v1/api/snippet/aB3dE5fG/raw",
        "/v1/api/snippet/aB3dE5fG/versions",
        "/v1/api/snippets/aB3dE5fG",
        "/v1/api/health/health",
    ],
)
def test_leaves_other_paths_to_the_route(path: str) -> None:
    assert hot_request(scope(path=path), cors_enabled=False) is None


@pytest.mark.parametrize("method", ["HEAD", "POST", "PUT", "DELETE", "OPTIONS"])
def test_takes_only_get(method: str) -> None:
    assert hot_request(scope(method=method), cors_enabled=False) is None


@pytest.mark.parametrize(
    "header",
    [
        (b"authorization", b"Basic Zm9vOmJhcg=="),
        (b"authorization", b""),
        (b"authorization", b"Bearer"),
        (b"authorization", b"Bearer "),
        (b"authorization", b"bearer abc.def.ghi"),
        (b"authorization", b"Bearer  abc.def.ghi"),
        (b"authorization", b"Bearer abc.def.ghi "),
        (b"authorization", b"Bearer abc def"),
        (b"authorization", b"Bearer a%2Eb"),
        (b"authorization", b"Bearer " + b"a" * 4097),
        (b"content-length", b"5"),
        (b"transfer-encoding", b"chunked"),
    ],
)
def test_leaves_requests_with_credentials_or_a_body_to_the_route(
    header: tuple[bytes, bytes],
) -> None:
    assert hot_request(scope(headers=[header]), cors_enabled=False) is None


def test_several_authorization_headers_go_to_the_route() -> None:
    headers = [(b"authorization", b"Bearer a.b.c"), (b"authorization", b"Bearer a.b.c")]
    assert hot_request(scope(headers=headers), cors_enabled=False) is None


def test_an_empty_body_is_fine() -> None:
    assert hot_request(scope(headers=[(b"content-length", b"0")]), cors_enabled=False)


def test_cross_origin_reads_go_to_the_route_only_when_cors_is_on() -> None:
    headers = [(b"origin", b"https://elsewhere.example")]
    assert hot_request(scope(headers=headers), cors_enabled=False) is not None
    assert hot_request(scope(headers=headers), cors_enabled=True) is None


def test_a_root_path_goes_to_the_route() -> None:
    assert hot_request(scope(root_path="/api"), cors_enabled=False) is None


def test_forwarded_for_headers_are_joined_as_the_route_joins_them() -> None:
    headers = [(b"x-forwarded-for", b"203.0.113.9"), (b"x-forwarded-for", b"10.0.0.2")]
    request = hot_request(scope(headers=headers), cors_enabled=False)
    assert request is not None
    assert request.forwarded_for == "203.0.113.9,10.0.0.2"


# --- what it does ----------------------------------------------------------------------


@dataclass(frozen=True)
class FakeHotRead:
    decision: RateLimitDecision
    snippet_id: UUID | None = None
    body: bytes | None = None
    revoked: bool = False


def decision(*, allowed: bool = True, remaining: int = 9) -> RateLimitDecision:
    return RateLimitDecision(
        allowed=allowed,
        limit=10,
        remaining=remaining,
        reset_seconds=1 if allowed else 10,
        retry_after_seconds=0 if allowed else 1,
    )


@dataclass
class FakeHotReads:
    answer: FakeHotRead | None
    calls: list[tuple[str, str, str, int | None]] = field(default_factory=list)
    revocations: list[tuple[str, UUID] | None] = field(default_factory=list)
    misses: int = 0

    async def read(
        self,
        client_key: str,
        policy: RateLimitPolicy,
        short_id: str,
        version: int | None,
        revocation: tuple[str, UUID] | None = None,
    ) -> FakeHotRead | None:
        self.calls.append((client_key, policy.name, short_id, version))
        self.revocations.append(revocation)
        return self.answer

    def count_miss(self) -> None:
        self.misses += 1


@dataclass
class FakeUncachedReads:
    """Answers `body`, or raises `error`; notes every query."""

    body: bytes | None = None
    error: Exception | None = None
    queries: list[ReadSnippetQuery] = field(default_factory=list)

    async def __call__(self, query: ReadSnippetQuery) -> bytes | None:
        self.queries.append(query)
        if self.error is not None:
            raise self.error
        return self.body


@dataclass
class FakeViews:
    views: list[SnippetViewed] = field(default_factory=list)

    def record(self, view: SnippetViewed) -> None:
        self.views.append(view)


class FixedClock:
    def now(self) -> datetime:
        return NOW


@dataclass
class Downstream:
    """The rest of the application: notes the scopes it is given, answers 204."""

    scopes: list[dict[str, Any]] = field(default_factory=list)

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        self.scopes.append(dict(scope))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@dataclass
class Lane:
    lane: FastReadLane
    downstream: Downstream
    hot_reads: FakeHotReads
    views: FakeViews

    async def get(self, request_scope: dict[str, Any]) -> tuple[int, list[Any], bytes]:
        messages: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            messages.append(dict(message))

        await self.lane(request_scope, receive, send)
        start, *bodies = messages
        return start["status"], start["headers"], b"".join(m.get("body", b"") for m in bodies)


CODEC = FakeAccessTokenCodec(FixedClock())
READER = AccessClaims(
    user_id=uuid4(),
    session_id=uuid4(),
    token_id="token-1",
    issued_at=NOW,
    expires_at=NOW + timedelta(minutes=15),
)
ACCESS_TOKEN = CODEC.encode(READER)
SIGNED_IN = [(b"authorization", b"Bearer " + ACCESS_TOKEN.encode())]


def make_lane(
    answer: FakeHotRead | None,
    uncached: FakeUncachedReads | None = None,
    patience_seconds: float = 0.0,
) -> Lane:
    hot_reads = FakeHotReads(answer)
    views = FakeViews()
    downstream = Downstream()
    wiring = FastReadWiring(
        services=FastReadServices(
            hot_reads=hot_reads,
            views=views,
            clock=FixedClock(),
            limits=LIMITS,
            codec=CODEC,
            uncached_reads=uncached,
        ),
    )
    lane = FastReadLane(downstream, wiring, patience_seconds=patience_seconds)
    return Lane(lane, downstream, hot_reads, views)


async def test_a_hit_is_answered_with_the_stored_bytes_and_recorded_as_a_view() -> None:
    snippet_id = uuid4()
    body = b'{"id":"x","short_id":"aB3dE5fG"}'
    lane = make_lane(FakeHotRead(decision(remaining=7), snippet_id, body))
    request_scope = scope(query=b"v=2")
    status, headers, sent = await lane.get(request_scope)
    assert status == 200
    assert sent == body
    assert headers == [
        (b"ratelimit-limit", b"10"),
        (b"ratelimit-remaining", b"7"),
        (b"ratelimit-reset", b"1"),
        (b"content-length", str(len(body)).encode()),
        (b"content-type", b"application/json"),
    ]
    assert lane.downstream.scopes == []
    assert lane.hot_reads.calls == [("ip:198.51.100.7", "read", SHORT_ID, 2)]
    assert lane.views.views == [
        SnippetViewed(snippet_id=snippet_id, short_id=SHORT_ID, version=2, occurred_at=NOW)
    ]
    assert request_scope["route"].path == "/v1/api/snippet/{short_id}"  # for the metrics


async def test_the_bucket_is_the_client_address_behind_trusted_proxies_only() -> None:
    lane = make_lane(FakeHotRead(decision(), uuid4(), b"{}"))
    forwarded = [(b"x-forwarded-for", b"203.0.113.9")]
    await lane.get(scope(headers=forwarded, client=("10.1.2.3", 1)))
    await lane.get(scope(headers=forwarded, client=("198.51.100.7", 1)))
    await lane.get(scope(client=("2001:db8:1:2:3:4:5:6", 1)))
    await lane.get(scope(client=None))
    assert [call[0] for call in lane.hot_reads.calls] == [
        "ip:203.0.113.9",
        "ip:198.51.100.7",
        "ip:2001:db8:1:2::/64",
        "ip:unknown",
    ]


async def test_a_miss_goes_on_to_the_route_with_the_budget_already_spent() -> None:
    spent = decision(remaining=3)
    lane = make_lane(FakeHotRead(spent))
    status, _, _ = await lane.get(scope())
    assert status == 204
    (passed,) = lane.downstream.scopes
    assert passed[PREPAID_DECISION] == PrepaidDecision("read", spent)
    assert lane.views.views == []


async def test_an_empty_bucket_is_answered_with_the_429_envelope() -> None:
    lane = make_lane(FakeHotRead(decision(allowed=False, remaining=0)))
    status, headers, body = await lane.get(scope())
    assert status == 429
    assert lane.downstream.scopes == []
    named = dict(headers)
    assert named[b"retry-after"] == b"1"
    assert named[b"ratelimit-remaining"] == b"0"
    assert named[b"x-request-id"] == b"req-1"
    error = json.loads(body)["error"]
    assert error["code"] == "rate_limited"
    assert error["requestId"] == "req-1"
    assert error["details"] == {"policy": "read", "retry_after_seconds": 1}


async def test_when_redis_fails_the_route_answers_and_the_lane_steps_aside() -> None:
    lane = make_lane(None)
    assert (await lane.get(scope()))[0] == 204
    assert PREPAID_DECISION not in lane.downstream.scopes[0]
    assert (await lane.get(scope()))[0] == 204
    assert len(lane.hot_reads.calls) == 1  # paused: the second request went straight on


async def test_failures_that_pass_do_not_send_the_lane_aside() -> None:
    lane = make_lane(None, patience_seconds=60.0)
    for _ in range(3):  # a burst of timeouts, well within the patience
        assert (await lane.get(scope()))[0] == 204
    assert len(lane.hot_reads.calls) == 3  # each tried the lane first
    lane.hot_reads.answer = FakeHotRead(decision(), uuid4(), b"{}")
    assert (await lane.get(scope()))[0] == 200


async def test_failures_that_go_on_send_the_lane_aside(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    lane = make_lane(None, patience_seconds=0.25)
    await lane.get(scope())
    clock[0] += 0.1
    await lane.get(scope())
    assert len(lane.hot_reads.calls) == 2  # still patient
    clock[0] += 0.2
    await lane.get(scope())  # failing for 0.3 s: the lane steps aside
    clock[0] += 0.5
    await lane.get(scope())
    assert len(lane.hot_reads.calls) == 3
    clock[0] += 0.6  # the pause is over: it tries again
    lane.hot_reads.answer = FakeHotRead(decision(), uuid4(), b"{}")
    assert (await lane.get(scope()))[0] == 200


async def test_other_requests_pass_untouched() -> None:
    lane = make_lane(FakeHotRead(decision(), uuid4(), b"{}"))
    await lane.get(scope(query=b"page=2"))
    await lane.get(scope(headers=[(b"authorization", b"Basic eDp5")]))
    await lane.get(scope(headers=[(b"authorization", b"Bearer not.issued.here")]))
    assert lane.hot_reads.calls == []
    assert len(lane.downstream.scopes) == 3
    assert all(PREPAID_DECISION not in passed for passed in lane.downstream.scopes)


async def test_a_signed_in_reader_spends_their_own_budget_and_their_token_is_checked() -> None:
    body = b'{"id":"x"}'
    lane = make_lane(FakeHotRead(decision(remaining=4), uuid4(), body))
    status, _, sent = await lane.get(scope(headers=SIGNED_IN, query=b"v=1"))
    assert (status, sent) == (200, body)
    assert lane.hot_reads.calls == [(f"user:{READER.user_id}", "read", SHORT_ID, 1)]
    assert lane.hot_reads.revocations == [(READER.token_id, READER.session_id)]
    assert lane.downstream.scopes == []


async def test_a_revoked_token_goes_on_to_the_route_with_the_budget_spent() -> None:
    spent = decision(remaining=2)
    uncached = FakeUncachedReads(body=b"{}")
    lane = make_lane(FakeHotRead(spent, revoked=True), uncached)
    status, _, _ = await lane.get(scope(headers=SIGNED_IN))
    assert status == 204
    (passed,) = lane.downstream.scopes
    assert passed[PREPAID_DECISION] == PrepaidDecision("read", spent)
    assert uncached.queries == []


async def test_a_miss_is_read_from_the_database_and_answered_there() -> None:
    body = b'{"id":"private"}'
    uncached = FakeUncachedReads(body=body)
    lane = make_lane(FakeHotRead(decision(remaining=6)), uncached)
    status, headers, sent = await lane.get(scope(headers=SIGNED_IN, query=b"version=2&token=t.k"))
    assert (status, sent) == (200, body)
    assert headers == [
        (b"ratelimit-limit", b"10"),
        (b"ratelimit-remaining", b"6"),
        (b"ratelimit-reset", b"1"),
        (b"content-length", str(len(body)).encode()),
        (b"content-type", b"application/json"),
    ]
    assert uncached.queries == [
        ReadSnippetQuery(short_id=SHORT_ID, version=2, reader_id=READER.user_id, share_token="t.k")
    ]
    assert lane.hot_reads.misses == 1
    assert lane.downstream.scopes == []
    assert lane.views.views == []  # the use case records it


async def test_an_anonymous_miss_reads_the_database_as_nobody() -> None:
    uncached = FakeUncachedReads(body=b"{}")
    lane = make_lane(FakeHotRead(decision()), uncached)
    assert (await lane.get(scope()))[0] == 200
    assert uncached.queries == [ReadSnippetQuery(short_id=SHORT_ID)]


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (SnippetNotFound("snippet not found"), 404, "snippet_not_found"),
        (ShareExpired("expired"), 410, "share_expired"),
        (VersionNotFound("version 9 does not exist"), 404, "version_not_found"),
    ],
)
async def test_a_refusal_from_the_database_read_is_the_route_error(
    error: Exception, status: int, code: str
) -> None:
    lane = make_lane(FakeHotRead(decision()), FakeUncachedReads(error=error))
    request_scope = scope()
    answered, headers, body = await lane.get(request_scope)
    assert answered == status
    assert json.loads(body)["error"] == {
        "code": code,
        "message": str(error),
        "details": None,
        "requestId": "req-1",
    }
    assert b"ratelimit-remaining" not in dict(headers)  # as the route: the handler's headers
    assert lane.hot_reads.misses == 1
    assert lane.downstream.scopes == []
    assert request_scope["route"].path == "/v1/api/snippet/{short_id}"


async def test_a_cacheable_version_goes_on_to_the_route_to_be_cached() -> None:
    spent = decision(remaining=5)
    lane = make_lane(FakeHotRead(spent), FakeUncachedReads(body=None))
    assert (await lane.get(scope()))[0] == 204
    (passed,) = lane.downstream.scopes
    assert passed[PREPAID_DECISION] == PrepaidDecision("read", spent)
    assert lane.hot_reads.misses == 0  # the route counts its own


async def test_when_the_database_read_fails_the_route_answers_and_the_lane_reads_no_more() -> None:
    uncached = FakeUncachedReads(error=SnippetLookupUnavailable("connection refused"))
    lane = make_lane(FakeHotRead(decision()), uncached)
    assert (await lane.get(scope()))[0] == 204
    assert (await lane.get(scope()))[0] == 204
    assert len(uncached.queries) == 1  # paused: the second miss went straight on
    assert len(lane.hot_reads.calls) == 2  # Redis still answers for the lane
    assert all(PREPAID_DECISION in passed for passed in lane.downstream.scopes)


async def test_until_the_application_starts_the_lane_is_idle() -> None:
    downstream = Downstream()
    lane = Lane(
        FastReadLane(downstream, FastReadWiring()), downstream, FakeHotReads(None), FakeViews()
    )
    assert (await lane.get(scope()))[0] == 204
