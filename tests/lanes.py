"""A lane against the route alone: the harness of the read and search lanes' tests.

A lane is an ASGI layer that answers some requests before FastAPI's routing and must answer
them exactly as the route would. Its tests build two apps from the same settings, one with
the lane and one without it (the route alone, the reference), send each request to both
with the same X-Request-Id and from an address of its own (a fresh rate-limit bucket), and
compare status, headers and body byte for byte.
"""

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from dishka import Provider
from fastapi import FastAPI

from swiftpaste.main.api import make_api
from swiftpaste.main.settings import Settings


def fresh_address() -> str:
    """A client address no other request used: a fresh rate-limit bucket."""
    return f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}"


@dataclass
class Downstream:
    """Counts the requests the lane passes on to the route."""

    app: Any
    calls: int = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        await self.app(scope, receive, send)


@dataclass
class Api:
    app: FastAPI
    downstream: Downstream | None = None

    async def get(
        self,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        method: str = "GET",
        address: str | None = None,
    ) -> httpx.Response:
        transport = httpx.ASGITransport(app=self.app, client=(address or fresh_address(), 4321))
        async with httpx.AsyncClient(transport=transport, base_url="http://swiftpaste.test") as c:
            return await c.request(method, path, headers=headers)

    @property
    def passed_on(self) -> int:
        """Requests the lane passed on to the route so far."""
        assert self.downstream is not None
        return self.downstream.calls


def _spy_on_lane(app: FastAPI, lane_class: type) -> Downstream:
    """Wraps what the lane passes requests on to (the stack is built by the first request)."""
    layer: Any = app.middleware_stack
    while layer is not None and not isinstance(layer, lane_class):
        layer = getattr(layer, "app", None)
    assert layer is not None, "the lane is not in the middleware stack"
    found: Any = layer
    downstream = Downstream(found.app)
    found.app = downstream
    return downstream


@asynccontextmanager
async def running(
    settings: Settings, lane_class: type, *providers: Provider, lane: bool = True
) -> AsyncIterator[Api]:
    """The API with `lane_class` in its middleware stack, or (`lane=False`) without it."""
    app = make_api(settings, *providers)
    if not lane:
        lane_factory: object = lane_class
        app.user_middleware = [m for m in app.user_middleware if m.cls is not lane_factory]
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
        api = Api(app)
        await api.get("/v1/api/health/health")  # builds the middleware stack
        if lane:
            api.downstream = _spy_on_lane(app, lane_class)
        yield api


@dataclass
class Pair:
    lane: Api
    route: Api

    async def both(
        self, path: str, headers: dict[str, str] | None = None, method: str = "GET"
    ) -> tuple[httpx.Response, httpx.Response]:
        same_id = {"X-Request-Id": f"lane-{random.randrange(10**9)}", **(headers or {})}
        via_lane = await self.lane.get(path, headers=same_id, method=method)
        via_route = await self.route.get(path, headers=same_id, method=method)
        return via_lane, via_route
