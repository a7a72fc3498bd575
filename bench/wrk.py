"""wrk, the load generator of the `read` and `search` suites: finding it, running it, its figures.

wrk (C, an event loop per thread) costs a fraction of the server it drives, which matters when
both share a small machine. bench/wrk.lua formats the requests once and, in wrk's `done()`
hook, writes the run's figures as JSON; `parse_summary` reads them.
"""

import argparse
import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bench.harness import BENCH_DIR, BenchError, Session, log_tail, parse_duration, require_loopback

SCRIPT = BENCH_DIR / "wrk.lua"
MISSING = "wrk is not on PATH: install it with `apt-get install wrk` (Debian/Ubuntu)"
MAX_CONNECTIONS = 1024
MAX_FAILURE_RATE = 0.01
"""Share of failed requests (an unexpected status, a socket error) above which a run is
marked failed."""
REQUEST_TIMEOUT = "10s"
"""wrk's default (2 s) would count a slow cache miss under load as an error, not a latency."""
LATENCY_STATS = ("min", "mean", "p50", "p90", "p95", "p99", "max")
"""What bench/wrk.lua writes under `latency_us`."""
TOO_MANY_REQUESTS = 429
SERVER_ERROR = 500


@dataclass(frozen=True, slots=True)
class Load:
    """What one wrk run sends: `method` to each of `paths` in turn, expecting one status."""

    paths: Sequence[str]
    expected_status: int = 200
    method: str = "GET"
    body: bytes | None = None
    authorization: str | None = None


@dataclass(frozen=True, slots=True)
class WrkSummary:
    """One wrk run's figures, as bench/wrk.lua's `done()` wrote them; latencies in ms."""

    requests: int
    seconds: float
    latency_ms: Mapping[str, float | None]
    statuses: Mapping[int, int]
    socket_errors: Mapping[str, int]
    expected_status: int

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def p99_ms(self) -> float | None:
        return self.latency_ms.get("p99")

    @property
    def unexpected(self) -> dict[str, int]:
        """Answers other than the expected status: all, not 2xx, 429 (a rate limit), 5xx."""
        counts = self.statuses.items()
        return {
            "all": sum(n for status, n in counts if status != self.expected_status),
            "non_2xx": sum(n for status, n in counts if status // 100 != 2),  # noqa: PLR2004
            "429": sum(n for status, n in counts if status == TOO_MANY_REQUESTS),
            "5xx": sum(n for status, n in counts if status >= SERVER_ERROR),
        }

    @property
    def failure_rate(self) -> float:
        failures = self.unexpected["all"] + sum(self.socket_errors.values())
        attempts = self.requests + sum(self.socket_errors.values())
        return failures / attempts if attempts else 1.0

    @property
    def failed(self) -> bool:
        return self.failure_rate > MAX_FAILURE_RATE

    def describe(self) -> str:
        ms = {stat: "-" if ms is None else f"{ms:.2f}" for stat, ms in self.latency_ms.items()}
        return (
            f"{self.requests_per_second:.0f} req/s, p50 {ms['p50']} ms, p90 {ms['p90']} ms,"
            f" p99 {ms['p99']} ms, failed {100 * self.failure_rate:.2f} %"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "seconds": self.seconds,
            "requests_per_second": self.requests_per_second,
            "latency_ms": dict(self.latency_ms),
            "statuses": {str(status): n for status, n in sorted(self.statuses.items())},
            "expected_status": self.expected_status,
            "unexpected_status": self.unexpected,
            "socket_errors": dict(self.socket_errors),
            "failure_rate": self.failure_rate,
            "failed": self.failed,
        }


def _milliseconds(microseconds: float | None) -> float | None:
    return None if microseconds is None else float(microseconds) / 1000


def parse_summary(text: str, expected_status: int) -> WrkSummary:
    """The summary bench/wrk.lua's `done()` writes: microseconds become milliseconds."""
    raw = json.loads(text)
    latency_us: dict[str, float | None] = raw["latency_us"]
    latency = {stat: _milliseconds(latency_us.get(stat)) for stat in LATENCY_STATS}
    return WrkSummary(
        requests=int(raw["requests"]),
        seconds=float(raw["duration_us"]) / 1e6,
        latency_ms=latency,
        statuses={int(status): int(n) for status, n in raw["statuses"].items()},
        socket_errors={name: int(n) for name, n in raw["socket_errors"].items()},
        expected_status=expected_status,
    )


def find_wrk() -> str:
    """The `wrk` on PATH; the runner never downloads one."""
    path = shutil.which("wrk")
    if path is None:
        raise BenchError(MISSING)
    return path


def wrk_version() -> str:
    shown = subprocess.run(  # `wrk -v` prints its version, then its usage, and exits 1
        [find_wrk(), "-v"], capture_output=True, text=True, timeout=30, check=False
    )
    return shown.stdout.partition("\n")[0].strip()


def _connections(text: str) -> int:
    connections = int(text)
    if not 1 <= connections <= MAX_CONNECTIONS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_CONNECTIONS}")
    return connections


def _duration(text: str) -> str:
    try:
        parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def add_load_arguments(parser: argparse.ArgumentParser, *, connections: int, duration: str) -> None:
    """--connections, --threads and --duration of a suite that drives its load with wrk."""
    parser.add_argument(
        "--connections",
        type=_connections,
        default=connections,
        help=f"wrk's keep-alive connections (default {connections})",
    )
    parser.add_argument(
        "--threads",
        type=_connections,
        default=2,
        help="wrk's threads (default 2; at most --connections)",
    )
    parser.add_argument(
        "--duration",
        type=_duration,
        default=duration,
        help=f"each wrk run's duration, e.g. 20s, 1m (default {duration})",
    )


def run_wrk(
    session: Session, load: Load, *, base_url: str, args: argparse.Namespace, label: str
) -> WrkSummary:
    """One wrk run of `load` against `base_url`, with the suite's --connections, --threads and
    --duration; its files in the session's log directory are named after `label`."""
    stem = session.log_dir / f"wrk-{label}"
    paths_file, body_file, summary_file = (
        stem.with_suffix(end) for end in (".paths", ".body", ".json")
    )
    paths_file.write_text("".join(f"{path}\n" for path in load.paths))
    if load.body is not None:
        body_file.write_bytes(load.body)
    summary_file.unlink(missing_ok=True)
    env = dict(os.environ) | {
        "WRK_PATHS": str(paths_file),
        "WRK_METHOD": load.method,
        "WRK_BODY": str(body_file) if load.body is not None else "",
        "WRK_AUTHORIZATION": load.authorization or "",
        "WRK_SUMMARY": str(summary_file),
    }
    seconds = parse_duration(args.duration)
    command = [
        find_wrk(),
        f"--threads={min(args.threads, args.connections)}",
        f"--connections={args.connections}",
        f"--duration={seconds}s",
        f"--timeout={REQUEST_TIMEOUT}",
        f"--script={SCRIPT}",
        require_loopback(base_url),
    ]
    status, log_path = session.run_load_generator(f"wrk-{label}", command, env=env, seconds=seconds)
    if status != 0 or not summary_file.is_file():
        raise BenchError(
            f"wrk ({label}) exited with status {status}; last lines of {log_path}:\n"
            + log_tail(log_path)
        )
    return parse_summary(summary_file.read_text(), load.expected_status)
