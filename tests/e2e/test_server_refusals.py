"""Refusals at the edge of the real server (`swiftpaste serve`): every one in the envelope.

What uvicorn cannot parse, it answers itself (400); headers too many or too large reach the
application, which answers 431. Raw sockets, since no HTTP client sends such requests.
"""

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from swiftpaste.main.settings import Settings
from swiftpaste.presentation.http.middleware import SECURITY_HEADERS
from tests.conftest import PROJECT_ROOT, free_port


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class RunningServer:
    port: int

    def exchange(self, request: bytes) -> RawResponse:
        """Send `request` as it is and read the answer up to the end of its body."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as connection:
            # The server may answer and close before it has read all of the request.
            with contextlib.suppress(OSError):
                connection.sendall(request)
            received = b""
            while b"\r\n\r\n" not in received:
                chunk = connection.recv(65536)
                assert chunk, f"connection closed before an answer: {received!r}"
                received += chunk
            head, _, body = received.partition(b"\r\n\r\n")
            status_line, *header_lines = head.decode("latin-1").split("\r\n")
            headers = {}
            for line in header_lines:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers["content-length"])
            while len(body) < length:
                chunk = connection.recv(65536)
                assert chunk
                body += chunk
        return RawResponse(int(status_line.split()[1]), headers, body[:length])


@pytest.fixture(scope="module")
def server(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    port = free_port()
    names = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k not in names}
    env |= {
        "ENVIRONMENT": "test",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "JWT_SECRET": settings.jwt_secret_value,
        "API_WORKERS": "1",
    }
    log: Path = tmp_path_factory.mktemp("serve") / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "swiftpaste", "serve", "--port", str(port)],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/v1/api/health/health", timeout=2)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"swiftpaste serve did not start:\n{log.read_text()}")
                time.sleep(0.2)
        yield RunningServer(port)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _assert_envelope(response: RawResponse, status: int, code: str) -> None:
    assert response.status == status, response
    assert response.headers["content-type"] == "application/json"
    for name, value in SECURITY_HEADERS:
        assert response.headers[name.decode()] == value.decode()
    error = json.loads(response.body)["error"]
    assert set(error) == {"code", "message", "details", "requestId"}
    assert error["code"] == code
    assert error["message"]
    assert error["requestId"] == response.headers["x-request-id"]


HEALTH_REQUEST = b"GET /v1/api/health/health HTTP/1.1\r\nHost: x\r\n"
MALFORMED = {
    "a malformed request line": b"GARBAGE\r\n\r\n",
    "a NUL in a header": b"GET / HTTP/1.1\r\nHost: x\r\nX-Note: a\x00b\r\n\r\n",
    "a URL over 64 KiB": b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "a byte that is not ASCII in the path": b"GET /\xff HTTP/1.1\r\nHost: x\r\n\r\n",
}


@pytest.mark.parametrize("request_bytes", MALFORMED.values(), ids=MALFORMED.keys())
def test_what_the_server_cannot_parse_is_refused_in_the_envelope(
    server: RunningServer, request_bytes: bytes
) -> None:
    _assert_envelope(server.exchange(request_bytes), 400, "bad_request")


def test_one_huge_header_is_refused_with_431(server: RunningServer) -> None:
    huge = b"X-Big: " + b"a" * (1024 * 1024) + b"\r\n"
    response = server.exchange(HEALTH_REQUEST + huge + b"\r\n")
    _assert_envelope(response, 431, "headers_too_large")


def test_too_many_headers_are_refused_with_431(server: RunningServer) -> None:
    many = b"".join(b"X-H%d: v\r\n" % number for number in range(20_000))
    response = server.exchange(HEALTH_REQUEST + many + b"\r\n")
    _assert_envelope(response, 431, "headers_too_large")


def test_ordinary_headers_pass(server: RunningServer) -> None:
    usual = b"".join(b"X-H%d: %s\r\n" % (number, b"v" * 100) for number in range(40))
    response = server.exchange(HEALTH_REQUEST + b"Connection: close\r\n" + usual + b"\r\n")
    assert response.status == 200
