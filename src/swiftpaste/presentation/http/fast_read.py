"""The fast read lane: the anonymous cache-hit read, answered before FastAPI's routing.

`GET /v1/api/snippet/{short_id}` of a public snippet, by a caller without a token, is most
of the traffic and, on a cache hit, needs nothing but Redis: one round trip that spends the
read budget and fetches the stored response bytes (see `HotReads`). Through FastAPI that
request also pays for routing, dependency resolution, a request-scoped container and a
second Redis round trip, several times the cost of the answer itself. This ASGI layer,
inside the request-context middleware (so request ids, security headers, the access log and
the metrics are the same for it), answers exactly that request itself:

- it takes only `GET` of a valid short id, with no `Authorization` header, no body, no
  `Origin` header when CORS is on, and no query parameters other than one `version` and/or
  one `v` written as plain decimal numbers in range (and equal when both are given);
- a hit is answered with the bytes, status and headers the route would send, the view is
  recorded and `cache_hit_total` counted;
- an empty bucket is answered with the route's very 429 (same handler);
- a miss goes on to the route, carrying the decision already taken
  (`rate_limit.PREPAID_DECISION`), so the budget is spent once per request;
- anything else, and any Redis failure, goes on to the route untouched: it stays the
  reference implementation, and fails open as it always did. After a Redis failure the
  lane steps aside for a second at a time, so during an outage reads pay only the route's
  own Redis timeouts, not the lane's as well.
"""

import logging
import time
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
from swiftpaste.application.ports.snippets import ViewRecorder
from swiftpaste.application.ports.system import Clock
from swiftpaste.domain.events import SnippetViewed
from swiftpaste.domain.snippets import is_short_id
from swiftpaste.presentation.http import snippets
from swiftpaste.presentation.http.rate_limit import (
    PREPAID_DECISION,
    PrepaidDecision,
    RateLimitSettings,
    anonymous_client_key,
    rate_limit_exceeded_handler,
)

logger = logging.getLogger(__name__)

READ_PATH_PREFIX = "/v1/api/snippet/"
READ_ROUTE = READ_PATH_PREFIX + "{short_id}"
_PREFIX_LENGTH = len(READ_PATH_PREFIX)
_MAX_VERSION = 2**31 - 1  # as the route's `VersionParam`
_MAX_VERSION_DIGITS = len(str(_MAX_VERSION))
_VERSION_PARAMS = frozenset({b"version", b"v"})
_PAUSE_AFTER_FAILURE_SECONDS = 1.0
_JSON = b"application/json"


class HotRead(Protocol):
    """What one round trip to Redis told: the rate-limit decision and, on a hit, the body."""

    @property
    def decision(self) -> RateLimitDecision: ...

    @property
    def snippet_id(self) -> UUID | None: ...

    @property
    def body(self) -> bytes | None: ...


class HotReads(Protocol):
    async def read(
        self, client_key: str, policy: RateLimitPolicy, short_id: str, version: int | None
    ) -> HotRead | None:
        """Spend one token of the caller's bucket and look the version up in the cache.

        None when Redis could not answer: nothing is known, the regular path takes over.
        """


@dataclass(frozen=True, slots=True, kw_only=True)
class FastReadServices:
    hot_reads: HotReads
    views: ViewRecorder
    clock: Clock
    limits: RateLimitSettings


@dataclass(slots=True)
class FastReadWiring:
    """Filled in when the application starts (its lifespan); until then the lane is idle."""

    cors_enabled: bool = False
    services: FastReadServices | None = field(default=None)


@dataclass(frozen=True, slots=True)
class _HotRequest:
    short_id: str
    version: int | None
    forwarded_for: str | None


def _read_route() -> APIRoute:
    for route in snippets.router.routes:
        if (
            isinstance(route, APIRoute)
            and route.path == READ_ROUTE
            and "GET" in (route.methods or ())
        ):
            return route
    raise LookupError("the snippet read route is not registered")  # pragma: no cover


def _version(query: bytes) -> tuple[bool, int | None]:
    """(acceptable, version) for a query string of at most one `version` and one `v`."""
    if not query:
        return True, None
    found: dict[bytes, int] = {}
    for pair in query.split(b"&"):
        name, equals, value = pair.partition(b"=")
        if (
            not equals
            or name not in _VERSION_PARAMS
            or name in found
            or not value.isdigit()  # ASCII digits only: no sign, space, `_` or escapes
            or value[0] == 48  # noqa: PLR2004 - b"0": no leading zero (and not zero)
            or len(value) > _MAX_VERSION_DIGITS
        ):
            return False, None
        number = int(value)
        if number > _MAX_VERSION:
            return False, None
        found[name] = number
    numbers = set(found.values())
    if len(numbers) != 1:
        return False, None  # `version` and `v` disagree: the route's 422
    return True, numbers.pop()


def hot_request(  # noqa: PLR0911 - one return per reason to decline
    scope: Scope, *, cors_enabled: bool
) -> _HotRequest | None:
    """The request, if it is an anonymous plain read the lane may answer; else None."""
    if scope["method"] != "GET" or scope.get("root_path"):
        return None
    path: str = scope["path"]
    if not path.startswith(READ_PATH_PREFIX):
        return None
    short_id = path[_PREFIX_LENGTH:]
    if not is_short_id(short_id):
        return None
    acceptable, version = _version(scope["query_string"])
    if not acceptable:
        return None
    forwarded: list[str] = []
    for name, value in scope["headers"]:
        if name == b"authorization" or name == b"transfer-encoding":  # noqa: PLR1714
            return None
        if name == b"content-length":
            if value != b"0":
                return None
        elif name == b"x-forwarded-for":
            forwarded.append(value.decode("latin-1"))
        elif name == b"origin" and cors_enabled:
            return None
    # Several X-Forwarded-For headers are one comma-separated list, as the route reads them.
    return _HotRequest(short_id, version, ",".join(forwarded) or None)


class FastReadLane:
    """Pure ASGI; see the module docstring. Place it inside the request-context middleware."""

    def __init__(self, app: ASGIApp, wiring: FastReadWiring) -> None:
        self.app = app
        self._wiring = wiring
        self._route = _read_route()
        self._paused_until = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        services = self._wiring.services
        if (
            services is None
            or scope["type"] != "http"
            or (self._paused_until and time.monotonic() < self._paused_until)
        ):
            await self.app(scope, receive, send)
            return
        request = hot_request(scope, cors_enabled=self._wiring.cors_enabled)
        if request is None:
            await self.app(scope, receive, send)
            return

        limits = services.limits
        client = scope.get("client")
        client_key = anonymous_client_key(
            client[0] if client else None, request.forwarded_for, limits.trusted_proxies
        )
        policy = limits.read
        found = await services.hot_reads.read(client_key, policy, request.short_id, request.version)
        if found is None:
            self._pause()
            await self.app(scope, receive, send)
            return
        self._paused_until = 0.0
        decision = found.decision
        if not decision.allowed:
            scope["route"] = self._route
            error = RateLimitExceeded(policy.name, decision)
            response = await rate_limit_exceeded_handler(Request(scope, receive, send), error)
            await response(scope, receive, send)
            return
        body = found.body
        snippet_id = found.snippet_id
        if body is None or snippet_id is None:
            scope[PREPAID_DECISION] = PrepaidDecision(policy.name, decision)
            await self.app(scope, receive, send)
            return

        scope["route"] = self._route
        services.views.record(
            SnippetViewed(
                snippet_id=snippet_id,
                short_id=request.short_id,
                version=request.version,
                occurred_at=services.clock.now(),
            ),
        )
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

    def _pause(self) -> None:
        if not self._paused_until:  # it worked until now: say so once, not per request
            logger.warning(
                "fast read lane: Redis did not answer; reads take the regular path,"
                " and the lane tries again every %.0fs",
                _PAUSE_AFTER_FAILURE_SECONDS,
            )
        self._paused_until = time.monotonic() + _PAUSE_AFTER_FAILURE_SECONDS
