"""The fast read lane: snippet reads answered before FastAPI's routing.

`GET /v1/api/snippet/{short_id}` is most of the traffic. Through FastAPI it pays for
routing, dependency resolution, a request-scoped container, a Redis round trip per concern
(rate limit, token denylist, cache) and, on a cache miss, a SQLAlchemy session (a pinged
pool checkout, BEGIN, the SELECT, ROLLBACK): several times the cost of the answer itself.
This ASGI layer, inside the request-context middleware (so request ids, security headers,
the access log and the metrics are the same for it), answers that request itself:

- it takes only `GET` of a valid short id, with no body, no `Origin` header when CORS is
  on, at most one `Authorization: Bearer <token>` header (with a token in the plain
  compact form), and no query parameters other than one `version` and/or one `v` written
  as plain decimal numbers in range (and equal when both are given) and one `token` made
  of URL-safe characters only (so it reads the same decoded), as long as the route allows;
- a bearer token must pass the codec (the rate limiter's cache of verified tokens, so a
  client's token is verified once, not per request); one that does not goes to the route
  untouched, which refuses it as it always did;
- one Redis round trip then spends the read budget (per user, or per client address),
  checks a bearer token against the logout denylist, and fetches the cached bytes
  (`HotReads`);
- a hit is answered with the bytes, status and headers the route would send, the view is
  recorded and `cache_hit_total` counted; an empty bucket gets the route's very 429 (same
  handler);
- on a miss, one prepared statement reads PostgreSQL (`ReadUncachedSnippet`, the route's
  access rules over the same renderer): a private version the reader may see is answered
  here (private versions are never cached, so this is every read of one), and so is
  every 404 and 410, by the route's own error handler; a public version goes on to the
  route, which reads it again and caches it;
- whatever goes on to the route after the budget was spent carries the decision already
  taken (`rate_limit.PREPAID_DECISION`), so the budget is spent once per request; so does
  a revoked token, which the route then refuses;
- anything else, and any failure of Redis or of the lane's database reads, goes on to the
  route: it stays the reference implementation, and fails open or answers 503 as it
  always did. Once failures go on for a quarter of a second, the lane (or only its
  database reads) steps aside for a second at a time, so during an outage reads pay only
  the route's own timeouts, not the lane's as well; failures that come together and
  pass (a burst of timeouts while connections open) do not send every read the costly
  way for a second.

Tests send every case to the lane and to the route alone and compare status, headers and
body byte for byte (`tests/e2e/test_fast_read.py`).
"""

import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol
from uuid import UUID

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from swiftpaste.application.ports.rate_limit import (
    RateLimitDecision,
    RateLimitExceeded,
    RateLimitPolicy,
)
from swiftpaste.application.ports.security import AccessTokenCodec
from swiftpaste.application.ports.snippets import SnippetLookupUnavailable, ViewRecorder
from swiftpaste.application.ports.system import Clock
from swiftpaste.application.snippets.read_snippet import ReadSnippetQuery
from swiftpaste.domain.errors import DomainError
from swiftpaste.domain.events import SnippetViewed
from swiftpaste.domain.snippets import is_short_id
from swiftpaste.presentation.http import snippets
from swiftpaste.presentation.http.errors import application_error_handler
from swiftpaste.presentation.http.rate_limit import (
    PREPAID_DECISION,
    PrepaidDecision,
    RateLimitSettings,
    anonymous_client_key,
    rate_limit_exceeded_handler,
    verified_token,
)

logger = logging.getLogger(__name__)

READ_PATH_PREFIX = "/v1/api/snippet/"
READ_ROUTE = READ_PATH_PREFIX + "{short_id}"
_PREFIX_LENGTH = len(READ_PATH_PREFIX)
_MAX_VERSION = 2**31 - 1  # as the route's `VersionParam`
_MAX_VERSION_DIGITS = len(str(_MAX_VERSION))
_VERSION_PARAMS = frozenset({b"version", b"v"})
_SHARE_TOKEN_PARAM = b"token"
_MAX_SHARE_TOKEN_LENGTH = 256  # as the route's `ShareToken`
_MAX_ACCESS_TOKEN_LENGTH = 4096
_BEARER = b"Bearer "
# Base64url and dots, as access and share tokens are written: nothing a URL or header
# parser would decode, trim or split, so the lane reads exactly what the route reads.
_TOKEN = re.compile(rb"[A-Za-z0-9_.\-]+")
_PAUSE_AFTER_FAILURE_SECONDS = 1.0
_PATIENCE_SECONDS = 0.25
_JSON = b"application/json"


class HotRead(Protocol):
    """What one round trip to Redis told: the rate-limit decision and, on a hit, the body."""

    @property
    def decision(self) -> RateLimitDecision: ...

    @property
    def snippet_id(self) -> UUID | None: ...

    @property
    def body(self) -> bytes | None: ...

    @property
    def revoked(self) -> bool:
        """The access token checked is on the logout denylist (then there is no body)."""


class HotReads(Protocol):
    async def read(
        self,
        client_key: str,
        policy: RateLimitPolicy,
        short_id: str,
        version: int | None,
        revocation: tuple[str, UUID] | None = None,
    ) -> HotRead | None:
        """Spend one token of the caller's bucket and look the version up in the cache;
        with `revocation` (a token id and session id), check the denylist as well.

        None when Redis could not answer: nothing is known, the regular path takes over.
        """

    def count_miss(self) -> None:
        """Count a cache miss the lane answered itself (the route counts its own)."""


UncachedReads = Callable[[ReadSnippetQuery], Awaitable[bytes | None]]
"""`ReadUncachedSnippet`: the body, None for a version the cache may hold; raises the domain's
errors, and SnippetLookupUnavailable when the database cannot answer."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FastReadServices:
    hot_reads: HotReads
    views: ViewRecorder
    clock: Clock
    limits: RateLimitSettings
    codec: AccessTokenCodec
    uncached_reads: UncachedReads | None = None
    """None: the lane reads no database, every miss goes on to the route."""


@dataclass(slots=True)
class FastReadWiring:
    """Filled in when the application starts (its lifespan); until then the lane is idle."""

    cors_enabled: bool = False
    services: FastReadServices | None = field(default=None)


# The lane's own transient records are plain slotted dataclasses: a frozen one costs three
# times as much to build, and a request builds several.
@dataclass(slots=True)
class _HotRequest:
    short_id: str
    version: int | None
    forwarded_for: str | None
    access_token: str | None = None
    share_token: str | None = None


def _read_route() -> APIRoute:
    for route in snippets.router.routes:
        if (
            isinstance(route, APIRoute)
            and route.path == READ_ROUTE
            and "GET" in (route.methods or ())
        ):
            return route
    raise LookupError("the snippet read route is not registered")  # pragma: no cover


@dataclass(slots=True)
class _Query:
    version: int | None = None
    share_token: str | None = None


_PLAIN_QUERY = _Query()


def _query(query: bytes) -> _Query | None:  # noqa: PLR0911 - one return per reason to decline
    """The query string of at most one `version`, one `v` and one `token`; None otherwise."""
    if not query:
        return _PLAIN_QUERY
    numbers: dict[bytes, int] = {}
    share_token: str | None = None
    for pair in query.split(b"&"):
        name, equals, value = pair.partition(b"=")
        if not equals:
            return None
        if name == _SHARE_TOKEN_PARAM:
            if (
                share_token is not None
                or len(value) > _MAX_SHARE_TOKEN_LENGTH
                or not _TOKEN.fullmatch(value)  # also refuses the empty value
            ):
                return None
            share_token = value.decode("ascii")
            continue
        if (
            name not in _VERSION_PARAMS
            or name in numbers
            or not value.isdigit()  # ASCII digits only: no sign, space, `_` or escapes
            or value[0] == 48  # noqa: PLR2004 - b"0": no leading zero (and not zero)
            or len(value) > _MAX_VERSION_DIGITS
        ):
            return None
        number = int(value)
        if number > _MAX_VERSION:
            return None
        numbers[name] = number
    versions = set(numbers.values())
    if len(versions) > 1:
        return None  # `version` and `v` disagree: the route's 422
    return _Query(versions.pop() if versions else None, share_token)


def _access_token(authorization: bytes) -> str | None:
    """The token of `Bearer <token>` in the form the route reads the same; else None."""
    if not authorization.startswith(_BEARER):
        return None
    token = authorization[len(_BEARER) :]
    if len(token) > _MAX_ACCESS_TOKEN_LENGTH or not _TOKEN.fullmatch(token):
        return None
    return token.decode("ascii")


@dataclass(slots=True)
class LaneHeaders:
    access_token: str | None
    forwarded_for: str | None


def lane_headers(scope: Scope, *, cors_enabled: bool) -> LaneHeaders | None:
    """What a lane needs of the headers, if none of them sends the request to the route:
    no body, no `Origin` when CORS is on, at most one plain bearer token (shared with the
    search lane, `fast_search`)."""
    forwarded: list[str] = []
    access_token: str | None = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            if access_token is not None:
                return None  # several: which one counts is the route's business
            access_token = _access_token(value)
            if access_token is None:
                return None
        elif name == b"transfer-encoding" or (name == b"origin" and cors_enabled):
            return None
        elif name == b"content-length":
            if value != b"0":
                return None
        elif name == b"x-forwarded-for":
            forwarded.append(value.decode("latin-1"))
    # Several X-Forwarded-For headers are one comma-separated list, as the route reads them.
    return LaneHeaders(access_token, ",".join(forwarded) or None)


def hot_request(scope: Scope, *, cors_enabled: bool) -> _HotRequest | None:
    """The request, if it is a plain read the lane may answer; else None."""
    if scope["method"] != "GET" or scope.get("root_path"):
        return None
    path: str = scope["path"]
    if not path.startswith(READ_PATH_PREFIX):
        return None
    short_id = path[_PREFIX_LENGTH:]
    if not is_short_id(short_id):
        return None
    query = _query(scope["query_string"])
    if query is None:
        return None
    headers = lane_headers(scope, cors_enabled=cors_enabled)
    if headers is None:
        return None
    return _HotRequest(
        short_id,
        query.version,
        headers.forwarded_for,
        headers.access_token,
        query.share_token,
    )


@dataclass(slots=True)
class LaneReader:
    """Whose budget the request spends, who reads, and which token to check for logout."""

    bucket_key: str
    user_id: UUID | None = None
    revocation: tuple[str, UUID] | None = None


def lane_reader(
    limits: RateLimitSettings, codec: AccessTokenCodec, headers: LaneHeaders, scope: Scope
) -> LaneReader | None:
    """The reader: the bearer token's user, else the client address; None for a token the
    codec refuses (the route then refuses it too, after spending the budget of the
    caller's address, as it always did)."""
    if headers.access_token is None:
        client = scope.get("client")
        key = anonymous_client_key(
            client[0] if client else None, headers.forwarded_for, limits.trusted_proxies
        )
        return LaneReader(key)
    verified = verified_token(codec, headers.access_token)
    if verified is None:
        return None
    claims = verified.claims
    return LaneReader(verified.bucket_key, claims.user_id, (claims.token_id, claims.session_id))


class StepAside:
    """When to leave a failing dependency (Redis, the lane's database reads) to the route.

    Failures that come together and pass (a burst of requests timing out at once while
    connections open, a stall of the machine) are not an outage: stepping aside then would
    only send every read the costly way for a second. So the lane steps aside once its
    failures have gone on, without a success in between, for `patience` seconds; then
    for `pause` seconds at a time, trying again after each.
    """

    def __init__(self, what: str, *, patience: float, pause: float) -> None:
        self._what = what
        self._patience = patience
        self._pause = pause
        self._failing_since = 0.0
        self._paused_until = 0.0

    def usable(self) -> bool:
        return not self._paused_until or time.monotonic() >= self._paused_until

    def succeeded(self) -> None:
        self._failing_since = self._paused_until = 0.0

    def failed(self, failure: object) -> None:
        now = time.monotonic()
        if not self._failing_since:
            self._failing_since = now
        if now - self._failing_since < self._patience:
            return
        if not self._paused_until:  # it worked until now: say so once, not per request
            logger.warning(
                "fast read lane: %s failed (%s); reads take the regular path, and the lane"
                " tries again every %.0fs",
                self._what,
                failure,
                self._pause,
            )
        self._paused_until = now + self._pause


class FastReadLane:
    """Pure ASGI; see the module docstring. Place it inside the request-context middleware."""

    def __init__(
        self,
        app: ASGIApp,
        wiring: FastReadWiring,
        patience_seconds: float = _PATIENCE_SECONDS,
    ) -> None:
        self.app = app
        self._wiring = wiring
        self._route = _read_route()
        pause = _PAUSE_AFTER_FAILURE_SECONDS
        self._redis = StepAside("Redis", patience=patience_seconds, pause=pause)
        self._database = StepAside("its database read", patience=patience_seconds, pause=pause)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        services = self._wiring.services
        if services is None or scope["type"] != "http" or not self._redis.usable():
            await self.app(scope, receive, send)
            return
        request = hot_request(scope, cors_enabled=self._wiring.cors_enabled)
        reader = (
            None
            if request is None
            else lane_reader(
                services.limits,
                services.codec,
                LaneHeaders(request.access_token, request.forwarded_for),
                scope,
            )
        )
        if request is None or reader is None:
            await self.app(scope, receive, send)
            return

        policy = services.limits.read
        hot_reads = services.hot_reads
        found = await hot_reads.read(
            reader.bucket_key, policy, request.short_id, request.version, reader.revocation
        )
        if found is None:
            self._redis.failed("no answer")
            await self.app(scope, receive, send)
            return
        self._redis.succeeded()
        decision = found.decision
        if not decision.allowed:
            scope["route"] = self._route
            error = RateLimitExceeded(policy.name, decision)
            response = await rate_limit_exceeded_handler(Request(scope, receive, send), error)
            await response(scope, receive, send)
            return
        body = found.body
        snippet_id = found.snippet_id
        if body is not None and snippet_id is not None:
            scope["route"] = self._route
            services.views.record(
                SnippetViewed(
                    snippet_id=snippet_id,
                    short_id=request.short_id,
                    version=request.version,
                    occurred_at=services.clock.now(),
                ),
            )
            await answer_json(send, decision, body)
            return
        uncached_reads = services.uncached_reads
        if (
            found.revoked  # the route refuses the token (401)
            or uncached_reads is None
            or not self._database.usable()
        ):
            await self._prepaid(scope, receive, send, policy, decision)
            return
        query = ReadSnippetQuery(
            short_id=request.short_id,
            version=request.version,
            reader_id=reader.user_id,
            share_token=request.share_token,
        )
        await self._read_uncached(
            uncached_reads, hot_reads, query, (scope, receive, send), policy, decision
        )

    async def _read_uncached(
        self,
        uncached_reads: UncachedReads,
        hot_reads: HotReads,
        query: ReadSnippetQuery,
        asgi: tuple[Scope, Receive, Send],
        policy: RateLimitPolicy,
        decision: RateLimitDecision,
    ) -> None:
        """A cache miss: answered from the database, unless the version may be cached."""
        scope, receive, send = asgi
        try:
            body = await uncached_reads(query)
        except DomainError as refusal:  # 404, 410: the route's answer, by its handler
            self._database.succeeded()
            hot_reads.count_miss()
            scope["route"] = self._route
            response = await application_error_handler(Request(scope, receive, send), refusal)
            await response(scope, receive, send)
            return
        except SnippetLookupUnavailable as failure:
            self._database.failed(failure)
            await self._prepaid(scope, receive, send, policy, decision)
            return
        self._database.succeeded()
        if body is None:  # a public version: the route reads it again, and caches it
            await self._prepaid(scope, receive, send, policy, decision)
            return
        hot_reads.count_miss()
        scope["route"] = self._route
        await answer_json(send, decision, body)

    async def _prepaid(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        policy: RateLimitPolicy,
        decision: RateLimitDecision,
    ) -> None:
        """On to the route, which takes the budget as spent."""
        scope[PREPAID_DECISION] = PrepaidDecision(policy.name, decision)
        await self.app(scope, receive, send)


async def answer_json(send: Send, decision: RateLimitDecision, body: bytes) -> None:
    """A lane's 200, as its route sends it: the rate-limit headers, then the `Response`'s."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"ratelimit-limit", b"%d" % decision.limit),
                (b"ratelimit-remaining", b"%d" % decision.remaining),
                (b"ratelimit-reset", b"%d" % decision.reset_seconds),
                (b"content-length", b"%d" % len(body)),
                (b"content-type", _JSON),
            ],
        },
    )
    await send({"type": "http.response.body", "body": body})
