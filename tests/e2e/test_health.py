"""Health endpoints against real dependencies, including stopping them."""

import httpx

from tests.conftest import Servers, eventually


async def _ready(client: httpx.AsyncClient) -> httpx.Response:
    return await client.get("/v1/api/health/ready")


async def _eventually(client: httpx.AsyncClient, status: int) -> httpx.Response:
    """Readiness once it answers `status` (the broker connects in the background)."""

    async def answered() -> httpx.Response | None:
        response = await _ready(client)
        settled = response.json()["status"] in ("ok", "unavailable")
        return response if response.status_code == status and settled else None

    return await eventually(answered, within=10, interval=0.25, what=f"readiness {status}")


async def test_liveness_touches_nothing(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/api/health/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_with_every_dependency_up(client: httpx.AsyncClient) -> None:
    response = await _eventually(client, 200)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    for name in ("postgres", "redis", "kafka"):
        assert body["dependencies"][name]["status"] == "up", body


async def test_combined_report_gives_each_latency(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/api/health/")
    assert response.status_code == 200
    dependencies = response.json()["dependencies"]
    assert set(dependencies) == {"postgres", "redis", "kafka"}
    for report in dependencies.values():
        assert report["latency_ms"] >= 0


async def test_ready_is_503_while_postgres_is_stopped(
    client: httpx.AsyncClient, servers: Servers
) -> None:
    stack = servers.require_stack()
    stack.postgres.stop()
    try:
        down = await _ready(client)
        assert down.status_code == 503
        assert down.json()["dependencies"]["postgres"]["status"] == "down"
        # A request that needs the database gets a 503 envelope, not a 500.
        login = await client.post("/auth/jwt/login", data={"username": "x", "password": "y"})
        assert login.status_code == 503
        assert login.json()["error"]["code"] == "database_unavailable"
    finally:
        stack.postgres.start()
    assert (await _eventually(client, 200)).status_code == 200


async def test_redis_down_is_reported_degraded_not_unready(
    client: httpx.AsyncClient, servers: Servers
) -> None:
    stack = servers.require_stack()
    stack.valkey.stop()
    try:
        response = await _ready(client)
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "degraded"
        assert body["dependencies"]["redis"]["status"] == "degraded"
        assert body["dependencies"]["postgres"]["status"] == "up"
    finally:
        stack.valkey.start()
    assert (await _eventually(client, 200)).json()["dependencies"]["redis"]["status"] == "up"


async def test_kafka_down_is_reported_degraded_not_unready(
    client: httpx.AsyncClient, servers: Servers
) -> None:
    stack = servers.require_stack()
    stack.kafka.stop()
    try:
        response = await _ready(client)
        assert response.status_code == 200
        assert response.json()["dependencies"]["kafka"]["status"] == "degraded"
    finally:
        stack.kafka.start()
    assert (await _eventually(client, 200)).json()["dependencies"]["kafka"]["status"] == "up"
