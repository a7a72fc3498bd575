"""The API application factory."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from dishka import AsyncContainer, Provider, make_async_container
from dishka.integrations.fastapi import FastapiProvider
from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.types import ASGIApp

from swiftpaste.application.ports.rate_limit import RateLimitExceeded
from swiftpaste.infrastructure.messaging.views import KafkaViewPublisher
from swiftpaste.main.heap import settle_after_startup
from swiftpaste.main.logging import DirectJsonLines, configure_logging
from swiftpaste.main.providers import service_providers
from swiftpaste.main.settings import Settings, load_settings
from swiftpaste.presentation.http import (
    access_tokens,
    auth,
    health,
    paste,
    reads,
    search,
    snippets,
    users,
)
from swiftpaste.presentation.http.body_limit import BodyLimitMiddleware
from swiftpaste.presentation.http.errors import (
    describe_errors,
    install_error_handlers,
    unavailable_handler,
)
from swiftpaste.presentation.http.header_limit import HeaderLimitMiddleware
from swiftpaste.presentation.http.metrics import HTTP_METRICS
from swiftpaste.presentation.http.middleware import RequestContextMiddleware, access_logger
from swiftpaste.presentation.http.rate_limit import rate_limit_exceeded_handler
from swiftpaste.presentation.web import accounts, browse, pages, snippet_forms

_QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE when statement_timeout cancels a query

API_DESCRIPTION = (
    "Paste code or text, get a short link; edits become immutable versions that can be "
    "public, private or shared for a limited time."
)


def make_container(settings: Settings, *providers: Provider) -> AsyncContainer:
    """The API's container; extra providers (tests) override the defaults."""
    return make_async_container(
        *service_providers(),
        FastapiProvider(),
        *providers,
        context={Settings: settings},
    )


class SwiftPasteApi(FastAPI):
    """FastAPI with one layer around its whole middleware stack.

    Starlette puts its last-resort error middleware (the catch-all 500) outside every
    middleware an application adds. The request-context middleware goes around it
    instead, so that answer gets the request id, the security headers, the metrics and
    the access-log line like every other.
    """

    around_stack: Callable[[ASGIApp], ASGIApp] | None = None

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        return stack if self.around_stack is None else self.around_stack(stack)

    def openapi(self) -> dict[str, Any]:
        """FastAPI's document, with every error answer in the envelope (`describe_errors`)."""
        if self.openapi_schema is None:
            describe_errors(super().openapi())
        return super().openapi()


def make_api(settings: Settings, *providers: Provider, settle_heap: bool = False) -> FastAPI:
    """The API; `settle_heap` (a process of its own, as `serve` runs it): once started,
    settle the garbage collector (`heap.settle_after_startup`)."""
    container = make_container(settings, *providers)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Kafka may be away at start: the publisher connects in the background while
        # the API serves (readiness reports Kafka degraded until then).
        views = await container.get(KafkaViewPublisher)
        views.start()
        if settle_heap:
            settle_after_startup()
        try:
            yield
        finally:
            await views.stop()
            await container.close()
            HTTP_METRICS.flush()  # the last requests' samples, before the process ends

    app = SwiftPasteApi(
        title="SwiftPaste",
        version="0.1.0",
        description=API_DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url="/redoc",
        openapi_url="/openapi.json",
        # FastAPI's own OpenTelemetry: off, as nothing here configures OpenTelemetry (the
        # metrics are Prometheus', the logs JSON lines); left on, it still asks the global
        # providers on every request whether they were configured since.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    # Search before the reads, whose `{short_id}` would take `search` too; the reads, the
    # busiest routes, before the rest: routes are matched in this order.
    routers = (
        search.router,
        reads.router,
        snippets.router,
        auth.router,
        access_tokens.router,
        users.router,
        paste.router,
        health.router,
        # The pages last: `/{short_id}` would take any one-segment path before them.
        browse.router,
        accounts.router,
        snippet_forms.router,
        pages.router,
    )
    for router in routers:
        app.include_router(router)
    install_error_handlers(app)
    app.add_exception_handler(RateLimitExceeded, rate_limit_exceeded_handler)
    _install_infrastructure_error_handlers(app)
    if settings.cors_allow_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_allow_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "X-Request-Id",
                "Idempotency-Key",
                "If-Match",
                "If-None-Match",
                "X-Delete-Token",
            ],
            expose_headers=[
                "X-Request-Id",
                "ETag",
                "Location",
                "X-Delete-Token",
                "X-Snippet-Id",
                "Retry-After",
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
            ],
        )
    # The request scope is opened by the routes that need one (RequestScopedRoute).
    app.state.dishka_container = container
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.request_body_limit)
    app.add_middleware(
        HeaderLimitMiddleware,
        max_headers=settings.max_request_headers,
        max_header_bytes=settings.max_request_header_bytes,
    )
    # Around everything, the catch-all 500 included: it sees every request and response.
    app.around_stack = partial(
        RequestContextMiddleware,
        trusted_proxies=tuple(settings.trusted_proxies),
        access_lines=DirectJsonLines(access_logger),
    )
    return app


_database_unavailable = unavailable_handler(
    "database_unavailable", "the database is unavailable or timed out; try again shortly"
)


async def _database_error(request: Request, error: Exception) -> Response:
    if _means_database_unavailable(error):
        response: Response = await _database_unavailable(request, error)
        return response
    raise error  # anything else is a bug: the catch-all answers 500 with the envelope


def _means_database_unavailable(error: Exception) -> bool:
    """Connection refused, lost or timed out, pool exhausted, or statement_timeout hit."""
    if isinstance(error, OperationalError | InterfaceError | PoolTimeoutError | OSError):
        return True
    if isinstance(error, DBAPIError):
        driver_error = error.orig
        sqlstate = getattr(driver_error, "sqlstate", None) or getattr(
            getattr(driver_error, "__cause__", None), "sqlstate", None
        )
        return error.connection_invalidated or sqlstate == _QUERY_CANCELED
    return False


def _install_infrastructure_error_handlers(app: FastAPI) -> None:
    """PostgreSQL unreachable or too slow is a 503 the client may retry, not a 500."""
    for error_type in (DBAPIError, PoolTimeoutError, OSError):
        app.add_exception_handler(error_type, _database_error)


def create_app() -> FastAPI:
    """Entry point for uvicorn (`factory=True`): settings from the environment."""
    settings = load_settings()
    configure_logging(settings.log_level, process="api")
    return make_api(settings, settle_heap=True)
