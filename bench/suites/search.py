"""The `search` suite: ranked full-text search over `--count` seeded snippets.

1. The runner starts PostgreSQL, Valkey, Tansu and the API (one worker, default settings,
   rate limits raised) in `.data/bench-search/` — a data directory of this suite's own,
   so the seeded snippets stay for the next run and never mix with the other suites' data.
2. `swiftpaste seed` tops the database up to `--count` search documents (default 100,000:
   code in ten languages and prose, see `swiftpaste.devstack.seed_corpus`); the first run
   takes a few minutes, later runs reuse them.
3. Every query is asked once (warm-up; the matches per query go into the report).
4. wrk (bench/wrk.lua) runs `--connections` keep-alive connections (default 8) for
   `--duration`, anonymous, round robin over TYPICAL_QUERIES: one- and two-word queries a
   person types (topics, identifiers), each matching 0.2-11 % of the snippets.
5. EXPLAIN (ANALYZE, BUFFERS) of a typical query, built by the API's own code
   (`search_statement`), goes into the report; the GIN index must appear in the plan.
6. For information only (no target): every typical query one request at a time (its
   median of 5, with the slowest printed: the few that match most set the p95 under load),
   and very common words (matching 15-45 % of the corpus), one request at a time.

Targets: p95 ≤ 50 ms and ≥ 200 searches/s at 8 connections.
"""

import argparse
import asyncio
import math
import statistics
import sys
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from bench import harness
from bench.harness import (
    BenchError,
    CpuMeter,
    Session,
    api_environment,
    machine_info,
    postgres,
    say,
)
from bench.results import Suite, SuiteOutcome
from bench.suites.read import RATE_LIMITS_OFF
from bench.wrk import Load, add_load_arguments, run_wrk, wrk_version

SEARCH_DATA_DIR = harness.ROOT / ".data" / "bench-search"
P95_TARGET_MS = 50.0
RPS_TARGET = 200.0
SEED_TIMEOUT_SECONDS = 3600.0
SEARCH_PATH = "/v1/api/snippet/search"

TYPICAL_QUERIES = (
    # one word: topics, tools, identifiers
    "fibonacci", "quicksort", "websocket", "dijkstra", "kafka", "redis", "jwt", "graphql",
    "nginx", "base64", "regex", "tokenizer", "csv", "get_user", "fetchOrder", "load_config",
    # two words
    "binary search", "http server", "merge sort", "rate limiter", "circuit breaker",
    "password reset", "docker compose", "bloom filter", "thread pool", "lru cache",
    "shopping cart", "react hooks",
)  # fmt: skip
COMMON_WORDS = ("user", "json", "parse json", "cache")
EXPLAINED_QUERY = "binary search"
SLOWEST = 4
"""How many of the slowest typical queries (asked alone) the printed table names."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--count",
        type=int,
        default=100_000,
        help="search documents to have in the database (default 100000)",
    )
    add_load_arguments(parser, connections=8, duration="20s")


async def _document_count(database_url: str) -> int:
    async with postgres(database_url) as connection:
        return int(await connection.fetchval("SELECT count(*) FROM search_documents"))


def _seed(session: Session, env: dict[str, str], database_url: str, wanted: int) -> dict[str, Any]:
    present = asyncio.run(_document_count(database_url))
    missing = wanted - present
    if missing <= 0:
        say(f"seed: {present} search documents already there (wanted {wanted})")
        return {"present_before": present, "seeded": 0, "seconds": 0.0}
    say(f"seed: {present} search documents there; `swiftpaste seed --count {missing}`")
    started = time.monotonic()
    child = session.processes.start(
        "seed",
        [sys.executable, "-m", "swiftpaste", "seed", "--count", str(missing)],
        env=env,
        log_path=session.log_dir / "seed.log",
    )
    try:
        code = child.process.wait(SEED_TIMEOUT_SECONDS)
    finally:
        session.processes.stop(child)
    if code != 0:
        raise BenchError(f"`swiftpaste seed` failed ({code}); see {child.log_path}")
    seconds = time.monotonic() - started
    say(f"seed: {child.log_path.read_text().strip().splitlines()[-1]}")
    return {"present_before": present, "seeded": missing, "seconds": seconds}


def _warm_up(client: httpx.Client, queries: tuple[str, ...]) -> dict[str, int]:
    """Ask each query once; how many snippets each matches (for anonymous readers)."""
    totals = {}
    for query in queries:
        response = client.get(SEARCH_PATH, params={"query": query})
        if response.status_code != httpx.codes.OK:
            raise BenchError(f"search {query!r} answered {response.status_code}: {response.text}")
        totals[query] = int(response.json()["total"])
    return totals


def _one_at_a_time(client: httpx.Client, queries: tuple[str, ...], rounds: int = 5) -> Any:
    results = {}
    for query in queries:
        times, total = [], 0
        for _ in range(rounds):
            started = time.perf_counter()
            response = client.get(SEARCH_PATH, params={"query": query})
            times.append((time.perf_counter() - started) * 1000)
            total = int(response.json()["total"])
        results[query] = {"matches": total, "median_ms": statistics.median(times)}
    return results


async def _explain(database_url: str, query: str) -> str:
    from swiftpaste.application.ports.search import SearchCriteria  # noqa: PLC0415
    from swiftpaste.application.search.query import parse_query  # noqa: PLC0415
    from swiftpaste.infrastructure.persistence.read_pool import (  # noqa: PLC0415
        READ_SERVER_SETTINGS,
    )
    from swiftpaste.infrastructure.persistence.search_queries import search_sql  # noqa: PLC0415

    criteria = SearchCriteria(query=parse_query(query), reader_id=None)
    sql, arguments = search_sql(criteria)
    # The settings of the API's read pool: the plan EXPLAINed is the one it runs.
    async with postgres(database_url, READ_SERVER_SETTINGS) as connection:
        rows = await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *arguments)
    return "\n".join(row[0] for row in rows)


def run(args: argparse.Namespace, session: Session) -> SuiteOutcome:
    version = wrk_version()  # before anything starts: without wrk, nothing to do
    started_at = datetime.now(tz=UTC)
    # Before the session starts anything: this suite's servers keep their data apart.
    harness.DATA_DIR = SEARCH_DATA_DIR
    api = session.api()
    if api.mode != "embedded":
        raise BenchError("the search suite starts its own stack: unset BENCH_BASE_URL")
    urls = session.server_urls()
    database_url = urls["DATABASE_URL"]
    seeding = _seed(session, api_environment(urls), database_url, args.count)
    documents = asyncio.run(_document_count(database_url))

    with httpx.Client(base_url=api.base_url, timeout=30.0) as client:
        say(f"warm-up: {len(TYPICAL_QUERIES)} typical queries once each")
        matches = _warm_up(client, TYPICAL_QUERIES)
    say(f"wrk: {args.connections} connections for {args.duration}")
    meter = CpuMeter({"api": session.child_pid("api"), **session.server_pids()}, "wrk")
    meter.start()
    paths = [f"{SEARCH_PATH}?{urlencode({'query': query})}" for query in TYPICAL_QUERIES]
    result = run_wrk(session, Load(paths), base_url=api.base_url, args=args, label="search")
    cpu_seconds = meter.stop()
    with httpx.Client(base_url=api.base_url, timeout=30.0) as client:
        alone = _one_at_a_time(client, TYPICAL_QUERIES)
        common = _one_at_a_time(client, COMMON_WORDS)
    plan = asyncio.run(_explain(database_url, EXPLAINED_QUERY))
    gin_used = "ix_search_documents_search_vector" in plan

    p95, rps = result.latency_ms["p95"] or math.inf, result.requests_per_second
    targets = [
        {
            "target": f"p95 ≤ {P95_TARGET_MS:g} ms at {args.connections} connections",
            "actual": p95,
            "result": "PASS" if p95 <= P95_TARGET_MS else "FAIL",
        },
        {
            "target": f"≥ {RPS_TARGET:g} searches/s at {args.connections} connections",
            "actual": rps,
            "result": "PASS" if rps >= RPS_TARGET else "FAIL",
        },
        {
            "target": "the plan uses the GIN index ix_search_documents_search_vector",
            "actual": gin_used,
            "result": "PASS" if gin_used else "FAIL",
        },
    ]
    lines = [
        f"search: {result.requests} requests, {result.describe()}, p95 {p95:.2f} ms",
        "",
        *(f"{t['result']:<4}  {t['target']}  (actual {t['actual']})" for t in targets),
        "",
        (
            f"documents: {documents}; typical queries match {min(matches.values())}"
            f"-{max(matches.values())} snippets each (anonymous)"
        ),
        "slowest typical queries, one request at a time: "
        + ", ".join(
            f"{q!r} {v['matches']} hits {v['median_ms']:.0f} ms"
            for q, v in sorted(alone.items(), key=lambda item: -item[1]["median_ms"])[:SLOWEST]
        )
        + f"; median of all {statistics.median(v['median_ms'] for v in alone.values()):.1f} ms",
        "common words, one request at a time (no target): "
        + ", ".join(
            f"{q!r} {v['matches']} hits {v['median_ms']:.0f} ms" for q, v in common.items()
        ),
        "CPU seconds during the wrk run: "
        + ", ".join(f"{name} {seconds:.1f}" for name, seconds in cpu_seconds.items()),
    ]
    table = "\n".join(lines)
    say(f"results:\n\n{table}\n\nplan of {EXPLAINED_QUERY!r}:\n{plan}\n")
    passed = all(target["result"] == "PASS" for target in targets) and not result.failed
    report = {
        "suite": "search",
        "started_at": started_at.isoformat(),
        "finished_at": datetime.now(tz=UTC).isoformat(),
        "passed": passed,
        "machine": machine_info(version),
        "settings": {
            "count": args.count,
            "connections": args.connections,
            "duration": args.duration,
            "queries": list(TYPICAL_QUERIES),
            "api": api.settings,
        },
        "seeding": seeding,
        "documents": documents,
        "matches_per_query": matches,
        "wrk": result.as_json(),
        "cpu_seconds": cpu_seconds,
        "typical_one_at_a_time": alone,
        "common_words": common,
        "explain_query": EXPLAINED_QUERY,
        "explain": plan,
        "targets": targets,
        "table": table,
        "logs": str(session.log_dir),
    }
    return SuiteOutcome(report, passed)


SUITE = Suite(
    name="search",
    help="search p95 and throughput at 8 connections over 100,000 seeded snippets",
    add_arguments=add_arguments,
    run=run,
    api_overrides=RATE_LIMITS_OFF,
)
