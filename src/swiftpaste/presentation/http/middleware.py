"""Request context middleware: request id, security headers, access log and HTTP metrics.

Written as plain ASGI (not BaseHTTPMiddleware) because it wraps every request,
including the cache-hit read path, and must cost next to nothing.
"""

import logging
import os
import re
import time
from collections.abc import Sequence
from typing import Any, Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from swiftpaste.presentation.http.metrics import HTTP_METRICS, HttpMetrics
from swiftpaste.presentation.http.rate_limit import IPNetwork, client_address

access_logger = logging.getLogger("swiftpaste.access")

# An incoming id is kept only if it is short and made of safe characters, so it
# cannot inject anything into logs or headers.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
UNMATCHED_ROUTE = "<unmatched>"

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


_SECURITY_HEADER_NAMES = frozenset(name for name, _ in SECURITY_HEADERS)
_FRAME_OPTIONS = b"x-frame-options"
_CSP = b"content-security-policy"


def _request_headers(scope: Scope) -> tuple[str, int]:
    """The request id to use (the incoming one if sane) and the announced body size."""
    request_id: str | None = None
    content_length: int | None = None
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            if request_id is None:
                candidate: str = value.decode("latin-1")
                # Only the first header counts: an insane one is replaced, not skipped.
                request_id = candidate if _SANE_REQUEST_ID.fullmatch(candidate) else ""
        elif name == b"content-length" and content_length is None:
            try:
                content_length = int(value)
            except ValueError:
                content_length = 0
    return request_id or new_request_id(), content_length or 0


def new_request_id() -> str:
    """32 hex digits, as uuid4().hex, without building a UUID: one is made per request."""
    return os.urandom(16).hex()


def route_template(scope: Scope) -> str:
    path: object = getattr(scope.get("route"), "path", None)
    if isinstance(path, str):
        return path
    return UNMATCHED_ROUTE


class AccessLines(Protocol):
    def write(self, message: str, fields: dict[str, Any]) -> bool:
        """Write the access log's line at INFO, as the logger would; False when it cannot
        (the line then goes through `logging`)."""


class RequestContextMiddleware:
    """Request id, security headers, metrics by route template and the access log line.

    The logged `client` is the direct peer, or the address behind it when the peer is
    one of `trusted_proxies` (the rule the rate limiter uses), so logs behind nginx name
    the real client.
    """

    def __init__(
        self,
        app: ASGIApp,
        trusted_proxies: Sequence[IPNetwork] = (),
        access_lines: AccessLines | None = None,
        metrics: HttpMetrics = HTTP_METRICS,
    ) -> None:
        self.app = app
        self._metrics = metrics
        self._trusted_proxies = tuple(trusted_proxies)
        self._access_lines = access_lines

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = time.perf_counter()
        request_id, request_bytes = _request_headers(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        request_id_header = (b"x-request-id", request_id.encode("latin-1"))
        status = 500
        response_bytes = 0

        async def send_with_context(message: Message) -> None:
            nonlocal status, response_bytes
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = []
                present = set()
                for header in message.get("headers", ()):
                    name = header[0].lower()
                    if name != b"x-request-id":
                        headers.append(header)
                        if name in _SECURITY_HEADER_NAMES:
                            present.add(name)
                        elif name == _CSP:
                            # A page's own policy says who may frame it (frame-ancestors).
                            present.add(_FRAME_OPTIONS)
                headers.append(request_id_header)
                if present:
                    headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                else:
                    headers.extend(SECURITY_HEADERS)
                message["headers"] = headers
            elif message["type"] == "http.response.body":
                response_bytes += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_with_context)
        finally:
            self._observe(scope, request_id, status, request_bytes, response_bytes, started)

    def _client(self, scope: Scope) -> str:
        peer: str = (scope.get("client") or ("", 0))[0]
        if not self._trusted_proxies:
            return peer
        forwarded = None
        for name, value in scope["headers"]:
            if name == b"x-forwarded-for":
                forwarded = value.decode("latin-1")
                break
        return client_address(peer or None, forwarded, self._trusted_proxies)

    def _observe(
        self,
        scope: Scope,
        request_id: str,
        status: int,
        request_bytes: int,
        response_bytes: int,
        started: float,
    ) -> None:
        elapsed = time.perf_counter() - started
        method: str = scope["method"]
        route = route_template(scope)
        self._metrics.observe(
            method,
            route,
            status,
            seconds=elapsed,
            request_bytes=request_bytes,
            response_bytes=response_bytes,
        )
        if not access_logger.isEnabledFor(logging.INFO):
            return
        extra: dict[str, Any] = {
            "request_id": request_id,
            "method": method,
            "route": route,
            "path": scope["path"],
            "status": status,
            "latency_ms": round(elapsed * 1000, 2),
            "client": self._client(scope),
        }
        lines = self._access_lines
        if lines is None or not lines.write(f"{method} {route} {status}", extra):
            access_logger.info("%s %s %s", method, route, status, extra=extra)
