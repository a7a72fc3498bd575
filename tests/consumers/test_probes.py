"""A consumer answers liveness, readiness and metrics over HTTP."""

import httpx
from faststream.asgi import AsgiFastStream

from swiftpaste.main.consumers import build_consumer_app
from tests.conftest import Servers
from tests.consumers.conftest import consumer_settings, running


def client_of(app: AsgiFastStream) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://consumer")


async def test_health_readiness_and_metrics_of_a_running_consumer(
    servers: Servers, database_url: str
) -> None:
    settings = consumer_settings(servers, database_url, health_probe_timeout_seconds=0.5)
    app = build_consumer_app("cache", settings)
    async with client_of(app) as http:
        not_started = await http.get("/ready")
        assert not_started.status_code == 503
        assert not_started.json()["checks"]["kafka"].startswith("down")

        async with running(app):
            health = await http.get("/health")
            assert health.status_code == 200
            assert health.json() == {"status": "ok", "process": "consume-cache"}

            ready = await http.get("/ready")
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"] == {"kafka": "up", "postgres": "up", "redis": "up"}

            metrics = await http.get("/metrics")
            assert metrics.status_code == 200
            for name in (
                'consumer_messages_total{consumer="cache",outcome="ok"}',
                'consumer_messages_total{consumer="cache",outcome="dead_lettered"}',
                "consumer_processing_seconds_bucket",
                'consumer_dead_letters_total{consumer="cache"}',
                "views_consumed_total",
                "views_counted_total",
                "views_duplicates_skipped_total",
                "views_batch_size_bucket",
            ):
                assert name in metrics.text, name


async def test_only_the_cache_consumer_needs_redis_to_be_ready(
    servers: Servers, database_url: str
) -> None:
    settings = consumer_settings(servers, database_url, health_probe_timeout_seconds=0.2)
    for name in ("indexer", "views"):
        # Not started: the broker is down, but the report shows what readiness covers.
        app = build_consumer_app(name, settings)
        try:
            async with client_of(app) as http:
                ready = await http.get("/ready")
        finally:
            await app.stop()  # closes the container, and the engine the probe opened
        assert ready.status_code == 503
        assert ready.json()["checks"]["postgres"] == "up"
        assert set(ready.json()["checks"]) == {"kafka", "postgres"}
