"""The `swiftpaste` command as an operator runs it: configuration errors and `dev`."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.conftest import PROJECT_ROOT, SERVER_URL_VARIABLES, Servers, free_port

SETTINGS_PREFIXES = ("DATABASE_", "REDIS_", "KAFKA_", "JWT_", "ENVIRONMENT", "API_", "EMBEDDED_")


def _clean_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(SETTINGS_PREFIXES)}
    return {**env, **overrides}


def _swiftpaste(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "swiftpaste", *args],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_serve_without_required_settings_stops_naming_each_variable() -> None:
    result = _swiftpaste("serve", env=_clean_env())
    assert result.returncode == 2
    for variable in SERVER_URL_VARIABLES:
        assert variable in result.stderr


def test_production_refuses_a_short_jwt_secret() -> None:
    env = _clean_env(
        ENVIRONMENT="production",
        DATABASE_URL="postgresql://u@127.0.0.1:1/db",
        REDIS_URL="redis://127.0.0.1:1/0",
        KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1",
        JWT_SECRET="too-short",
    )
    result = _swiftpaste("serve", env=env)
    assert result.returncode == 2
    assert "JWT_SECRET" in result.stderr


def test_invalid_values_are_named() -> None:
    env = _clean_env(
        DATABASE_URL="mysql://nope",
        REDIS_URL="redis://127.0.0.1:1/0",
        KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1",
        API_PORT="not-a-port",
    )
    result = _swiftpaste("serve", env=env)
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr
    assert "API_PORT" in result.stderr


def _wait_ready(port: int, deadline_seconds: float) -> httpx.Response:
    deadline = time.monotonic() + deadline_seconds
    last: httpx.Response | None = None
    while time.monotonic() < deadline:
        try:
            last = httpx.get(f"http://127.0.0.1:{port}/v1/api/health/ready", timeout=2)
            if last.status_code == 200 and last.json()["status"] == "ok":
                return last
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail(f"not ready within {deadline_seconds}s: {last.text if last else 'no answer'}")


WORKER_PORT_VARIABLES = (
    "RELAY_HTTP_PORT",
    "INDEXER_HTTP_PORT",
    "VIEWS_HTTP_PORT",
    "CACHE_HTTP_PORT",
    "SCHEDULER_HTTP_PORT",
)


def _worker_ports() -> dict[str, str]:
    return {name: str(free_port()) for name in WORKER_PORT_VARIABLES}


def _wait_workers_ready(env: dict[str, str], deadline_seconds: float) -> None:
    """Every worker `dev` runs (relay, three consumers, scheduler) answers /ready with 200."""
    deadline = time.monotonic() + deadline_seconds
    waiting = {name: int(env[name]) for name in WORKER_PORT_VARIABLES}
    while waiting and time.monotonic() < deadline:
        for name, port in list(waiting.items()):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                    del waiting[name]
            except httpx.TransportError:
                pass
        time.sleep(0.5)
    assert not waiting, f"not ready within {deadline_seconds}s: {sorted(waiting)}"


def _run_dev_until_ready(env: dict[str, str], api_port: int) -> tuple[list[int], str]:
    """Start `swiftpaste dev`, wait until the API and every worker are ready, stop it (Ctrl-C)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "swiftpaste", "dev"],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_ready(api_port, deadline_seconds=60)
        _wait_workers_ready(env, deadline_seconds=60)
        descendants = [child.pid for child in psutil.Process(process.pid).children(recursive=True)]
        # Ctrl-C in a terminal reaches the whole process group, and `uv run` forwards it
        # once more: the second interrupt must not break the orderly shutdown.
        process.send_signal(signal.SIGINT)
        time.sleep(0.3)
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    assert "Traceback" not in output, output
    return descendants, output


def _assert_all_gone(pids: list[int]) -> None:
    deadline = time.monotonic() + 10
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if psutil.pid_exists(pid) and _not_zombie(pid)]
        time.sleep(0.2)
    assert alive == [], f"processes left behind: {alive}"


def _not_zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_dev_with_server_urls_starts_no_server_and_stops_cleanly(
    servers: Servers, database_url: str, tmp_path: Path
) -> None:
    api_port = free_port()
    env = _clean_env(
        DATABASE_URL=database_url,
        REDIS_URL=servers.endpoints.redis_url,
        KAFKA_BOOTSTRAP_SERVERS=servers.endpoints.kafka_bootstrap_servers,
        API_PORT=str(api_port),
        SWIFTPASTE_DATA_DIR=str(tmp_path / "data"),
        **_worker_ports(),
    )
    descendants, output = _run_dev_until_ready(env, api_port)
    assert "using the servers named by" in output
    assert not (tmp_path / "data").exists()
    _assert_all_gone(descendants)
    # The API's access log: one JSON line per request, as operators read it.
    access = [
        json.loads(line[line.index("{") :])
        for line in output.splitlines()
        if '"logger":"swiftpaste.access"' in line
    ]
    ready = [entry for entry in access if entry["route"] == "/v1/api/health/ready"]
    assert ready, output
    assert ready[-1]["status"] == 200
    assert ready[-1]["message"] == "GET /v1/api/health/ready 200"
    assert ready[-1]["process_name"] == "api"
    assert len(ready[-1]["request_id"]) == 32


def test_dev_starts_the_embedded_servers_and_stops_everything(tmp_path: Path) -> None:
    api_port = free_port()
    env = _clean_env(
        API_PORT=str(api_port),
        SWIFTPASTE_DATA_DIR=str(tmp_path / "data"),
        EMBEDDED_POSTGRES_PORT=str(free_port()),
        EMBEDDED_REDIS_PORT=str(free_port()),
        EMBEDDED_KAFKA_PORT=str(free_port()),
        **_worker_ports(),
    )
    descendants, output = _run_dev_until_ready(env, api_port)
    assert "applying migrations" in output
    for process in ("api", "relay", "indexer", "views", "cache", "scheduler"):
        assert f"starting {process}:" in output
    _assert_all_gone(descendants)
    assert (tmp_path / "data" / "postgres" / "PG_VERSION").exists()
