"""What the container images run besides `swiftpaste`: their health check, and a wait.

    python -m swiftpaste.main.container healthcheck api      # the API's readiness
    python -m swiftpaste.main.container healthcheck worker   # relay, consumer or scheduler
    python -m swiftpaste.main.container wait-for-database [--timeout S] [-- COMMAND...]

`healthcheck` exits 0 when the process in the container answers its readiness probe
(`/v1/api/health/ready` on API_PORT; `/ready` on whichever worker port answers: one
container runs one worker), 1 otherwise. It needs nothing but the standard library, so
it is cheap enough to run every few seconds.

`wait-for-database` retries a connection to DATABASE_URL until PostgreSQL accepts it
(or the timeout passes, exit 1), then replaces itself with COMMAND if one is given. The
`migrate` service runs it first, so the compose files need no start-up order between
the application and the servers it uses, which may live elsewhere.
"""

import argparse
import asyncio
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence

from swiftpaste.main.settings import Settings, async_database_url

API_READY_PATH = "/v1/api/health/ready"
WORKER_PORT_SETTINGS = (
    "relay_http_port",
    "indexer_http_port",
    "views_http_port",
    "cache_http_port",
    "scheduler_http_port",
)
_PROBE_TIMEOUT_SECONDS = 3.0


def _setting(field: str) -> str:
    """The variable's value from the environment, else the setting's default."""
    value = os.environ.get(field.upper())
    if value:
        return value
    return str(Settings.model_fields[field].default)


def _answers_ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=_PROBE_TIMEOUT_SECONDS) as response:  # noqa: S310 - a loopback http URL we build
            return bool(response.status == 200)  # noqa: PLR2004
    except (urllib.error.URLError, OSError):
        return False


def api_is_ready() -> bool:
    return _answers_ready(f"http://127.0.0.1:{_setting('api_port')}{API_READY_PATH}")


def worker_is_ready() -> bool:
    ports = [_setting(field) for field in WORKER_PORT_SETTINGS]
    return any(_answers_ready(f"http://127.0.0.1:{port}/ready") for port in ports if port != "0")


async def _database_accepts(url: str, timeout_seconds: float) -> str | None:
    """None when a connection succeeds, else why it did not."""
    import asyncpg  # noqa: PLC0415 - only this command needs the driver

    plain_url = "postgresql://" + async_database_url(url).split("://", 1)[1]
    try:
        connection = await asyncpg.connect(plain_url, timeout=timeout_seconds)
    except (TimeoutError, OSError, asyncpg.PostgresError) as error:
        return f"{type(error).__name__}: {error}"
    await connection.close()
    return None


def wait_for_database(url: str, timeout_seconds: float, interval_seconds: float = 1.0) -> bool:
    deadline = time.monotonic() + timeout_seconds
    while True:
        attempt_timeout = max(min(interval_seconds * 3, deadline - time.monotonic()), 0.1)
        problem = asyncio.run(_database_accepts(url, attempt_timeout))
        if problem is None:
            return True
        if time.monotonic() >= deadline:
            sys.stderr.write(f"PostgreSQL did not accept a connection in time: {problem}\n")
            return False
        sys.stderr.write(f"waiting for PostgreSQL: {problem}\n")
        time.sleep(interval_seconds)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m swiftpaste.main.container",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    healthcheck = commands.add_parser("healthcheck", help="exit 0 when the process is ready")
    healthcheck.add_argument("process", choices=("api", "worker"))
    wait = commands.add_parser(
        "wait-for-database", help="wait until DATABASE_URL accepts a connection, then exec"
    )
    wait.add_argument("--timeout", type=float, default=120.0, help="seconds (default 120)")
    wait.add_argument("then", nargs=argparse.REMAINDER, help="-- COMMAND to run afterwards")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "healthcheck":
        ready = api_is_ready() if args.process == "api" else worker_is_ready()
        return 0 if ready else 1
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        sys.stderr.write("DATABASE_URL: is required but not set\n")
        return 2
    if not wait_for_database(database_url, args.timeout):
        return 1
    command = args.then[1:] if args.then[:1] == ["--"] else args.then
    if command:
        os.execvp(command[0], command)  # noqa: S606 - the image's own command, given by compose
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
