"""The search lane: plain searches answered before FastAPI's routing.

`GET /v1/api/snippet/search` costs milliseconds of PostgreSQL and of highlighting, and
through FastAPI as much again in routing, parameter validation, dependency resolution,
a request-scoped container and the rate limiter's Redis client. This ASGI layer, beside
the fast read lane (inside the request-context middleware, so request ids, security
headers, the access log and the metrics are the same for it), answers that request
itself when it is plain:

- `GET` with no body, no `Origin` header when CORS is on, at most one
  `Authorization: Bearer <token>` header with a token the codec accepts (the same checks
  as the fast read lane, `fast_read.lane_headers`);
- a query string of exactly one non-empty `query`, and at most one each of `page` and
  `size` written as plain decimal numbers within the route's bounds, and of `author` and
  `language` with a non-empty value; nothing else (the dates, an unknown or repeated
  parameter go to the route, which validates them);
- one Redis round trip spends the read budget and, for a bearer token, checks the logout
  denylist (`HotReads.spend`, the rate limiter's own script and keys);
- the route's use case (`SearchSnippets`) and JSON writer (`search_page_json`) then make
  the answer, with the route's headers; a refused budget gets the route's 429, a refused
  query (422) or an unavailable database (503) the route's error handler's answer.

Anything else goes on to the route: a request it does not take, a Redis failure (the
route's limiter then fails open as it always did), and, carrying the budget already
spent (`rate_limit.PREPAID_DECISION`), a logged-out token (the route refuses it) or an
unexpected error (the route meets it again and answers as it always does).

Tests send every case to the lane and to the route alone and compare status, headers and
body byte for byte (`tests/search/test_search_lane.py`).
"""

from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import parse_qsl
from uuid import UUID

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from swiftpaste.application.errors import ApplicationError
from swiftpaste.application.ports.rate_limit import (
    RateLimitExceeded,
    RateLimitPolicy,
)
from swiftpaste.application.ports.security import AccessTokenCodec
from swiftpaste.application.search.search_snippets import (
    MAX_PAGE_SIZE,
    MAX_RESULT_WINDOW,
    SearchSnippets,
    SearchSnippetsQuery,
)
from swiftpaste.domain.errors import DomainError
from swiftpaste.presentation.http import search
from swiftpaste.presentation.http.errors import application_error_handler
from swiftpaste.presentation.http.fast_read import (
    HotRead,
    StepAside,
    answer_json,
    lane_headers,
    lane_reader,
)
from swiftpaste.presentation.http.rate_limit import (
    PREPAID_DECISION,
    PrepaidDecision,
    RateLimitSettings,
    rate_limit_exceeded_handler,
)

SEARCH_PATH = "/v1/api/snippet/search"
_PATIENCE_SECONDS = 0.25
_PAUSE_AFTER_FAILURE_SECONDS = 1.0
_NUMBERS = {"page": MAX_RESULT_WINDOW, "size": MAX_PAGE_SIZE}
"""The numeric parameters and their largest value (both start at 1)."""
_TEXTS = frozenset({"query", "author", "language"})


class SearchBudget(Protocol):
    async def spend(
        self,
        client_key: str,
        policy: RateLimitPolicy,
        revocation: tuple[str, UUID] | None = None,
    ) -> HotRead | None:
        """Spend one token of the caller's bucket; with `revocation` (a token id and session
        id), check the denylist as well. None when Redis could not answer."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FastSearchServices:
    budget: SearchBudget
    search: SearchSnippets
    limits: RateLimitSettings
    codec: AccessTokenCodec


@dataclass(slots=True)
class FastSearchWiring:
    """Filled in when the application starts (its lifespan); until then the lane is idle."""

    cors_enabled: bool = False
    services: FastSearchServices | None = field(default=None)


def _search_route() -> APIRoute:
    for route in search.router.routes:
        if isinstance(route, APIRoute) and route.path == SEARCH_PATH:
            return route
    raise LookupError("the search route is not registered")  # pragma: no cover


def plain_search(query_string: bytes) -> dict[str, str | int] | None:
    """The parameters of a plain search (see the module docstring); None otherwise.

    Decoded as Starlette decodes them (latin-1, then `parse_qsl` keeping blank values), so
    the lane reads exactly what the route reads.
    """
    parameters: dict[str, str | int] = {}
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name in parameters or not value:
            return None
        if name in _TEXTS:
            parameters[name] = value
            continue
        largest = _NUMBERS.get(name)
        if (
            largest is None
            or not value.isascii()
            or not value.isdigit()  # no sign, space, `_` or other digits
            or value[0] == "0"
            or len(value) > len(str(largest))
            or int(value) > largest
        ):
            return None
        parameters[name] = int(value)
    return parameters if "query" in parameters else None


def _search_query(parameters: dict[str, str | int], reader_id: UUID | None) -> SearchSnippetsQuery:
    def text(name: str) -> str | None:
        value = parameters.get(name)
        return value if isinstance(value, str) else None

    def number(name: str, default: int) -> int:
        value = parameters.get(name, default)
        return value if isinstance(value, int) else default

    return SearchSnippetsQuery(
        text=text("query") or "",
        reader_id=reader_id,
        page=number("page", 1),
        size=number("size", 20),
        author=text("author"),
        language=text("language"),
    )


class FastSearchLane:
    """Pure ASGI; see the module docstring. Place it inside the request-context middleware."""

    def __init__(
        self,
        app: ASGIApp,
        wiring: FastSearchWiring,
        patience_seconds: float = _PATIENCE_SECONDS,
    ) -> None:
        self.app = app
        self._wiring = wiring
        self._route = _search_route()
        self._redis = StepAside(
            "Redis", patience=patience_seconds, pause=_PAUSE_AFTER_FAILURE_SECONDS
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        services = self._wiring.services
        if (
            services is None
            or scope["type"] != "http"
            or scope["path"] != SEARCH_PATH
            or scope["method"] != "GET"
            or scope.get("root_path")
            or not self._redis.usable()
        ):
            await self.app(scope, receive, send)
            return
        parameters = plain_search(scope["query_string"])
        headers = lane_headers(scope, cors_enabled=self._wiring.cors_enabled)
        reader = (
            None
            if parameters is None or headers is None
            else lane_reader(services.limits, services.codec, headers, scope)
        )
        if parameters is None or reader is None:
            await self.app(scope, receive, send)
            return

        policy = services.limits.read
        spent = await services.budget.spend(reader.bucket_key, policy, reader.revocation)
        if spent is None:
            self._redis.failed("no answer")
            await self.app(scope, receive, send)
            return
        self._redis.succeeded()
        decision = spent.decision
        scope["route"] = self._route
        if not decision.allowed:
            error = RateLimitExceeded(policy.name, decision)
            response = await rate_limit_exceeded_handler(Request(scope, receive, send), error)
            await response(scope, receive, send)
            return
        asgi = (scope, receive, send)
        if spent.revoked:  # the route refuses the token (401)
            await self._prepaid(PrepaidDecision(policy.name, decision), asgi)
            return
        query = _search_query(parameters, reader.user_id)
        await self._search(services.search, query, PrepaidDecision(policy.name, decision), asgi)

    async def _search(
        self,
        search_snippets: SearchSnippets,
        query: SearchSnippetsQuery,
        spent: PrepaidDecision,
        asgi: tuple[Scope, Receive, Send],
    ) -> None:
        scope, receive, send = asgi
        try:
            found = await search_snippets(query)
        except (ApplicationError, DomainError) as refusal:  # 422, 503: the route's handler
            response = await application_error_handler(Request(scope, receive, send), refusal)
            await response(scope, receive, send)
            return
        except Exception:  # noqa: BLE001 - the route meets it again and answers as always
            await self._prepaid(spent, asgi)
            return
        await answer_json(send, spent.decision, search.search_page_json(found))

    async def _prepaid(self, spent: PrepaidDecision, asgi: tuple[Scope, Receive, Send]) -> None:
        """On to the route, which takes the budget as spent."""
        scope, receive, send = asgi
        scope[PREPAID_DECISION] = spent
        await self.app(scope, receive, send)
