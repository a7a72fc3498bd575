"""Refuse oversized request bodies with 413 before reading them in full."""

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from swiftpaste.presentation.http.errors import send_error


class BodyLimitMiddleware:
    """Checks Content-Length up front, and counts the bytes of bodies streamed without one."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                if value.isdigit() and int(value) > self.max_body_bytes:
                    await send_error(scope, send, 413, "payload_too_large", self._message)
                    return
                break

        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    # Body readers re-raise HTTPException, so this reaches the error
                    # handlers and becomes the 413 envelope.
                    raise HTTPException(413, self._message)
            return message

        await self.app(scope, counting_receive, send)

    @property
    def _message(self) -> str:
        return f"request body is larger than {self.max_body_bytes} bytes"
