"""Refuse requests with too many or too large headers with 431, before any route runs.

uvicorn (with httptools) reads header fields of any size and number into memory and
hands them all to the application; this is the limit a proxy in front would otherwise
be the only one to set.
"""

from starlette.types import ASGIApp, Receive, Scope, Send

from swiftpaste.presentation.http.errors import send_error


class HeaderLimitMiddleware:
    """At most `max_headers` header fields, of at most `max_header_bytes` (names and values)."""

    def __init__(self, app: ASGIApp, max_headers: int, max_header_bytes: int) -> None:
        self.app = app
        self.max_headers = max_headers
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = scope["headers"]
            if len(headers) > self.max_headers:
                message = (
                    f"the request has {len(headers)} header fields; at most"
                    f" {self.max_headers} are allowed"
                )
                await send_error(scope, send, 431, "headers_too_large", message)
                return
            size = sum(len(name) + len(value) for name, value in headers)
            if size > self.max_header_bytes:
                message = (
                    f"the request's headers are {size} bytes; at most"
                    f" {self.max_header_bytes} are allowed"
                )
                await send_error(scope, send, 431, "headers_too_large", message)
                return
        await self.app(scope, receive, send)
