"""The HTTP server's own refusals, in the error envelope like every other answer.

uvicorn answers a request it cannot parse (a malformed request line, a NUL or another
forbidden byte in a header, a URL over 64 KiB) itself, before the application sees it,
in plain text. `swiftpaste serve` runs this protocol instead, which writes that answer as
the envelope, with a request id and the security headers.
"""

import json
import logging

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from swiftpaste.presentation.http.errors import envelope
from swiftpaste.presentation.http.middleware import SECURITY_HEADERS, new_request_id

logger = logging.getLogger("swiftpaste.http")

MALFORMED_REQUEST = "the request is not valid HTTP/1.1 (request line, header or URL)"


class EnvelopeHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol whose 400 for an unparsable request is the envelope."""

    def send_400_response(self, msg: str) -> None:
        request_id = new_request_id()
        body = json.dumps(envelope("bad_request", MALFORMED_REQUEST, None, request_id)).encode()
        lines = [b"HTTP/1.1 400 Bad Request\r\n"]
        headers = [
            *self.server_state.default_headers,
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
            (b"x-request-id", request_id.encode()),
            *SECURITY_HEADERS,
        ]
        lines += [name + b": " + value + b"\r\n" for name, value in headers]
        self.transport.write(b"".join([*lines, b"\r\n", body]))
        self.transport.close()
        logger.warning(
            "malformed request refused: %s",
            msg,
            extra={"request_id": request_id, "client": (self.client or ("", 0))[0]},
        )
