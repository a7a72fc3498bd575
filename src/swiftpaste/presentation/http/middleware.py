"""Request context middleware: request id, security headers, access log and HTTP metrics.

Written as plain ASGI (not BaseHTTPMiddleware) because it wraps every request,
including the cache-hit read path, and must cost next to nothing.
"""

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from swiftpaste.presentation.http.metrics import (
    HTTP_REQUEST_ERRORS,
    HTTP_REQUEST_LATENCY,
    HTTP_REQUEST_SIZE,
    HTTP_REQUESTS,
    HTTP_RESPONSE_SIZE,
)

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


def _incoming_request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if _SANE_REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex


def _content_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


def route_template(scope: Scope) -> str:
    path: object = getattr(scope.get("route"), "path", None)
    if isinstance(path, str):
        return path
    return UNMATCHED_ROUTE


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = time.perf_counter()
        request_id = _incoming_request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        request_id_header = (b"x-request-id", request_id.encode("latin-1"))
        status = 500
        response_bytes = 0

        async def send_with_context(message: Message) -> None:
            nonlocal status, response_bytes
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"
                ]
                present = {k.lower() for k, _ in headers}
                headers.append(request_id_header)
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                message["headers"] = headers
            elif message["type"] == "http.response.body":
                response_bytes += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_with_context)
        finally:
            self._observe(scope, request_id, status, response_bytes, started)

    @staticmethod
    def _observe(
        scope: Scope, request_id: str, status: int, response_bytes: int, started: float
    ) -> None:
        elapsed = time.perf_counter() - started
        method: str = scope["method"]
        route = route_template(scope)
        status_label = str(status)
        HTTP_REQUESTS.labels(method, route, status_label).inc()
        if status >= 400:  # noqa: PLR2004
            HTTP_REQUEST_ERRORS.labels(method, route, status_label).inc()
        HTTP_REQUEST_LATENCY.labels(method, route).observe(elapsed)
        HTTP_REQUEST_SIZE.labels(method, route).observe(_content_length(scope))
        HTTP_RESPONSE_SIZE.labels(method, route).observe(response_bytes)
        extra: dict[str, Any] = {
            "request_id": request_id,
            "method": method,
            "route": route,
            "path": scope["path"],
            "status": status,
            "latency_ms": round(elapsed * 1000, 2),
            "client": (scope.get("client") or ("", 0))[0],
        }
        access_logger.info("%s %s %s", method, route, status, extra=extra)
