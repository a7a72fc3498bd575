"""What the operations checks share: the files under docker/, and the processes they run.

`ops_stack` starts the processes the compose app file runs (`swiftpaste serve` with two
uvicorn workers, the relay, the three consumers, the scheduler), each exactly as its
compose service's command says, against the session's real PostgreSQL, Redis and Kafka
(a database, topics and consumer groups of their own), so the tests can scrape what
Prometheus would scrape.
"""

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.parser import text_string_to_metric_families

from swiftpaste.main.settings import Settings
from tests.conftest import PROJECT_ROOT, Servers, free_port, scratch_database

DOCKER = PROJECT_ROOT / "docker"
COMPOSE_FILES = {
    "infra": DOCKER / "compose.infra.yaml",
    "app": DOCKER / "compose.app.yaml",
    "monitoring": DOCKER / "compose.monitoring.yaml",
}
PGBOUNCER_OVERRIDE = DOCKER / "compose.pgbouncer.yaml"
DOCKER_ENV = PROJECT_ROOT / "env" / "docker.env"
API_METRICS_PATH = "/v1/api/health/metrics"
WORKER_METRICS_PATH = "/metrics"
# A stale sample left in the multiprocess directory by an "earlier run": must not count.
STALE_PID = 999_999
STALE_COUNT = 1000.0
HEALTH_ROUTE = "/v1/api/health/health"


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for raw_line in path.read_text(encoding="utf-8").splitlines():
        line = raw_line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    return values


def port_setting(command: Sequence[str]) -> str:
    """The Settings field holding the port the `swiftpaste COMMAND` process listens on."""
    match list(command):
        case ["serve", *_]:
            return "api_port"
        case ["relay"]:
            return "relay_http_port"
        case ["consume", name]:
            return f"{name}_http_port"
        case ["scheduler"]:
            return "scheduler_http_port"
    raise AssertionError(f"no HTTP port for `swiftpaste {' '.join(command)}`")


def metrics_path(command: Sequence[str]) -> str:
    return API_METRICS_PATH if command[0] == "serve" else WORKER_METRICS_PATH


def app_processes() -> dict[str, list[str]]:
    """Compose service -> `swiftpaste` arguments, for every long-running SwiftPaste process."""
    services = load_yaml(COMPOSE_FILES["app"])["services"]
    return {
        name: list(service["command"])
        for name, service in services.items()
        if str(service.get("image", "")).startswith("swiftpaste/") and name != "migrate"
    }


def sample_names(metrics_text: str) -> set[str]:
    """Names of the samples in a Prometheus exposition (`x_total`, `x_bucket`, ...)."""
    return {
        sample.name
        for family in text_string_to_metric_families(metrics_text)
        for sample in family.samples
    }


def sample_value(metrics_text: str, name: str, labels: Mapping[str, str] | None = None) -> float:
    """The sum of the samples called `name` whose labels include `labels` (0 if none)."""
    wanted = dict(labels or {})
    return sum(
        sample.value
        for family in text_string_to_metric_families(metrics_text)
        for sample in family.samples
        if sample.name == name and wanted.items() <= sample.labels.items()
    )


@dataclass
class RunningProcess:
    service: str
    command: list[str]
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def metrics_url(self) -> str:
        return self.base_url + metrics_path(self.command)

    @property
    def ready_url(self) -> str:
        path = "/v1/api/health/ready" if self.command[0] == "serve" else "/ready"
        return self.base_url + path

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class OpsStack:
    processes: dict[str, RunningProcess]
    environment: dict[str, str]
    multiproc_dir: Path
    database_url: str

    @property
    def api(self) -> RunningProcess:
        return self.processes["api"]

    async def scrape(self, service: str) -> str:
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.get(self.processes[service].metrics_url)
        response.raise_for_status()
        return response.text


def _environment(settings_overrides: Mapping[str, str]) -> dict[str, str]:
    # Nothing of the developer's own configuration leaks into the processes.
    setting_names = {name.upper() for name in Settings.model_fields}
    inherited = {k: v for k, v in os.environ.items() if k not in setting_names}
    return inherited | dict(settings_overrides)


def _seed_stale_sample(directory: Path) -> None:
    stale = MmapedDict(str(directory / f"counter_{STALE_PID}.db"))  # type: ignore[no-untyped-call]
    key = mmap_key(
        "http_requests",
        "http_requests_total",
        ["method", "route", "status"],
        ["GET", HEALTH_ROUTE, "200"],
        "HTTP requests answered.",
    )
    stale.write_value(key, STALE_COUNT, 0.0)  # type: ignore[no-untyped-call]
    stale.close()  # type: ignore[no-untyped-call]


def _stop(running: RunningProcess) -> None:
    if running.process.poll() is None:
        os.killpg(running.process.pid, signal.SIGTERM)
        try:
            running.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(running.process.pid, signal.SIGKILL)
            running.process.wait(timeout=10)


async def _wait_ready(processes: Sequence[RunningProcess], within: float = 120.0) -> None:
    pending = list(processes)
    deadline = asyncio.get_running_loop().time() + within
    async with httpx.AsyncClient(timeout=3) as http:
        while pending:
            for running in list(pending):
                if running.process.poll() is not None:
                    pytest.fail(f"{running.service} exited:\n{running.log_tail()}")
                try:
                    if (await http.get(running.ready_url)).status_code == 200:
                        pending.remove(running)
                except httpx.TransportError:
                    pass
            if asyncio.get_running_loop().time() > deadline:
                report = "\n\n".join(f"{p.service}:\n{p.log_tail()}" for p in pending)
                pytest.fail(f"not ready within {within}s:\n{report}")
            await asyncio.sleep(0.3)


@pytest.fixture(scope="session")
def ops_stack(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpsStack]:
    """The compose app's processes, running, ready, and torn down at the end of the session."""
    from swiftpaste.main.migrations import upgrade

    work = tmp_path_factory.mktemp("ops-stack")
    multiproc_dir = work / "metrics"
    multiproc_dir.mkdir()
    _seed_stale_sample(multiproc_dir)
    tag = f"ops{uuid.uuid4().hex[:10]}"
    with scratch_database(servers, "swiftpaste_ops") as database_url:
        upgrade(database_url)
        commands = app_processes()
        ports = {service: free_port() for service in commands}
        settings: dict[str, str] = {
            "ENVIRONMENT": "test",
            "JWT_SECRET": "ops-test-secret-" + "x" * 40,
            "DATABASE_URL": database_url,
            "REDIS_URL": servers.endpoints.redis_url,
            "KAFKA_BOOTSTRAP_SERVERS": servers.endpoints.kafka_bootstrap_servers,
            "KAFKA_SNIPPET_EVENTS_TOPIC": f"{tag}.snippet-events",
            "KAFKA_SNIPPET_EVENTS_PARTITIONS": "2",
            "KAFKA_SNIPPET_VIEWS_TOPIC": f"{tag}.snippet-views",
            "KAFKA_SNIPPET_VIEWS_PARTITIONS": "2",
            "KAFKA_DEAD_LETTER_TOPIC": f"{tag}.dead-letters",
            "KAFKA_CONSUMER_GROUP_PREFIX": tag,
            "KAFKA_SESSION_TIMEOUT_MS": "6000",
            "KAFKA_HEARTBEAT_INTERVAL_MS": "1000",
            "API_HOST": "127.0.0.1",
            "API_WORKERS": "2",
            "PROMETHEUS_MULTIPROC_DIR": str(multiproc_dir),
            "WORKER_HTTP_HOST": "127.0.0.1",
            "CONSUMER_LAG_INTERVAL_SECONDS": "0.5",
            "SCHEDULER_INTERVAL_SECONDS": "0.5",
            "OUTBOX_POLL_INTERVAL_SECONDS": "0.2",
            "ARGON2_TIME_COST": "2",
            "ARGON2_MEMORY_COST_KIB": str(19 * 1024),
            "ARGON2_PARALLELISM": "1",
            "RATE_LIMIT_READ_CAPACITY": "1000000",
            "RATE_LIMIT_WRITE_CAPACITY": "20",
            # Tests speak for several clients through X-Forwarded-For, as nginx would.
            "TRUSTED_PROXIES": "127.0.0.1/32",
            "PUBLIC_BASE_URL": "http://127.0.0.1",
        }
        settings |= {
            port_setting(command).upper(): str(ports[service])
            for service, command in commands.items()
        }
        environment = _environment(settings)
        started: dict[str, RunningProcess] = {}
        try:
            for service, command in commands.items():
                log = work / f"{service}.log"
                with log.open("wb") as output:
                    process = subprocess.Popen(
                        [sys.executable, "-m", "swiftpaste", *command],
                        env=environment,
                        cwd=PROJECT_ROOT,
                        stdout=output,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,  # its own group: stopped with its children
                    )
                started[service] = RunningProcess(service, command, ports[service], process, log)
            asyncio.run(_wait_ready(list(started.values())))
            yield OpsStack(started, environment, multiproc_dir, database_url)
        finally:
            for running in started.values():
                _stop(running)
