"""The small HTTP face of the relay, the consumers and the scheduler.

`GET /health` answers 200 while the process runs (liveness); `GET /ready` answers
200 when the process can do its work and 503 otherwise (readiness, with the check
results as JSON); `GET /metrics` serves the Prometheus registry.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

ReadinessCheck = Callable[[], Awaitable[None]]
"""Raises (or times out) when the dependency it checks is not usable."""

Scope = Mapping[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


async def _respond(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
            ],
        },
    )
    await send({"type": "http.response.body", "body": body})


class WorkerProbes:
    """A pure ASGI app; mount it beside a worker or serve it on its own port."""

    def __init__(
        self,
        process: str,
        checks: Mapping[str, ReadinessCheck],
        *,
        timeout_seconds: float = 2.0,
        registry: CollectorRegistry = REGISTRY,
    ) -> None:
        self._process = process
        self._checks = dict(checks)
        self._timeout = timeout_seconds
        self._registry = registry

    async def readiness(self) -> tuple[bool, dict[str, str]]:
        async def run(check: ReadinessCheck) -> str:
            try:
                await asyncio.wait_for(check(), self._timeout)
            except Exception as error:  # noqa: BLE001 - any failure means "not ready"
                return f"down: {type(error).__name__}: {error}"[:300]
            return "up"

        names = list(self._checks)
        results = await asyncio.gather(*(run(self._checks[name]) for name in names))
        report = dict(zip(names, results, strict=True))
        return all(result == "up" for result in results), report

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        path = scope.get("path", "")
        if scope.get("method") not in {"GET", "HEAD"}:
            await _respond(send, 405, b'{"detail":"method not allowed"}', b"application/json")
        elif path.endswith("/health"):
            body = json.dumps({"status": "ok", "process": self._process}).encode()
            await _respond(send, 200, body, b"application/json")
        elif path.endswith("/ready"):
            ready, report = await self.readiness()
            body = json.dumps(
                {"status": "ready" if ready else "unavailable", "process": self._process}
                | {"checks": report},
            ).encode()
            await _respond(send, 200 if ready else 503, body, b"application/json")
        elif path.endswith("/metrics"):
            await _respond(send, 200, generate_latest(self._registry), CONTENT_TYPE_LATEST.encode())
        else:
            await _respond(send, 404, b'{"detail":"not found"}', b"application/json")
