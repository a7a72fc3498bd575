"""In-process CPU per request: the API's ASGI app driven directly, next to the bare app.

`python -m bench.cpu` builds the real API (`make_api`, lifespan included) in this process
against real servers, seeds snippets as the `read` suite does, and then calls the ASGI apps
directly with a plain HTTP scope (no sockets, no uvicorn, no HTTP client): what is left is
what the application itself costs per request, measured as this process's CPU time
(`time.process_time`). PostgreSQL, Valkey and Kafka run in other processes, so their CPU is
not counted; the API's own background work (the view publisher) is, as it shares the loop.

    uv run python -m bench.cpu                                # every scenario, 3 rounds
    uv run python -m bench.cpu --scenarios hit --requests 5000
    uv run python -m bench.cpu --profile hit                  # cProfile of one scenario

Scenarios: `bare` (bench/bare_app.py), `health` (liveness), `hit` (anonymous read of a
cached public snippet), `public_miss` (anonymous read of a public snippet whose cached
versions are dropped before each request), `miss` (the owner's read of a private snippet,
as the `read` suite's cache_miss), `create`, `search` (the `search` suite's typical queries,
anonymous, round robin; over the search suite's 100,000 documents when started with the URLs
of its servers, see bench/README.md).

Without DATABASE_URL, REDIS_URL and KAFKA_BOOTSTRAP_SERVERS it starts the embedded servers
in `.data/bench-cpu/` and stops them on exit. Logs of the API go to `.data/bench-cpu/api.log`
(JSON lines, as `swiftpaste serve` writes them to stdout).
"""

import argparse
import asyncio
import contextlib
import cProfile
import io
import os
import pstats
import secrets
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

if __package__ in {None, ""}:  # run as a script: make `bench` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import ROOT, free_port
from bench.suites.content import snippet_content
from bench.suites.search import TYPICAL_QUERIES

DATA_DIR = ROOT / ".data" / "bench-cpu"
SCENARIOS = ("bare", "health", "hit", "public_miss", "miss", "create", "search")
SNIPPETS = "/v1/api/snippet/"
UNLIMITED = 10**9
_FEWER = {"create": 4, "search": 20}
"""Scenarios that cost milliseconds run `--requests` divided by this."""

ASGIApp = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    headers: tuple[tuple[bytes, bytes], ...] = ()
    body: bytes = b""


def scope_of(call: Call) -> dict[str, Any]:
    path, _, query = call.path.partition("?")
    headers = [
        (b"host", b"127.0.0.1:8000"),
        (b"user-agent", b"swiftpaste-bench/1"),
        (b"accept", b"*/*"),
        *call.headers,
    ]
    if call.body:
        headers.append((b"content-length", str(len(call.body)).encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 40000),
        "scheme": "http",
        "method": call.method,
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": headers,
        "state": {},
    }


async def invoke(app: ASGIApp, call: Call) -> tuple[int, int]:
    """Status and body size of one request to `app`, as uvicorn would pass it."""
    sent = False
    status = 0
    size = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": call.body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, size
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            size += len(message.get("body", b""))

    await app(scope_of(call), receive, send)
    return status, size


@dataclass(frozen=True)
class Scenario:
    name: str
    app: ASGIApp
    calls: Callable[[int], Call]
    expected: int
    before_each: Callable[[int], Awaitable[None]] | None = None


@dataclass(frozen=True)
class Measurement:
    name: str
    requests: int
    cpu_us: float
    wall_us: float


async def measure(scenario: Scenario, requests: int, concurrency: int) -> Measurement:
    counter = iter(range(requests))
    failures: list[str] = []

    async def worker() -> None:
        for index in counter:
            if scenario.before_each is not None:
                await scenario.before_each(index)
            status, _ = await invoke(scenario.app, scenario.calls(index))
            if status != scenario.expected and len(failures) < 5:  # noqa: PLR2004
                failures.append(f"{scenario.name}: status {status}")

    cpu = time.process_time()
    wall = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    await asyncio.sleep(0.05)  # let background work the requests caused (views) run
    cpu = time.process_time() - cpu
    wall = time.perf_counter() - wall
    if failures:
        raise RuntimeError("; ".join(failures))
    return Measurement(scenario.name, requests, cpu / requests * 1e6, wall / requests * 1e6)


@contextlib.contextmanager
def servers() -> Iterator[dict[str, str]]:
    names = ("DATABASE_URL", "REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS")
    if all(os.environ.get(name) for name in names):
        yield {name: os.environ[name] for name in names}
        return
    from swiftpaste.devstack.embedded import EmbeddedStack  # noqa: PLC0415 - a dev dependency

    stack = EmbeddedStack(
        DATA_DIR,
        postgres_port=free_port(),
        redis_port=free_port(),
        kafka_port=free_port(),
        attached=True,
    )
    if any(server.running for server in stack.status()):
        stack.down()
    endpoints = stack.up()
    try:
        yield {
            "DATABASE_URL": endpoints.database_url,
            "REDIS_URL": endpoints.redis_url,
            "KAFKA_BOOTSTRAP_SERVERS": endpoints.kafka_bootstrap_servers,
        }
    finally:
        stack.down()


def configure_api_logging(log_path: Path, level: str) -> None:
    """The API's JSON logging, with its stdout handler writing to `log_path` instead."""
    from swiftpaste.main.logging import configure_logging  # noqa: PLC0415

    log_path.parent.mkdir(parents=True, exist_ok=True)
    stdout = sys.stdout
    sys.stdout = log_path.open("a", buffering=1)
    try:
        configure_logging(level, process="api")
    finally:
        sys.stdout = stdout


@dataclass
class Seeded:
    token: str
    public_ids: list[str]
    private_ids: list[str]
    create_body: bytes
    body_bytes: int


async def seed(client: httpx.AsyncClient, count: int) -> Seeded:
    username = f"cpu_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(18)
    registered = await client.post(
        "/auth/register",
        json={"email": f"{username}@example.com", "username": username, "password": password},
    )
    registered.raise_for_status()
    login = await client.post("/auth/jwt/login", data={"username": username, "password": password})
    login.raise_for_status()
    token: str = login.json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    ids: dict[str, list[str]] = {"public": [], "private": []}
    for visibility, offset in (("public", 0), ("private", count)):
        for index in range(offset, offset + count):
            language, content = snippet_content(index)
            created = await client.post(
                SNIPPETS,
                json={
                    "title": f"cpu {visibility} {index}",
                    "content": content,
                    "language": language,
                    "visibility": visibility,
                },
                headers=auth,
            )
            created.raise_for_status()
            ids[visibility].append(created.json()["short_id"])
    sizes = []
    for short_id in ids["public"]:
        (await client.get(f"{SNIPPETS}{short_id}")).raise_for_status()
        sizes.append(len((await client.get(f"{SNIPPETS}{short_id}")).content))
    language, content = snippet_content(2 * count)
    create_body = httpx.Request(
        "POST", "http://x", json={"title": "cpu", "content": content, "language": language}
    ).content
    return Seeded(token, ids["public"], ids["private"], create_body, int(statistics.median(sizes)))


def print_table(rows: Sequence[Sequence[Measurement]]) -> None:
    names = [m.name for m in rows[0]]
    sys.stdout.write(f"{'scenario':<12} {'CPU µs/req':>10} {'wall µs/req':>11}  rounds (CPU µs)\n")
    for name in names:
        runs = [m for round_ in rows for m in round_ if m.name == name]
        cpu = statistics.median(m.cpu_us for m in runs)
        wall = statistics.median(m.wall_us for m in runs)
        each = " ".join(f"{m.cpu_us:.0f}" for m in runs)
        sys.stdout.write(f"{name:<12} {cpu:>10.0f} {wall:>11.0f}  {each}\n")


async def main_async(args: argparse.Namespace, urls: dict[str, str]) -> None:
    from asgi_lifespan import LifespanManager  # noqa: PLC0415
    from redis.asyncio import Redis  # noqa: PLC0415

    from swiftpaste.infrastructure.messaging.views import KafkaViewPublisher  # noqa: PLC0415
    from swiftpaste.main.api import make_api  # noqa: PLC0415
    from swiftpaste.main.migrations import upgrade  # noqa: PLC0415
    from swiftpaste.main.settings import Settings  # noqa: PLC0415

    await asyncio.to_thread(upgrade, urls["DATABASE_URL"])
    configure_api_logging(DATA_DIR / "api.log", args.log_level)
    settings = Settings(
        environment="development",
        database_url=urls["DATABASE_URL"],
        redis_url=urls["REDIS_URL"],
        kafka_bootstrap_servers=urls["KAFKA_BOOTSTRAP_SERVERS"],
        rate_limit_read_capacity=UNLIMITED,
        rate_limit_read_refill_per_second=UNLIMITED,
        rate_limit_write_capacity=UNLIMITED,
        rate_limit_write_refill_per_second=UNLIMITED,
    )
    api = make_api(settings, *([_null_views()] if args.null_views else []))
    redis = Redis.from_url(urls["REDIS_URL"])
    async with LifespanManager(api, startup_timeout=60) as manager:
        views = await api.state.dishka_container.get(KafkaViewPublisher)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(views.connected.wait(), 30)
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            seeded = await seed(client, args.snippets)

        os.environ["BARE_BODY_BYTES"] = str(seeded.body_bytes)
        from bench.bare_app import app as bare  # noqa: PLC0415 - reads BARE_BODY_BYTES

        auth = ((b"authorization", f"Bearer {seeded.token}".encode()),)
        public, private = seeded.public_ids, seeded.private_ids

        async def drop_cached(index: int) -> None:
            await redis.delete(f"snippet:{public[index % len(public)]}:vlatest")

        json_headers = ((b"content-type", b"application/json"), *auth)
        # The search suite's typical queries, anonymous (as its wrk run asks them).
        searches = [f"{SNIPPETS}search?{urlencode({'query': q})}" for q in TYPICAL_QUERIES]
        scenarios = {
            "bare": Scenario("bare", bare, lambda _: Call("GET", f"{SNIPPETS}bare0001"), 200),
            "health": Scenario("health", api, lambda _: Call("GET", "/v1/api/health/health"), 200),
            "hit": Scenario(
                "hit", api, lambda i: Call("GET", f"{SNIPPETS}{public[i % len(public)]}"), 200
            ),
            "public_miss": Scenario(
                "public_miss",
                api,
                lambda i: Call("GET", f"{SNIPPETS}{public[i % len(public)]}"),
                200,
                before_each=drop_cached,
            ),
            "miss": Scenario(
                "miss",
                api,
                lambda i: Call("GET", f"{SNIPPETS}{private[i % len(private)]}", auth),
                200,
            ),
            "create": Scenario(
                "create",
                api,
                lambda _: Call("POST", SNIPPETS, json_headers, seeded.create_body),
                201,
            ),
            "search": Scenario(
                "search", api, lambda i: Call("GET", searches[i % len(searches)]), 200
            ),
        }
        chosen = [scenarios[name] for name in args.scenarios]
        for scenario in chosen:  # warm-up: lazy imports, caches, connection pools
            await measure(scenario, min(200, args.requests), args.concurrency)
        if args.profile:
            await profile(scenarios[args.profile], args)
            await redis.aclose()
            return
        rounds = []
        for _ in range(args.rounds):
            round_ = []
            for scenario in chosen:
                requests = args.requests // _FEWER.get(scenario.name, 1)
                round_.append(await measure(scenario, requests, args.concurrency))
            rounds.append(round_)
        sys.stdout.write(
            f"in-process CPU per request ({args.requests} requests, concurrency "
            f"{args.concurrency}, {args.rounds} rounds, median; body {seeded.body_bytes} B)\n"
        )
        print_table(rounds)
    await redis.aclose()


def _null_views() -> Any:
    """A provider whose ViewRecorder drops every view: what recording views costs, apart."""
    from dishka import Provider, Scope, provide  # noqa: PLC0415

    from swiftpaste.application.ports.snippets import ViewRecorder  # noqa: PLC0415
    from swiftpaste.domain.events import SnippetViewed  # noqa: PLC0415

    class NullViews:
        def record(self, view: SnippetViewed) -> None:
            pass

    class NullViewsProvider(Provider):
        @provide(scope=Scope.APP, override=True)
        def views(self) -> ViewRecorder:
            return NullViews()

    return NullViewsProvider()


async def profile(scenario: Scenario, args: argparse.Namespace) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    result = await measure(scenario, args.requests, args.concurrency)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats(args.sort).print_stats(args.top)
    sys.stdout.write(out.getvalue())
    sys.stdout.write(f"{result.name}: {result.cpu_us:.0f} µs CPU/request (under cProfile)\n")
    if args.profile_out:
        profiler.dump_stats(args.profile_out)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.cpu",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--scenarios", default=",".join(SCENARIOS[:5]))
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--snippets", type=int, default=50)
    parser.add_argument("--profile", choices=SCENARIOS, default=None)
    parser.add_argument(
        "--log-level", default="INFO", help="the API's LOG_LEVEL (default INFO, as deployed)"
    )
    parser.add_argument(
        "--null-views",
        action="store_true",
        help="record no views (a no-op ViewRecorder): to tell their cost apart",
    )
    parser.add_argument("--sort", default="tottime", help="pstats sort key (default tottime)")
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--profile-out", default=None, help="also dump the stats to this file")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.scenarios = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        sys.stderr.write(f"unknown scenarios: {', '.join(sorted(unknown))}\n")
        return 2
    if args.profile and args.profile not in args.scenarios:
        args.scenarios.append(args.profile)
    import uvloop  # noqa: PLC0415 - the loop `swiftpaste serve` runs on

    with servers() as urls:
        uvloop.run(main_async(args, urls))
    return 0


if __name__ == "__main__":
    sys.exit(main())
