"""What every benchmark suite shares: the processes it starts and stops, the servers, reports.

A suite (see `bench/suites/`) gets a `Session`. The session starts what the suite asks for
(the embedded servers and the API, or the stack named by `BENCH_BASE_URL`; the bare app; the
load generator) and stops everything it started when it closes, on Ctrl-C and SIGTERM too.
Every child runs in its own process group, is told to die with the runner (PR_SET_PDEATHSIG)
should the runner be killed outright, and is stopped by its pid: SIGTERM to its group, then
SIGKILL.
"""

import contextlib
import ctypes
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self
from urllib.parse import urlsplit

import httpx

if TYPE_CHECKING:
    from swiftpaste.devstack.embedded import EmbeddedStack

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "bench"
REPORTS_DIR = BENCH_DIR / "reports"
DATA_DIR = ROOT / ".data" / "bench"
HOST = "127.0.0.1"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})

MAX_DURATION_SECONDS = 600
READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0
LOAD_EXTRA_SECONDS = 60.0  # the load generator's start-up and summary on top of the duration
LOG_TAIL_LINES = 30

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_DURATION = re.compile(r"(\d+)(s|m)")
_DURATION_UNITS = {"s": 1, "m": 60}

# The API's settings the runner passes; everything else stays at the defaults an operator gets.
SERVER_URL_VARIABLES = ("DATABASE_URL", "REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS")


class BenchError(RuntimeError):
    """The benchmark cannot go on: a server did not start, wrk failed, a request was refused."""


def say(message: str) -> None:
    sys.stdout.write(f"bench | {message}\n")
    sys.stdout.flush()


def utc_stamp() -> str:
    return datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%SZ")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def parse_duration(text: str) -> int:
    """Whole seconds in a duration (`20s`, `1m`, `1m30s`), bounded by MAX_DURATION_SECONDS."""
    parts = _DURATION.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise ValueError(f"not a duration: {text!r} (use e.g. 20s, 1m, 1m30s)")
    seconds = sum(int(number) * _DURATION_UNITS[unit] for number, unit in parts)
    if not 0 < seconds <= MAX_DURATION_SECONDS:
        raise ValueError(f"duration {text} must be more than 0 and at most {MAX_DURATION_SECONDS}s")
    return seconds


def require_loopback(url: str) -> str:
    """The URL without a trailing slash, if it names a loopback address; else refuse it."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or parts.hostname is None:
        raise BenchError(f"not an http(s) URL: {url!r}")
    hostname = parts.hostname
    if hostname not in LOOPBACK_HOSTS and not hostname.startswith("127."):
        raise BenchError(
            f"{url} is not a loopback address: the benchmark only targets this machine"
        )
    return url.rstrip("/")


def _child_setup(cpus: frozenset[int] | None) -> Callable[[], None] | None:
    """preexec_fn: SIGTERM the child when the runner's main thread exits; pin it to `cpus`."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # loaded before the fork

    def setup() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if cpus:
            os.sched_setaffinity(0, cpus)

    return setup


@dataclass(frozen=True)
class CpuPlan:
    """With --pin: the server under test on one CPU, the load generator on the others."""

    server: frozenset[int] | None = None
    load: frozenset[int] | None = None

    @classmethod
    def split(cls) -> "CpuPlan":
        usable = sorted(os.sched_getaffinity(0))
        if len(usable) < 2:  # noqa: PLR2004 - one for the server, one for the load generator
            raise BenchError("--pin needs at least 2 usable CPUs")
        return cls(frozenset(usable[:1]), frozenset(usable[1:]))

    def as_json(self) -> dict[str, list[int] | None]:
        return {
            "server": sorted(self.server) if self.server else None,
            "load": sorted(self.load) if self.load else None,
        }


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return "    (no log)"
    tail = text.rstrip().splitlines()[-lines:] or ["(empty)"]
    return "\n".join(f"    {line}" for line in tail)


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None


class Processes:
    """Children started by the runner, each the leader of its own process group."""

    def __init__(self) -> None:
        self._children: list[Child] = []

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        log_path: Path,
        cpus: frozenset[int] | None = None,
    ) -> Child:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                env=dict(env),
                # Ctrl-C reaches only the runner, which stops the children itself, in order.
                start_new_session=True,
                preexec_fn=_child_setup(cpus),  # noqa: PLW1509 - two system calls
            )
        child = Child(name, process, log_path)
        self._children.append(child)
        return child

    @property
    def children(self) -> list[Child]:
        return list(self._children)

    def stop(self, child: Child, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """SIGTERM to the child's process group (its pid), then SIGKILL. Idempotent."""
        if child.running():
            self._signal_group(child, signal.SIGTERM)
            try:
                child.process.wait(timeout)
            except subprocess.TimeoutExpired:
                say(
                    f"{child.name} (pid {child.pid}) did not stop within {timeout:.0f}s: killing it"
                )
                self._signal_group(child, signal.SIGKILL)
                child.process.wait(timeout)
        else:
            child.process.wait()  # it has exited: this only reaps it
        if child in self._children:
            self._children.remove(child)

    def stop_all(self) -> None:
        for child in reversed(list(self._children)):
            self.stop(child)

    @staticmethod
    def _signal_group(child: Child, signum: signal.Signals) -> None:
        # The group was created by start_new_session for this child: its id is the child's pid.
        # Only signalled while the child is alive or unreaped, so the id cannot have been reused.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signum)


def wait_until_ready(url: str, child: Child | None, timeout: float = READY_TIMEOUT_SECONDS) -> None:
    """Poll `url` until it answers 200; fail early if `child` exits."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as client:
        while True:
            if child is not None and not child.running():
                raise BenchError(
                    f"{child.name} exited with status {child.process.returncode} during start-up;"
                    f" last lines of {child.log_path}:\n{log_tail(child.log_path)}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if client.get(url).status_code == httpx.codes.OK:
                    return
            if time.monotonic() > deadline:
                where = f"; see {child.log_path}" if child is not None else ""
                raise BenchError(f"{url} did not answer 200 within {timeout:.0f}s{where}")
            time.sleep(0.1)


@dataclass(frozen=True)
class ApiTarget:
    """The API under test: started by the runner ("embedded") or named by BENCH_BASE_URL."""

    base_url: str
    mode: Literal["embedded", "external"]
    settings: dict[str, Any] = field(default_factory=dict)
    command: list[str] = field(default_factory=list)
    overrides: dict[str, str] = field(default_factory=dict)
    """Settings given with --api-env: the documented deviations from the defaults."""


def api_environment(endpoints: Mapping[str, str]) -> dict[str, str]:
    """The API's environment: the runner's, less every setting, plus the server URLs.

    Whatever a developer exported (LOG_LEVEL=DEBUG, a smaller pool) must not leak into the
    measurement: the API runs with the defaults an operator gets, in `development` only so
    that it may use the development JWT secret (which changes nothing else).
    """
    from swiftpaste.main.settings import Settings  # noqa: PLC0415 - only with the real API

    setting_names = {name.upper() for name in Settings.model_fields}
    env = {key: value for key, value in os.environ.items() if key.upper() not in setting_names}
    return env | {"ENVIRONMENT": "development", **endpoints}


def parse_api_override(text: str) -> tuple[str, str]:
    """`KEY=VALUE` naming one of the API's settings (not the server URLs the runner sets)."""
    from swiftpaste.main.settings import Settings  # noqa: PLC0415 - only with the real API

    key, equals, value = text.partition("=")
    key = key.strip().upper()
    if not equals or key.lower() not in Settings.model_fields:
        raise ValueError(f"{text!r}: expected SETTING=VALUE with one of the API's settings")
    if key in SERVER_URL_VARIABLES or key == "ENVIRONMENT":
        raise ValueError(f"{key} is set by the runner")
    return key, value


def effective_settings(overrides: Mapping[str, str]) -> dict[str, Any]:
    """The API's settings: each default, and what the runner set (URLs), secrets left out."""
    from swiftpaste.main.settings import Settings  # noqa: PLC0415 - only with the real API

    settings: dict[str, Any] = {
        name: info.default
        for name, info in Settings.model_fields.items()
        if not info.is_required() and name != "jwt_secret"
    }
    settings |= {name.lower(): value for name, value in overrides.items()}
    return settings


def machine_info(load_generator_version: str | None) -> dict[str, Any]:
    """The machine, and the load generator's version (as it prints it) if given."""
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_model": _cpu_model(),
        "memory_total_bytes": _memory_total(),
        "load_average": os.getloadavg(),  # other work on the machine skews the figures
    }
    if load_generator_version is not None:
        info["load_generator"] = load_generator_version
    return info


def _cpu_model() -> str | None:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return None


def _memory_total() -> int | None:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    return None


@contextlib.asynccontextmanager
async def postgres(
    database_url: str, server_settings: Mapping[str, str] | None = None
) -> AsyncIterator[Any]:
    """An asyncpg connection to the database the API's DATABASE_URL names."""
    import asyncpg  # noqa: PLC0415 - only the suites that read the database need it

    plain = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    connection = await asyncpg.connect(plain, server_settings=server_settings)
    try:
        yield connection
    finally:
        await connection.close()


def scrape_counters(client: httpx.Client, names: Sequence[str]) -> dict[str, float] | None:
    """Sum of each Prometheus counter over its labels, from the API's metrics endpoint."""
    try:
        response = client.get("/v1/api/health/metrics")
    except httpx.HTTPError:
        return None
    if response.status_code != httpx.codes.OK:
        return None
    totals: dict[str, float] = {}  # a counter the API does not export stays absent
    for line in response.text.splitlines():
        if not line or line.startswith("#"):
            continue
        name = line.split("{", 1)[0].split(" ", 1)[0]
        if name in names:
            with contextlib.suppress(ValueError):
                totals[name] = totals.get(name, 0.0) + float(line.rsplit(" ", 1)[1])
    return totals


def process_cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) of `pid`, its live descendants and its reaped children.

    PostgreSQL serves each connection from a child process: counting the tree charges the
    server with its backends. None when the process is gone.
    """
    import psutil  # noqa: PLC0415 - a development dependency, only needed here

    try:
        process = psutil.Process(pid)
        times = process.cpu_times()
        total = times.user + times.system + times.children_user + times.children_system
        for child in process.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                child_times = child.cpu_times()
                total += child_times.user + child_times.system
    except psutil.Error:
        return None
    return total


def runner_children_cpu_seconds() -> float:
    """CPU time of the runner's children that have exited and been waited for (wrk, k6)."""
    import resource  # noqa: PLC0415 - POSIX only, like the rest of the runner

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def stolen_cpu_seconds() -> float | None:
    """CPU time the hypervisor gave to others while this machine wanted it, all CPUs
    together (Linux's `steal`); None where the system does not tell."""
    import psutil  # noqa: PLC0415 - a development dependency, only needed here

    steal: float | None = getattr(psutil.cpu_times(), "steal", None)
    return steal


class CpuMeter:
    """CPU seconds spent by each process of a run, between `start()` and `stop()`.

    The load generator and the machine share the CPUs with the server under test, so where
    the CPU went (server, Valkey, PostgreSQL, Kafka, load generator) explains a ratio better
    than the ratio alone. The load generator is whichever child of the runner exits meanwhile,
    counted under the name given. On a virtual machine, `steal` is the CPU time the
    hypervisor withheld meanwhile: a run with much of it measured a smaller machine than the
    one it ran on.
    """

    def __init__(self, pids: Mapping[str, int | None], load_generator: str) -> None:
        self._pids = {name: pid for name, pid in pids.items() if pid is not None}
        self._load_generator = load_generator
        self._before: dict[str, float | None] = {}
        self._children_before = 0.0
        self._steal_before: float | None = None

    def start(self) -> None:
        self._before = {name: process_cpu_seconds(pid) for name, pid in self._pids.items()}
        self._children_before = runner_children_cpu_seconds()
        self._steal_before = stolen_cpu_seconds()

    def stop(self) -> dict[str, float]:
        spent: dict[str, float] = {}
        for name, pid in self._pids.items():
            before, after = self._before.get(name), process_cpu_seconds(pid)
            if before is not None and after is not None:
                spent[name] = after - before
        spent[self._load_generator] = runner_children_cpu_seconds() - self._children_before
        steal = stolen_cpu_seconds()
        if steal is not None and self._steal_before is not None:
            spent["steal"] = steal - self._steal_before
        return spent


class Session:
    """One run of the runner: what it starts, where its logs go, and the cleanup on exit."""

    def __init__(
        self,
        suite: str,
        *,
        api_overrides: Mapping[str, str] | None = None,
        cpus: CpuPlan | None = None,
    ) -> None:
        self.suite = suite
        self.api_overrides = dict(api_overrides or {})
        self.cpus = cpus or CpuPlan()
        self.stamp = utc_stamp()
        self.log_dir = DATA_DIR / "runs" / f"{suite}-{self.stamp}"
        self.processes = Processes()
        self._stack: EmbeddedStack | None = None
        self._api: ApiTarget | None = None

    def __enter__(self) -> Self:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop everything this session started: the load generator and the apps, then the
        servers."""
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C waits
        try:
            self.processes.stop_all()
            if self._stack is not None:
                say("stopping PostgreSQL, Valkey and Tansu")
                self._stack.down()
                self._stack = None
        finally:
            signal.signal(signal.SIGINT, previous)

    def server_pids(self) -> dict[str, int | None]:
        """The embedded servers this session started (none with BENCH_BASE_URL)."""
        if self._stack is None:
            return {}
        stack = self._stack
        return {
            "postgres": stack.postgres.pid(),
            "valkey": stack.valkey.pid(),
            "kafka": stack.kafka.pid(),
        }

    def server_urls(self) -> dict[str, str]:
        """DATABASE_URL, REDIS_URL and KAFKA_BOOTSTRAP_SERVERS of the servers this session
        started (after `api()`); empty with BENCH_BASE_URL."""
        if self._stack is None:
            return {}
        endpoints = self._stack.endpoints
        return {
            "DATABASE_URL": endpoints.database_url,
            "REDIS_URL": endpoints.redis_url,
            "KAFKA_BOOTSTRAP_SERVERS": endpoints.kafka_bootstrap_servers,
        }

    def child_pid(self, name: str) -> int | None:
        """The pid of the running child started under `name` (`api`, `bare`), if any."""
        for child in self.processes.children:
            if child.name == name and child.running():
                return child.pid
        return None

    def api(self) -> ApiTarget:
        """The API under test; started (with its servers) on first use unless BENCH_BASE_URL."""
        if self._api is None:
            external = os.environ.get("BENCH_BASE_URL")
            if external:
                base_url = require_loopback(external)
                say(f"using the running API at {base_url} (BENCH_BASE_URL)")
                if self.api_overrides:
                    say("--api-env is ignored: the runner does not start that API")
                if self.cpus.server:
                    say("--pin: that API is not pinned, the bare app is: uneven comparison")
                wait_until_ready(f"{base_url}/v1/api/health/ready", None, timeout=10.0)
                self._api = ApiTarget(base_url, "external")
            else:
                self._api = self._start_api()
        return self._api

    def _start_api(self) -> ApiTarget:
        from swiftpaste.devstack.embedded import (  # noqa: PLC0415 - a dev dependency
            EmbeddedServerError,
            EmbeddedStack,
        )
        from swiftpaste.main.migrations import forget_stream_positions, upgrade  # noqa: PLC0415

        stack = EmbeddedStack(
            DATA_DIR,
            postgres_port=free_port(),
            redis_port=free_port(),
            kafka_port=free_port(),
            attached=True,  # they die with the runner, even if it is killed
        )
        if any(server.running for server in stack.status()):
            say(f"stopping embedded servers left running in {DATA_DIR} by an earlier run")
            stack.down()
        say(f"starting PostgreSQL, Valkey and Tansu in {DATA_DIR}")
        self._stack = stack
        try:
            endpoints = stack.up()  # from the main thread: the death signal is tied to it
        except EmbeddedServerError as error:
            raise BenchError(str(error)) from error
        say("applying migrations")
        upgrade(endpoints.database_url)
        # A fresh Tansu has empty topics: the views consumer's remembered offsets go.
        forget_stream_positions(endpoints.database_url)
        urls = self.server_urls()
        port = free_port()
        command = [
            sys.executable, "-m", "swiftpaste", "serve",
            "--workers", "1", "--host", HOST, "--port", str(port),
        ]  # fmt: skip
        changed = ", ".join(f"{key}={value}" for key, value in self.api_overrides.items())
        say(
            f"starting the API on {HOST}:{port} (1 worker, default settings"
            + (f" except {changed})" if changed else ")")
        )
        env = api_environment(urls) | self.api_overrides
        child = self.processes.start(
            "api", command, env=env, log_path=self.log_dir / "api.log", cpus=self.cpus.server
        )
        base_url = f"http://{HOST}:{port}"
        wait_until_ready(f"{base_url}/v1/api/health/ready", child)
        settings = effective_settings({"ENVIRONMENT": "development", **urls, **self.api_overrides})
        settings |= {"api_host": HOST, "api_port": port, "api_workers": 1}
        return ApiTarget(base_url, "embedded", settings, command, dict(self.api_overrides))

    def run_load_generator(
        self, name: str, argv: Sequence[str], *, env: Mapping[str, str], seconds: float
    ) -> tuple[int, Path]:
        """Run `argv` to its end, on the load generator's CPUs; its exit status and log."""
        log_path = self.log_dir / f"{name}.log"
        child = self.processes.start(name, argv, env=env, log_path=log_path, cpus=self.cpus.load)
        timeout = seconds + LOAD_EXTRA_SECONDS
        try:
            return child.process.wait(timeout), log_path
        except subprocess.TimeoutExpired:
            raise BenchError(f"{name} still running after {timeout:.0f}s") from None
        finally:
            self.processes.stop(child)

    def start_bare_app(self, body_bytes: int) -> tuple[str, list[str]]:
        """bench/bare_app.py under the uvicorn settings `swiftpaste serve` uses; its URL."""
        port = free_port()
        command = [
            sys.executable, "-m", "uvicorn", "bench.bare_app:app",
            "--host", HOST, "--port", str(port), "--workers", "1",
            "--loop", "uvloop", "--http", "httptools",
            "--no-access-log", "--no-proxy-headers", "--no-server-header",
            "--timeout-graceful-shutdown", "10", "--log-level", "warning",
        ]  # fmt: skip
        env = dict(os.environ) | {"BARE_BODY_BYTES": str(body_bytes)}
        say(f"starting the bare app on {HOST}:{port} ({body_bytes}-byte body)")
        child = self.processes.start(
            "bare", command, env=env, log_path=self.log_dir / "bare.log", cpus=self.cpus.server
        )
        base_url = f"http://{HOST}:{port}"
        wait_until_ready(f"{base_url}/v1/api/snippet/bare0001", child)
        return base_url, command


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP unwind as KeyboardInterrupt, so the session's cleanup runs.

    SIGINT too, because Python leaves it ignored when started in the background by a shell.
    """

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, interrupt) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def write_report(suite: str, stamp: str, report: Mapping[str, Any]) -> Path:
    REPORTS_DIR.mkdir(parents=True, exist_ok=True)
    path = REPORTS_DIR / f"{suite}-{stamp}.json"
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return path
