"""The `read` suite: the snippet read path against a bare FastAPI app (DESIGN.md §3).

Scenarios, run in turn with the same VUs and duration (bench/read.js):

- `cache_hit`: GET of public snippets whose versions the runner has already read, so they
  are served from Redis as stored bytes.
- `cache_miss`: the owner's GET of their own *private* snippets. Private versions are never
  cached, so every request is a PostgreSQL read: the repeatable cache-miss path. (Deleting
  `snippet:{short_id}:v*` between iterations would race the readers that refill them.)
- `create`: POST of a new public snippet.
- `bare`: bench/bare_app.py, FastAPI and uvicorn alone, answering a body the size of a real
  cache-hit response. The baseline of the targets.

Targets: cache_hit ≥ 0.8 x bare req/s and p99 ≤ 2 x bare p99; cache_miss ≥ 0.35 x bare req/s.
"""

import argparse
import secrets
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from bench.harness import (
    BENCH_DIR,
    BenchError,
    CpuMeter,
    K6Result,
    Session,
    machine_info,
    say,
    scrape_counters,
)
from bench.results import (
    Suite,
    SuiteOutcome,
    Target,
    combine_rounds,
    evaluate,
    format_round_ratios,
    format_table,
    format_targets,
    round_ratios,
)
from bench.suites.content import snippet_content

SCRIPT = BENCH_DIR / "read.js"
SCENARIOS = ("cache_hit", "cache_miss", "create", "bare")
API_SCENARIOS = frozenset({"cache_hit", "cache_miss", "create"})
TARGETS = (
    Target("cache_hit", "rps", ">=", 0.8),
    Target("cache_hit", "p99", "<=", 2.0),
    Target("cache_miss", "rps", ">=", 0.35),
)
DEFAULT_BARE_BODY_BYTES = 2048
MAX_SNIPPETS = 1000
MAX_ROUNDS = 10
CACHE_COUNTERS = ("cache_hit_total", "cache_miss_total", "cache_error_total")
SNIPPETS_PATH = "/v1/api/snippet/"
READ_PATH = "/v1/api/snippet/{short_id}"
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
        "k6 runs on the same machine as the servers; compare ratios, not absolute numbers, "
        "across machines."
    ),
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated, run in this order (default {','.join(SCENARIOS)})",
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
        "--rounds",
        type=int,
        default=1,
        help=(
            "run the scenarios this many times over, interleaved, and report the median "
            f"(1-{MAX_ROUNDS}, default 1); worth it on a busy or small machine"
        ),
    )
    parser.add_argument(
        "--cooldown",
        type=float,
        default=2.0,
        help="seconds of rest between scenarios (default 2)",
    )


def _scenarios(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown or not names:
        raise BenchError(f"--scenarios: choose among {', '.join(SCENARIOS)} (got {text!r})")
    return list(dict.fromkeys(names))


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


def snippet_api_present(client: httpx.Client) -> bool:
    """Whether the API documents POST /v1/api/snippet/ and GET /v1/api/snippet/{short_id}."""
    response = client.get("/openapi.json")
    if response.status_code != httpx.codes.OK:
        return True  # not documented here: let seeding find out
    paths: dict[str, dict[str, Any]] = response.json().get("paths", {})
    reads = [path for path in paths if path.startswith(SNIPPETS_PATH) and "get" in paths[path]]
    return "post" in paths.get(SNIPPETS_PATH, {}) and bool(reads)


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
    """The API side, ready to measure: a client, the seeded snippets, or why it is skipped."""

    client: httpx.Client | None = None
    seed: Seed | None = None
    response_sizes: list[int] = field(default_factory=list)
    api: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def prepare_api(args: argparse.Namespace, session: Session, scenarios: list[str]) -> Prepared:
    wanted = [name for name in scenarios if name in API_SCENARIOS]
    if not wanted:
        return Prepared()
    api = session.api()
    client = httpx.Client(base_url=api.base_url, timeout=REQUEST_TIMEOUT_SECONDS)
    prepared = Prepared(
        client=client,
        api={
            "mode": api.mode,
            "base_url": api.base_url,
            "command": api.command,
            "overrides": api.overrides,
            "settings": api.settings,
        },
    )
    if not snippet_api_present(client):
        reason = "the API has no snippet routes yet (POST /v1/api/snippet/ is not in OpenAPI)"
        say(f"{reason}: skipping {', '.join(wanted)}")
        prepared.skipped = dict.fromkeys(wanted, reason)
        return prepared
    say(f"seeding {args.snippets} public and {args.snippets} private snippets")
    prepared.seed = seed(client, args.snippets)
    prepared.response_sizes = warm_cache(client, prepared.seed.public_ids)
    check_private_reads(client, prepared.seed, log_in(client, prepared.seed.account))
    return prepared


def start_bare(session: Session, body_bytes: int) -> tuple[str, list[str]]:
    url, command = session.start_bare_app(body_bytes)
    with httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT_SECONDS) as client:
        for _ in range(20):  # the first requests pay for lazy imports and route compilation
            _expect(client.get("/v1/api/snippet/bare0001"), httpx.codes.OK, "bare read")
    return url, command


def scenario_data(scenario: str, prepared: Prepared) -> dict[str, Any]:
    """What read.js needs for `scenario` (DATA_FILE): ids, and a fresh token when it reads as
    the owner or creates."""
    seed_ = prepared.seed
    data: dict[str, Any] = {"public_ids": seed_.public_ids if seed_ else []}
    if scenario in API_SCENARIOS:
        assert seed_ is not None
        assert prepared.client is not None
        data["private_ids"] = seed_.private_ids
    if scenario in {"cache_miss", "create"}:
        assert seed_ is not None
        assert prepared.client is not None
        data["token"] = log_in(prepared.client, seed_.account)  # fresh: its whole lifetime
        data["create_body"] = seed_.create_body
    return data


@dataclass
class Measured:
    results: dict[str, K6Result] = field(default_factory=dict)
    cache_counters: dict[str, dict[str, float] | None] = field(default_factory=dict)
    cpu_seconds: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per scenario, summed over rounds: CPU seconds each process spent during k6's run."""
    requests: dict[str, int] = field(default_factory=dict)


def run_scenarios(
    args: argparse.Namespace,
    session: Session,
    scenarios: list[str],
    prepared: Prepared,
    bare_url: str | None,
) -> Measured:
    """Each scenario in turn, `--rounds` times over (interleaved, so drift hits all alike)."""
    measured = Measured()
    to_run = [name for name in scenarios if name not in prepared.skipped]
    runs: dict[str, list[K6Result]] = {}
    for round_ in range(1, args.rounds + 1):
        for index, scenario in enumerate(to_run):
            if (index or round_ > 1) and args.cooldown > 0:
                time.sleep(args.cooldown)  # let the view events and connections settle
            api_client = prepared.client if scenario in API_SCENARIOS else None
            base_url = str(api_client.base_url).rstrip("/") if api_client else bare_url
            assert base_url is not None
            data = scenario_data(scenario, prepared)
            of_rounds = f", round {round_}/{args.rounds}" if args.rounds > 1 else ""
            say(f"k6: {scenario}{of_rounds}, {args.vus} VUs for {args.duration} at {base_url}")
            before = scrape_counters(api_client, CACHE_COUNTERS) if api_client else None
            server = "api" if scenario in API_SCENARIOS else "bare"
            meter = CpuMeter({server: session.child_pid(server), **session.server_pids()})
            meter.start()
            result = session.run_k6(
                SCRIPT,
                scenario,
                base_url=base_url,
                vus=args.vus,
                duration=args.duration,
                data=data,
                label=scenario if args.rounds == 1 else f"{scenario}-round{round_}",
            )
            spent = meter.stop()
            runs.setdefault(scenario, []).append(result)
            total_cpu = measured.cpu_seconds.setdefault(scenario, {})
            for name, seconds in spent.items():
                total_cpu[name] = total_cpu.get(name, 0.0) + seconds
            measured.requests[scenario] = measured.requests.get(scenario, 0) + int(
                result.summary.get("requests", 0)
            )
            after = scrape_counters(api_client, CACHE_COUNTERS) if api_client else None
            delta = _counter_delta(before, after)
            if delta is not None:
                total = measured.cache_counters.get(scenario) or {}
                measured.cache_counters[scenario] = {
                    name: total.get(name, 0.0) + value for name, value in delta.items()
                }
    measured.results = {name: combine_rounds(results) for name, results in runs.items()}
    return measured


def cpu_per_request(measured: Measured) -> dict[str, dict[str, float]]:
    """Per scenario: CPU µs per request of each process (server, servers, k6)."""
    table: dict[str, dict[str, float]] = {}
    for scenario, spent in measured.cpu_seconds.items():
        requests = measured.requests.get(scenario, 0)
        if requests:
            table[scenario] = {name: round(s / requests * 1e6, 1) for name, s in spent.items()}
    return table


def format_cpu(table: dict[str, dict[str, float]]) -> str:
    names = ["api", "bare", "valkey", "postgres", "kafka", "k6", "steal"]
    present = [name for name in names if any(name in row for row in table.values())]
    lines = ["CPU µs per request, by process (during the k6 run; steal: withheld by the host):"]
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
        measured = run_scenarios(args, session, scenarios, prepared, bare_url)
    finally:
        if prepared.client is not None:
            prepared.client.close()

    results = measured.results
    evaluated = evaluate(TARGETS, results)
    table = format_table(results)
    cpu_table = cpu_per_request(measured)
    by_round = round_ratios(results)
    by_round_lines = format_round_ratios(by_round)
    skipped_lines = "".join(f"SKIP  {name}: {why}\n" for name, why in prepared.skipped.items())
    say(
        f"results (VUs {args.vus}, duration {args.duration}, rounds {args.rounds}):"
        f"\n\n{table}\n\n{format_cpu(cpu_table)}\n\n"
        + (f"{by_round_lines}\n\n" if by_round_lines else "")
        + f"{format_targets(evaluated)}\n{skipped_lines}"
    )
    for name, result in results.items():
        unexpected = result.summary.get("unexpected_status", {})
        if unexpected.get("429"):
            say(
                f"{name}: {unexpected['429']} answers were 429: the API rate-limited the bench;"
                " raise its RATE_LIMIT_* settings (the runner does when it starts the API)"
            )
    passed = (
        not prepared.skipped
        and all(item.passed is not False for item in evaluated)
        and all(result.thresholds_ok for result in results.values())
    )
    report: dict[str, Any] = {
        "suite": "read",
        "started_at": started_at.isoformat(),
        "finished_at": datetime.now(tz=UTC).isoformat(),
        "passed": passed,
        "machine": machine_info(session.k6_command),
        "settings": {
            "vus": args.vus,
            "duration": args.duration,
            "scenarios": scenarios,
            "rounds": args.rounds,
            "cpu_pinning": session.cpus.as_json(),
            "snippets_per_visibility": args.snippets,
            "cooldown_seconds": args.cooldown,
            "k6_command": session.k6_command,
            "k6_script": str(SCRIPT.relative_to(BENCH_DIR.parent)),
            "api": prepared.api,
            "bare": bare,
            "cache_hit_response_bytes": _size_stats(prepared.response_sizes),
        },
        "notes": NOTES,
        "scenarios": {
            name: {
                "k6_exit_code": result.exit_code,
                "thresholds_ok": result.thresholds_ok,
                "summary": result.summary,
                "cache_counters_delta": measured.cache_counters.get(name),
                "cpu_seconds": measured.cpu_seconds.get(name),
                "cpu_us_per_request": cpu_table.get(name),
                "k6_log": str(result.log_path),
            }
            for name, result in results.items()
        },
        "skipped": prepared.skipped,
        "targets": [item.as_json() for item in evaluated],
        "ratio_to_bare_by_round": by_round,
        "table": table,
        "logs": str(session.log_dir),
    }
    return SuiteOutcome(report, passed)


# The one deviation from the defaults: k6 is a single client (one address, one account), and
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
