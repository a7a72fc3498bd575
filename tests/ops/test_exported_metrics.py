"""The dashboards and alerts query only what the running processes export.

The processes are the real ones (`ops_stack`): the API under uvicorn with two workers
in prometheus-client's multiprocess mode, the relay, the three consumers and the
scheduler, exercised until every kind of sample exists, then scraped over HTTP the way
Prometheus scrapes them.
"""

import asyncio
import shutil
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from swiftpaste.presentation.http.metrics import FLUSH_SECONDS
from tests.ops.conftest import (
    HEALTH_ROUTE,
    STALE_PID,
    OpsStack,
    sample_names,
    sample_value,
)
from tests.ops.promql import SYNTHETIC_METRICS, selectors
from tests.ops.queries import promql_queries

PASSWORD = "ops test password"
THROTTLED_CLIENT = "203.0.113.99"  # a documentation address, only ever in a header


async def _exercise(stack: OpsStack) -> None:
    """One of everything: an account, a snippet (events), reads (views, cache), a 429."""
    async with httpx.AsyncClient(base_url=stack.api.base_url, timeout=10) as api:
        username = f"ops_{stack.environment['KAFKA_CONSUMER_GROUP_PREFIX'][-8:]}"
        registered = await api.post(
            "/auth/register",
            json={"email": f"{username}@example.com", "username": username, "password": PASSWORD},
        )
        assert registered.status_code == 201, registered.text
        login = await api.post("/auth/jwt/login", data={"username": username, "password": PASSWORD})
        token = login.json()["access_token"]
        created = await api.post(
            "/v1/api/snippet/",
            json={"title": "ops", "content": "print('ops')", "language": "python"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert created.status_code == 201, created.text
        short_id = created.json()["short_id"]
        for path in (f"/v1/api/snippet/{short_id}", f"/v1/api/snippet/{short_id}/raw"):
            for _ in range(2):  # a miss, then a hit
                assert (await api.get(path)).status_code == 200
        assert (await api.get("/v1/api/snippet/nosuchid")).status_code == 404
        for _ in range(int(stack.environment["RATE_LIMIT_WRITE_CAPACITY"]) + 5):
            refused = await api.post(
                "/auth/jwt/login",
                data={"username": "nobody", "password": "wrong password"},
                headers={"X-Forwarded-For": THROTTLED_CLIENT},
            )
            if refused.status_code == 429:
                break
        assert refused.status_code == 429, refused.text

    expectations = {
        "relay published": ("relay", "outbox_published_total", {"event_type": "snippet.created"}),
        "indexer indexed": ("consumer-indexer", "consumer_messages_total", {"outcome": "ok"}),
        "cache consumer handled": ("consumer-cache", "consumer_messages_total", {}),
        "views consumer counted": ("consumer-views", "views_consumed_total", {}),
        "scheduler ticked": ("scheduler", "scheduler_runs_total", {}),
        "indexer lag measured": ("consumer-indexer", "consumer_lag_errors_total", None),
        "views lag measured": ("consumer-views", "consumer_lag_errors_total", None),
    }

    async def unmet() -> list[str]:
        texts = {service: await stack.scrape(service) for service in stack.processes}
        missing = []
        for what, (service, name, labels) in expectations.items():
            if labels is None:  # a lag measurement: the gauge has a series
                if "consumer_lag{" not in texts[service]:
                    missing.append(what)
            elif sample_value(texts[service], name, labels) < 1:
                missing.append(what)
        return missing

    deadline = asyncio.get_running_loop().time() + 60
    while missing := await unmet():
        if asyncio.get_running_loop().time() > deadline:
            logs = "\n\n".join(f"{p.service}:\n{p.log_tail(15)}" for p in stack.processes.values())
            pytest.fail(f"not seen within 60s: {', '.join(missing)}\n{logs}")
        await asyncio.sleep(0.3)


@pytest.fixture(scope="module")
async def exported(ops_stack: OpsStack) -> dict[str, set[str]]:
    """Compose service -> names of the samples its process exports, after the traffic."""
    await _exercise(ops_stack)
    texts = await asyncio.gather(*(ops_stack.scrape(s) for s in ops_stack.processes))
    return {
        service: sample_names(text)
        for service, text in zip(ops_stack.processes, texts, strict=True)
    }


async def test_every_metric_the_dashboards_and_alerts_query_is_exported(
    exported: dict[str, set[str]],
) -> None:
    every_export = set().union(*exported.values()) | SYNTHETIC_METRICS
    missing = sorted(
        f"{query.where}: {selector.metric}"
        for query in promql_queries()
        for selector in selectors(query.expr)
        if selector.metric not in every_export
    )
    assert missing == []


async def test_a_query_pinned_to_a_job_finds_its_metric_in_that_process(
    exported: dict[str, set[str]],
) -> None:
    wrong = sorted(
        f"{query.where}: {selector.metric} is not exported by job {selector.job}"
        for query in promql_queries()
        for selector in selectors(query.expr)
        if selector.job is not None
        and selector.metric not in SYNTHETIC_METRICS
        and selector.metric not in exported.get(selector.job, set())
    )
    assert wrong == []


async def test_each_process_exports_its_own_families(exported: dict[str, set[str]]) -> None:
    assert "http_request_latency_seconds_bucket" in exported["api"]
    assert "views_dropped_total" in exported["api"]
    assert "outbox_backlog" in exported["relay"]
    for consumer in ("consumer-indexer", "consumer-views", "consumer-cache"):
        assert {"consumer_messages_total", "consumer_lag"} <= exported[consumer]
    assert "scheduler_runs_total" in exported["scheduler"]
    assert "http_requests_total" not in exported["relay"]


def _per_worker(multiproc_dir: Path, scratch: Path) -> dict[str, float]:
    """pid -> that worker's count of health requests, read from its own file alone."""
    counts = {}
    scratch.mkdir()
    for counter_file in sorted(multiproc_dir.glob("counter_*.db")):
        alone = scratch / counter_file.stem
        alone.mkdir()
        shutil.copy(counter_file, alone / counter_file.name)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(alone))  # type: ignore[no-untyped-call]
        text = generate_latest(registry).decode()
        labels = {"method": "GET", "route": HEALTH_ROUTE, "status": "200"}
        counts[counter_file.stem.removeprefix("counter_")] = sample_value(
            text, "http_requests_total", labels
        )
    return counts


async def test_the_api_adds_up_the_samples_of_its_workers(
    ops_stack: OpsStack, tmp_path: Path
) -> None:
    labels = {"method": "GET", "route": HEALTH_ROUTE, "status": "200"}
    health = ops_stack.api.base_url + HEALTH_ROUTE

    async def one_request() -> None:
        # A connection per request, so the kernel hands them to either worker.
        async with httpx.AsyncClient(timeout=10) as http:
            (await http.get(health)).raise_for_status()

    before = sample_value(await ops_stack.scrape("api"), "http_requests_total", labels)
    sent = 0
    for burst in range(10):
        await asyncio.gather(*(one_request() for _ in range(20)))
        sent += 20
        # Each worker hands its requests' samples to the shared files within FLUSH_SECONDS.
        await asyncio.sleep(FLUSH_SECONDS + 0.25)
        counts = _per_worker(ops_stack.multiproc_dir, tmp_path / f"burst-{burst}")
        busy = [pid for pid, count in counts.items() if count]
        if len(busy) >= 2:
            break
    after = sample_value(await ops_stack.scrape("api"), "http_requests_total", labels)

    assert len(busy) >= 2, "every request went to one worker; the sum proves nothing"
    assert str(STALE_PID) not in busy  # serve emptied the directory of the earlier run
    assert after - before == sent
