"""The `read` suite: SwiftPaste's snippet read against a bare FastAPI app, driven by wrk.

Scenarios, each a wrk run with the same connections and duration:

- `bare`: bench/bare_app.py, FastAPI and uvicorn alone, answering a body the size of a real
  cache-hit response. The baseline of the targets.
- `cache_hit`: GET of public snippets the runner has already read, so they are served from
  Valkey as stored bytes.
- `cache_miss`: the owner's GET of their own *private* snippets. Private versions are never
  cached, so every request is a PostgreSQL read: the repeatable cache-miss path.
- `create`: POST of a new public snippet.

Each round runs `bare` first and the others right after it; a target is judged on the
median, over the rounds, of each round's ratio to its own `bare` run.
"""

import argparse
import json
import secrets
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from bench.harness import (
    BenchError,
    CpuMeter,
    Session,
    machine_info,
    say,
    scrape_counters,
)
from bench.results import (
    Round,
    Suite,
    SuiteOutcome,
    Target,
    by_scenario,
    evaluate,
    format_table,
    format_targets,
    medians,
)
from bench.suites.content import snippet_content
from bench.wrk import SCRIPT, Load, WrkSummary, add_load_arguments, run_wrk, wrk_version

SCENARIOS = ("bare", "cache_hit", "cache_miss", "create")
"""In the order each round runs them: the baseline first."""
API_SCENARIOS = frozenset({"cache_hit", "cache_miss", "create"})
TARGETS = (
    Target("cache_hit", "rps", ">=", 0.75),
    Target("cache_hit", "p99", "<=", 2.0),
    Target("cache_miss", "rps", ">=", 0.35),
)
DEFAULT_BARE_BODY_BYTES = 2048
MAX_SNIPPETS = 1000
MAX_ROUNDS = 20
CACHE_COUNTERS = ("cache_hit_total", "cache_miss_total", "cache_error_total")
SNIPPETS_PATH = "/v1/api/snippet/"
READ_PATH = "/v1/api/snippet/{short_id}"
BARE_PATH = READ_PATH.format(short_id="bare0001")
REQUEST_TIMEOUT_SECONDS = 15.0
NOTES = [
    (
        "cache_miss = the owner reading their own private snippets: private versions are "
        "never cached, so each request loads from PostgreSQL (a repeatable cache miss)."
    ),
    "cache_hit = anonymous reads of public snippets read twice beforehand (cache warm).",
    (
        "bare = bench/bare_app.py under the same uvicorn options as `swiftpaste serve`, "
        "answering a body of the median cache-hit response size."
    ),
    (
        "Ratios to bare are the median of per-round ratios, each against the bare run of the "
        "same round. wrk runs on the same machine as the servers: compare ratios, not "
        "absolute numbers, across machines."
    ),
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_load_arguments(parser, connections=32, duration="10s")
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated; each round runs them in the order {','.join(SCENARIOS)}",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help=f"rounds of the scenarios, each ratio taken in a round (1-{MAX_ROUNDS}, default 5)",
    )
    parser.add_argument(
        "--snippets",
        type=int,
        default=50,
        help="public snippets, and as many private ones, to seed (default 50)",
    )
    parser.add_argument(
        "--bare-body-bytes",
        type=int,
        default=None,
        help="bare app's body size (default: the median cache-hit response size)",
    )
    parser.add_argument(
        "--cooldown",
        type=float,
        default=2.0,
        help="seconds of rest between two wrk runs (default 2)",
    )


def _scenarios(text: str) -> list[str]:
    names = {name.strip() for name in text.split(",") if name.strip()}
    if not names or not names <= set(SCENARIOS):
        raise BenchError(f"--scenarios: choose among {', '.join(SCENARIOS)} (got {text!r})")
    return [name for name in SCENARIOS if name in names]


@dataclass(frozen=True)
class Account:
    username: str
    password: str


@dataclass(frozen=True)
class Seed:
    account: Account
    public_ids: list[str]
    private_ids: list[str]
    create_body: dict[str, Any]


def _expect(response: httpx.Response, status: int, what: str) -> httpx.Response:
    if response.status_code != status:
        hint = ""
        if response.status_code == httpx.codes.TOO_MANY_REQUESTS:
            hint = (
                "\nthe API rate-limits the bench: run it with "
                + " ".join(f"{key}={value}" for key, value in RATE_LIMITS_OFF.items())
                + ", or leave BENCH_BASE_URL unset so the runner starts it so"
            )
        raise BenchError(
            f"{what}: {response.request.method} {response.request.url.path} answered "
            f"{response.status_code}, expected {status}: {response.text[:500]}{hint}"
        )
    return response


def log_in(client: httpx.Client, account: Account) -> str:
    response = client.post(
        "/auth/jwt/login", data={"username": account.username, "password": account.password}
    )
    token: str = _expect(response, httpx.codes.OK, "log in").json()["access_token"]
    return token


def _snippet_body(index: int, visibility: str) -> dict[str, Any]:
    language, content = snippet_content(index)
    return {
        "title": f"bench {visibility} {index}: {language}",
        "content": content,
        "visibility": visibility,
        "language": language,
    }


def register(client: httpx.Client) -> Account:
    """A new account of the bench's own."""
    account = Account(f"bench_{secrets.token_hex(4)}", secrets.token_urlsafe(18))
    _expect(
        client.post(
            "/auth/register",
            json={
                "email": f"{account.username}@example.com",
                "username": account.username,
                "password": account.password,
            },
        ),
        httpx.codes.CREATED,
        "register the bench account",
    )
    return account


def seed(client: httpx.Client, count: int) -> Seed:
    account = register(client)
    headers = {"Authorization": f"Bearer {log_in(client, account)}"}
    ids: dict[str, list[str]] = {"public": [], "private": []}
    for visibility, offset in (("public", 0), ("private", count)):
        for index in range(offset, offset + count):
            response = client.post(
                SNIPPETS_PATH, json=_snippet_body(index, visibility), headers=headers
            )
            short_id: str = _expect(response, httpx.codes.CREATED, "create a snippet").json()[
                "short_id"
            ]
            ids[visibility].append(short_id)
    return Seed(account, ids["public"], ids["private"], _snippet_body(2 * count, "public"))


def warm_cache(client: httpx.Client, public_ids: list[str]) -> list[int]:
    """Read every public snippet twice (the first read fills the cache); the sizes read."""
    sizes = []
    for short_id in public_ids:
        path = READ_PATH.format(short_id=short_id)
        _expect(client.get(path), httpx.codes.OK, "first read of a public snippet")
        sizes.append(len(_expect(client.get(path), httpx.codes.OK, "cached read").content))
    return sizes


def check_private_reads(client: httpx.Client, seed_: Seed, token: str) -> None:
    path = READ_PATH.format(short_id=seed_.private_ids[0])
    response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    _expect(response, httpx.codes.OK, "the owner's read of a private snippet")


def _counter_delta(
    before: dict[str, float] | None, after: dict[str, float] | None
) -> dict[str, float] | None:
    if before is None or after is None:
        return None
    return {name: after[name] - before.get(name, 0.0) for name in after}


@dataclass
class Prepared:
    """The API side, ready to measure: a client, the seeded snippets, the settings it runs."""

    client: httpx.Client | None = None
    seed: Seed | None = None
    response_sizes: list[int] = field(default_factory=list)
    api: dict[str, Any] = field(default_factory=dict)


def prepare_api(args: argparse.Namespace, session: Session, scenarios: list[str]) -> Prepared:
    if not API_SCENARIOS & set(scenarios):
        return Prepared()
    api = session.api()
    client = httpx.Client(base_url=api.base_url, timeout=REQUEST_TIMEOUT_SECONDS)
    say(f"seeding {args.snippets} public and {args.snippets} private snippets")
    seeded = seed(client, args.snippets)
    sizes = warm_cache(client, seeded.public_ids)
    check_private_reads(client, seeded, log_in(client, seeded.account))
    settings = {
        "mode": api.mode,
        "base_url": api.base_url,
        "command": api.command,
        "overrides": api.overrides,
        "settings": api.settings,
    }
    return Prepared(client, seeded, sizes, settings)


def start_bare(session: Session, body_bytes: int) -> tuple[str, list[str]]:
    url, command = session.start_bare_app(body_bytes)
    with httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT_SECONDS) as client:
        for _ in range(20):  # the first requests pay for lazy imports and route compilation
            _expect(client.get(BARE_PATH), httpx.codes.OK, "bare read")
    return url, command


def _read_paths(short_ids: list[str]) -> list[str]:
    return [READ_PATH.format(short_id=short_id) for short_id in short_ids]


def scenario_load(scenario: str, prepared: Prepared) -> Load:
    """What wrk sends in `scenario`: the seeded snippets' paths in turn, a fresh token (its
    whole lifetime ahead) when it reads as the owner or creates."""
    seeded = prepared.seed
    if scenario == "bare":  # the same paths as cache_hit, when the API side is seeded
        return Load(_read_paths(seeded.public_ids) if seeded else [BARE_PATH])
    assert seeded is not None
    assert prepared.client is not None
    if scenario == "cache_hit":
        return Load(_read_paths(seeded.public_ids))
    authorization = f"Bearer {log_in(prepared.client, seeded.account)}"
    if scenario == "cache_miss":
        return Load(_read_paths(seeded.private_ids), authorization=authorization)
    body = json.dumps(seeded.create_body).encode()
    return Load([SNIPPETS_PATH], httpx.codes.CREATED, "POST", body, authorization)


@dataclass
class Measured:
    rounds: list[Round] = field(default_factory=list)
    cache_counters: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per scenario, summed over rounds: how the API's cache counters moved."""
    cpu_seconds: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per scenario, summed over rounds: CPU seconds each process spent during wrk's runs."""


def _add(totals: dict[str, dict[str, float]], scenario: str, values: dict[str, float]) -> None:
    into = totals.setdefault(scenario, {})
    for name, value in values.items():
        into[name] = into.get(name, 0.0) + value


def run_rounds(
    args: argparse.Namespace,
    session: Session,
    scenarios: list[str],
    prepared: Prepared,
    bare_url: str | None,
) -> Measured:
    """`--rounds` rounds of the scenarios, `bare` first in each."""
    measured = Measured()
    for number in range(1, args.rounds + 1):
        round_: dict[str, WrkSummary] = {}
        for scenario in scenarios:
            if (measured.rounds or round_) and args.cooldown > 0:
                time.sleep(args.cooldown)  # let the view events and connections settle
            client = prepared.client if scenario in API_SCENARIOS else None
            base_url = str(client.base_url).rstrip("/") if client else bare_url
            assert base_url is not None
            load = scenario_load(scenario, prepared)
            server = "api" if client else "bare"
            meter = CpuMeter({server: session.child_pid(server), **session.server_pids()}, "wrk")
            before = scrape_counters(client, CACHE_COUNTERS) if client else None
            meter.start()
            summary = run_wrk(
                session, load, base_url=base_url, args=args, label=f"{scenario}-round{number}"
            )
            _add(measured.cpu_seconds, scenario, meter.stop())
            if client:
                delta = _counter_delta(before, scrape_counters(client, CACHE_COUNTERS))
                _add(measured.cache_counters, scenario, delta or {})
            round_[scenario] = summary
            say(f"round {number}/{args.rounds} {scenario:<10} {summary.describe()}")
        measured.rounds.append(round_)
    return measured


def cpu_per_request(measured: Measured) -> dict[str, dict[str, float]]:
    """Per scenario: CPU µs per request of each process (server, servers, wrk, steal)."""
    table: dict[str, dict[str, float]] = {}
    for scenario, runs in by_scenario(measured.rounds).items():
        requests = sum(run.requests for run in runs)
        spent = measured.cpu_seconds.get(scenario, {})
        if requests:
            table[scenario] = {name: round(s / requests * 1e6, 1) for name, s in spent.items()}
    return table


def format_cpu(table: dict[str, dict[str, float]]) -> str:
    names = ["api", "bare", "valkey", "postgres", "kafka", "wrk", "steal"]
    present = [name for name in names if any(name in row for row in table.values())]
    lines = ["CPU µs per request, by process (during the wrk runs; steal: withheld by the host):"]
    lines.append(f"{'scenario':<10}" + "".join(f"{name:>10}" for name in present))
    for scenario, row in table.items():
        cells = "".join(f"{row[name]:>10.0f}" if name in row else f"{'-':>10}" for name in present)
        lines.append(f"{scenario:<10}" + cells)
    return "\n".join(lines)


def _size_stats(sizes: list[int]) -> dict[str, float] | None:
    if not sizes:
        return None
    return {"median": statistics.median(sizes), "min": min(sizes), "max": max(sizes)}


def run(args: argparse.Namespace, session: Session) -> SuiteOutcome:
    scenarios = _scenarios(args.scenarios)
    if not 1 <= args.snippets <= MAX_SNIPPETS:
        raise BenchError(f"--snippets must be between 1 and {MAX_SNIPPETS}")
    if not 1 <= args.rounds <= MAX_ROUNDS:
        raise BenchError(f"--rounds must be between 1 and {MAX_ROUNDS}")
    version = wrk_version()  # before anything starts: without wrk, nothing to do
    started_at = datetime.now(tz=UTC)
    prepared = prepare_api(args, session, scenarios)
    try:
        sizes = prepared.response_sizes
        bare: dict[str, Any] = {
            "body_bytes": args.bare_body_bytes
            or (int(statistics.median(sizes)) if sizes else DEFAULT_BARE_BODY_BYTES)
        }
        bare_url = None
        if "bare" in scenarios:
            bare_url, bare["command"] = start_bare(session, bare["body_bytes"])
        measured = run_rounds(args, session, scenarios, prepared, bare_url)
    finally:
        if prepared.client is not None:
            prepared.client.close()

    runs = by_scenario(measured.rounds)
    evaluated = evaluate(TARGETS, measured.rounds)
    table = format_table(measured.rounds)
    cpu_table = cpu_per_request(measured)
    say(
        f"results ({args.connections} connections, {args.duration} per run, {args.rounds} rounds;"
        f" medians over the rounds, ratios to the same round's bare):"
        f"\n\n{table}\n\n{format_cpu(cpu_table)}\n\n{format_targets(evaluated)}\n"
    )
    for name, summaries in runs.items():
        if limited := sum(summary.unexpected["429"] for summary in summaries):
            say(
                f"{name}: {limited} answers were 429: the API rate-limited the bench;"
                " raise its RATE_LIMIT_* settings (the runner does when it starts the API)"
            )
    passed = all(item.passed is not False for item in evaluated) and not any(
        summary.failed for summaries in runs.values() for summary in summaries
    )
    report: dict[str, Any] = {
        "suite": "read",
        "started_at": started_at.isoformat(),
        "finished_at": datetime.now(tz=UTC).isoformat(),
        "passed": passed,
        "machine": machine_info(version),
        "settings": {
            "connections": args.connections,
            "wrk_threads": min(args.threads, args.connections),
            "duration": args.duration,
            "scenarios": scenarios,
            "rounds": args.rounds,
            "cpu_pinning": session.cpus.as_json(),
            "snippets_per_visibility": args.snippets,
            "cooldown_seconds": args.cooldown,
            "wrk_script": str(SCRIPT.relative_to(SCRIPT.parents[1])),
            "api": prepared.api,
            "bare": bare,
            "cache_hit_response_bytes": _size_stats(prepared.response_sizes),
        },
        "notes": NOTES,
        "scenarios": {
            name: {
                "medians": medians(summaries),
                "failed": any(summary.failed for summary in summaries),
                "rounds": [summary.as_json() for summary in summaries],
                "cache_counters_delta": measured.cache_counters.get(name),
                "cpu_seconds": measured.cpu_seconds.get(name),
                "cpu_us_per_request": cpu_table.get(name),
            }
            for name, summaries in runs.items()
        },
        "targets": [item.as_json() for item in evaluated],
        "table": table,
        "logs": str(session.log_dir),
    }
    return SuiteOutcome(report, passed)


# The one deviation from the defaults: wrk is a single client (one address, one account), and
# the default budgets (2 reads/s, 0.5 writes/s per client) would turn the run into a measure of
# 429s. The limiter still runs on every request (its Redis call included); it never refuses.
UNLIMITED = str(10**9)
RATE_LIMITS_OFF = {
    "RATE_LIMIT_READ_CAPACITY": UNLIMITED,
    "RATE_LIMIT_READ_REFILL_PER_SECOND": UNLIMITED,
    "RATE_LIMIT_WRITE_CAPACITY": UNLIMITED,
    "RATE_LIMIT_WRITE_REFILL_PER_SECOND": UNLIMITED,
}

SUITE = Suite(
    name="read",
    help="snippet reads (cache hit, cache miss), creates, against a bare FastAPI app",
    add_arguments=add_arguments,
    run=run,
    api_overrides=RATE_LIMITS_OFF,
)
