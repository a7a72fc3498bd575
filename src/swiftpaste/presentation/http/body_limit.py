"""Refuse oversized request bodies with 413 before reading them in full."""

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from swiftpaste.presentation.http.errors import plain_text_error, wants_plain_text


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
                    await self._refuse(scope, send)
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

    async def _refuse(self, scope: Scope, send: Send) -> None:
        request_id = scope.get("state", {}).get("request_id")
        if wants_plain_text(scope):
            content_type = b"text/plain; charset=utf-8"
            body = plain_text_error("payload_too_large", self._message)
        else:
            content_type = b"application/json"
            body = json.dumps(
                {
                    "error": {
                        "code": "payload_too_large",
                        "message": self._message,
                        "details": None,
                        "requestId": request_id,
                    },
                },
            ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            },
        )
        await send({"type": "http.response.body", "body": body})
