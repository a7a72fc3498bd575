"""The access log names the real client behind trusted proxies, and only behind them."""

import logging
from ipaddress import ip_network
from typing import Any

import pytest

from swiftpaste.presentation.http.middleware import RequestContextMiddleware
from swiftpaste.presentation.http.rate_limit import IPNetwork

NGINX = "172.28.0.10"
TRUSTED: tuple[IPNetwork, ...] = (ip_network(f"{NGINX}/32"),)


async def _logged_client(
    peer: str, forwarded_for: str | None, trusted: tuple[IPNetwork, ...], caplog: Any
) -> str:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        return None

    headers = [(b"x-forwarded-for", forwarded_for.encode())] if forwarded_for else []
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/somewhere",
        "headers": headers,
        "client": (peer, 40000),
    }
    caplog.clear()
    with caplog.at_level("INFO", logger="swiftpaste.access"):
        await RequestContextMiddleware(app, trusted_proxies=trusted)(scope, receive, send)
    (record,) = caplog.records
    client: str = record.__dict__["client"]
    return client


async def test_behind_a_trusted_proxy_the_forwarded_client_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert await _logged_client(NGINX, "203.0.113.7", TRUSTED, caplog) == "203.0.113.7"


async def test_a_forwarded_header_from_an_untrusted_peer_is_ignored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert await _logged_client("198.51.100.9", "203.0.113.7", TRUSTED, caplog) == "198.51.100.9"


async def test_without_trusted_proxies_the_peer_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert await _logged_client(NGINX, "203.0.113.7", (), caplog) == NGINX


async def test_without_the_direct_writer_the_line_goes_through_logging(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.clear()
    with caplog.at_level("INFO", logger="swiftpaste.access"):
        await _logged_client("198.51.100.9", None, (), caplog)
    (made,) = caplog.records
    assert made.name == "swiftpaste.access"
    assert made.levelno == logging.INFO
    assert made.getMessage() == "GET <unmatched> 204"
    assert made.__dict__["status"] == 204
    assert {name: made.__dict__[name] for name in EXTRAS}.keys() == set(EXTRAS)


EXTRAS = ("request_id", "method", "route", "path", "status", "latency_ms", "client")
