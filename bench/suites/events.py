"""The `events` suite: the event backbone's throughput and lag (DESIGN.md §2, §4, §5).

Three measurements, each against the real processes (`swiftpaste relay`,
`swiftpaste consume ...`) started by the runner beside the API, with default settings:

- `relay`: `--relay-events` lifecycle events are written to the outbox in one go (the
  envelopes the unit of work would write), then one relay publishes them. Throughput is
  taken from the relay's own batch timestamps (`published_at` is each batch's
  transaction start): the rows of every batch but the last over the time from the first
  batch to the last.
- `views`: `--view-events` `snippet.viewed` messages over 20 snippets are put on the
  views topic first, then the views consumer is started. Throughput runs from the moment
  the first counts land in PostgreSQL to the moment all of them have: the consumer
  group's start-up is not counted.
- `lag`: the relay and the indexer run while snippets are created through the HTTP API
  at a steady `--rate` per second for `--lag-duration` seconds (k6, bench/lag.js, an
  open model: a create starts on schedule whether or not earlier ones were answered).
  Lag per snippet runs from the commit of its create to the commit of the search document
  (commit timestamps: NOTIFY, the relay, Kafka, the indexer and its transaction). The
  report also shows a stricter figure from the start of the write transaction, and how
  long the relay took to pick each event up.

Targets on the reference machine: relay ≥ 2,000 events/s, views consumer ≥ 10,000
events/s, lag p95 ≤ 300 ms.
"""

import argparse
import asyncio
import secrets
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from bench.harness import (
    BENCH_DIR,
    HOST,
    BenchError,
    Child,
    CpuMeter,
    Session,
    api_environment,
    free_port,
    machine_info,
    postgres,
    say,
    wait_until_ready,
)
from bench.k6 import run_k6
from bench.results import Suite, SuiteOutcome
from bench.suites.content import snippet_content
from bench.suites.read import RATE_LIMITS_OFF, log_in, register

LAG_SCRIPT = BENCH_DIR / "lag.js"
LAG_DISTINCT_CONTENTS = 200
MAX_FAILED_CREATES = 0.01
"""More failed creates than this share and the lag run fails: the rate was not held."""
RELAY_TARGET = 2000.0
VIEWS_TARGET = 10_000.0
LAG_P95_TARGET_MS = 300.0
VIEW_SNIPPETS = 20
RELAY_TOPIC = "bench.relay-throughput"
DRAIN_TIMEOUT_SECONDS = 180.0
POLL_SECONDS = 0.05


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--relay-events", type=int, default=20_000, help="outbox rows to publish (default 20000)"
    )
    parser.add_argument(
        "--view-events",
        type=int,
        default=100_000,
        help="view events for the views consumer (default 100000)",
    )
    parser.add_argument(
        "--rate", type=float, default=100.0, help="creates per second in the lag run (default 100)"
    )
    parser.add_argument(
        "--lag-duration",
        type=float,
        default=20.0,
        help="seconds of steady creates in the lag run (default 20)",
    )
    parser.add_argument(
        "--measure",
        default="relay,views,lag",
        help="comma-separated subset of relay,views,lag (default all three)",
    )


@dataclass(frozen=True)
class Stack:
    env: dict[str, str]
    database_url: str
    kafka: str
    views_topic: str


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _start_worker(
    session: Session, stack: Stack, name: str, argv: list[str], port: int | None = None
) -> Child:
    port = port or free_port()
    port_variable = {
        "relay": "RELAY_HTTP_PORT",
        "indexer": "INDEXER_HTTP_PORT",
        "views": "VIEWS_HTTP_PORT",
        "cache": "CACHE_HTTP_PORT",
    }[name]
    env = stack.env | {port_variable: str(port), "WORKER_HTTP_HOST": HOST}
    child = session.processes.start(
        name,
        [sys.executable, "-m", "swiftpaste", *argv],
        env=env,
        log_path=session.log_dir / f"{name}.log",
    )
    wait_until_ready(f"http://{HOST}:{port}/health", child)
    return child


# --- relay -------------------------------------------------------------------------------


async def _fill_outbox(database_url: str, count: int) -> None:
    from swiftpaste.application.integration_events import to_message  # noqa: PLC0415
    from swiftpaste.domain.events import SnippetCreated  # noqa: PLC0415

    # A topic of their own: the lifecycle topic's consumers never see these events.
    topic = RELAY_TOPIC
    now = datetime.now(tz=UTC)
    owner = uuid.uuid4()
    rows = []
    for index in range(count):
        snippet_id = uuid.uuid4()
        message = to_message(
            SnippetCreated(
                snippet_id=snippet_id,
                short_id=f"b{index:07d}"[-8:],
                owner_id=owner,
                occurred_at=now,
                latest_version=1,
                aggregate_version=1,
                title=f"bench event {index}",
                visibility="public",
                language="python",
                expires_at=None,
            ),
        )
        rows.append(
            (
                message.event_id,
                message.event_type,
                topic,
                str(snippet_id),
                message.model_dump_json(),
            ),
        )
    async with postgres(database_url) as connection:
        await connection.executemany(
            "INSERT INTO outbox (event_id, event_type, topic, message_key, message)"
            " VALUES ($1, $2, $3, $4, $5::jsonb)",
            rows,
        )


async def _outbox_progress(database_url: str, after_id: int = 0) -> tuple[int, int]:
    """Pending rows and the highest id, among rows with an id above `after_id`."""
    async with postgres(database_url) as connection:
        row = await connection.fetchrow(
            "SELECT count(*) FILTER (WHERE published_at IS NULL) AS pending,"
            " coalesce(max(id), 0) AS last_id FROM outbox WHERE id > $1",
            after_id,
        )
    assert row is not None
    return int(row["pending"]), int(row["last_id"])


async def _relay_batches(database_url: str, after_id: int) -> list[tuple[datetime, int]]:
    async with postgres(database_url) as connection:
        rows = await connection.fetch(
            "SELECT published_at, count(*) AS n FROM outbox"
            " WHERE id > $1 AND published_at IS NOT NULL"
            " GROUP BY published_at ORDER BY published_at",
            after_id,
        )
    return [(row["published_at"], int(row["n"])) for row in rows]


def _drain(session: Session, stack: Stack, child: Child, after_id: int = 0) -> float:
    """Wait until the relay published every row above `after_id`; the seconds it took."""
    started = time.monotonic()
    while asyncio.run(_outbox_progress(stack.database_url, after_id))[0] > 0:
        if time.monotonic() - started > DRAIN_TIMEOUT_SECONDS:
            raise BenchError(f"the relay did not drain the outbox; see {child.log_path}")
        time.sleep(0.2)
    return time.monotonic() - started


def measure_relay(session: Session, stack: Stack, count: int) -> dict[str, Any]:
    pending, last_id = asyncio.run(_outbox_progress(stack.database_url))
    if pending:
        # Events of earlier runs (the read suite's creates): publish them first.
        say(f"relay: publishing {pending} events left pending by earlier runs first")
        child = _start_worker(session, stack, "relay", ["relay"])
        try:
            _drain(session, stack, child)
        finally:
            session.processes.stop(child)
        _, last_id = asyncio.run(_outbox_progress(stack.database_url))
    say(f"relay: writing {count} events to the outbox")
    asyncio.run(_fill_outbox(stack.database_url, count))
    say("relay: starting `swiftpaste relay`")
    started = time.monotonic()
    child = _start_worker(session, stack, "relay", ["relay"])
    try:
        _drain(session, stack, child, last_id)
        wall = time.monotonic() - started
    finally:
        session.processes.stop(child)
    batches = asyncio.run(_relay_batches(stack.database_url, last_id))
    if len(batches) < 2:  # noqa: PLR2004 - a first and a last batch
        rate = None
    else:
        span = (batches[-1][0] - batches[0][0]).total_seconds()
        rate = (sum(n for _, n in batches) - batches[-1][1]) / span if span > 0 else None
    return {
        "events": count,
        "batches": len(batches),
        "events_per_second": rate,
        "wall_seconds_including_start": wall,
    }


# --- views -------------------------------------------------------------------------------


async def _view_snippets(database_url: str) -> list[tuple[uuid.UUID, str]]:
    async with postgres(database_url) as connection:
        rows = await connection.fetch(
            "SELECT id, short_id FROM snippets WHERE deleted_at IS NULL ORDER BY created_at"
            " LIMIT $1",
            VIEW_SNIPPETS,
        )
    return [(row["id"], row["short_id"]) for row in rows]


async def _views_total(database_url: str, ids: list[uuid.UUID]) -> int:
    async with postgres(database_url) as connection:
        total = await connection.fetchval(
            "SELECT coalesce(sum(views), 0) FROM snippets WHERE id = ANY($1::uuid[])", ids
        )
    return int(total)


async def _produce_views(stack: Stack, snippets: list[tuple[uuid.UUID, str]], count: int) -> None:
    from aiokafka import AIOKafkaProducer  # noqa: PLC0415

    from swiftpaste.application.integration_events import viewed_message  # noqa: PLC0415
    from swiftpaste.domain.events import SnippetViewed  # noqa: PLC0415

    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka, linger_ms=20, acks="all")
    await producer.start()
    try:
        now = datetime.now(tz=UTC)
        pending = []
        for index in range(count):
            snippet_id, short_id = snippets[index % len(snippets)]
            view = SnippetViewed(
                snippet_id=snippet_id, short_id=short_id, version=None, occurred_at=now
            )
            message = viewed_message(view)
            pending.append(
                await producer.send(
                    stack.views_topic,
                    value=message.model_dump_json().encode(),
                    key=str(snippet_id).encode(),
                ),
            )
        await producer.flush()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


def measure_views(session: Session, stack: Stack, api: str, count: int) -> dict[str, Any]:
    with httpx.Client(base_url=api, timeout=30.0) as client:
        _seed_snippets(client, VIEW_SNIPPETS)
    snippets = asyncio.run(_view_snippets(stack.database_url))
    ids = [snippet_id for snippet_id, _ in snippets]
    before = asyncio.run(_views_total(stack.database_url, ids))
    say(f"views: putting {count} view events on {stack.views_topic}")
    asyncio.run(_produce_views(stack, snippets, count))
    say("views: starting `swiftpaste consume views`")
    child = _start_worker(session, stack, "views", ["consume", "views"])
    try:
        deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
        first_at = first_seen = None
        while True:
            seen = asyncio.run(_views_total(stack.database_url, ids)) - before
            now = time.monotonic()
            if seen > 0 and first_at is None:
                first_at, first_seen = now, seen
            if seen >= count:
                done_at = now
                break
            if now > deadline:
                raise BenchError(
                    f"the views consumer counted {seen} of {count}; see {child.log_path}"
                )
            time.sleep(POLL_SECONDS)
    finally:
        session.processes.stop(child)
    assert first_at is not None
    assert first_seen is not None
    span = done_at - first_at
    rate = (count - first_seen) / span if span > 0 else None
    return {
        "events": count,
        "counted": seen,
        "exact": seen == count,
        "events_per_second": rate,
    }


# --- lag ---------------------------------------------------------------------------------


def _seed_snippets(client: httpx.Client, count: int) -> list[str]:
    headers = _bench_account(client)
    ids = []
    for index in range(count):
        language, content = snippet_content(index)
        response = client.post(
            "/v1/api/snippet/",
            json={"title": f"views {index}", "content": content, "language": language},
            headers=headers,
        )
        if response.status_code != httpx.codes.CREATED:
            raise BenchError(f"creating a snippet answered {response.status_code}")
        ids.append(response.json()["id"])
    return ids


def _bench_account(client: httpx.Client) -> dict[str, str]:
    return {"Authorization": f"Bearer {log_in(client, register(client))}"}


def _create_steadily(
    session: Session, stack: Stack, api: str, token: str, rate: float, seconds: float
) -> tuple[list[str], dict[str, Any]]:
    """k6 (bench/lag.js) creates at `rate` per second, open model; the ids created.

    k6 rather than a Python client: at 100 requests/s an asyncio HTTP client costs
    several times the CPU of the requests it sends, on the cores the servers share. And
    rather than wrk, which only keeps connections busy: it would slow its creates down
    with the server, and the lag of the creates that got through would flatter.
    """
    prefix = f"lag {secrets.token_hex(4)} "
    snippets = []
    for index in range(LAG_DISTINCT_CONTENTS):
        language, content = snippet_content(index)
        snippets.append({"language": language, "content": content})
    summary = run_k6(
        session,
        LAG_SCRIPT,
        base_url=api,
        seconds=seconds,
        data={"rate": rate, "token": token, "title_prefix": prefix, "snippets": snippets},
    )
    created = asyncio.run(_created_with_prefix(stack.database_url, prefix))
    return created, summary


async def _created_with_prefix(database_url: str, prefix: str) -> list[str]:
    async with postgres(database_url) as connection:
        rows = await connection.fetch(
            "SELECT id FROM snippets WHERE starts_with(title, $1)", prefix
        )
    return [str(row["id"]) for row in rows]


async def _lags(
    database_url: str, ids: Sequence[str]
) -> tuple[list[tuple[float, float, float]], int]:
    """Per indexed snippet, in ms: (committed → indexed, write start → indexed, relay pickup).

    - committed → indexed: from the commit of the API's create to the commit of the
      indexer's transaction that wrote the search document (`pg_xact_commit_timestamp`
      of the outbox row and of the document; the embedded PostgreSQL tracks commit
      timestamps). The target's measure: when search can first show the snippet.
    - write start → indexed: stricter, from the start of the API's write transaction
      (the outbox row's `created_at`) to the start of the indexer's (`indexed_at`).
    - relay pickup: from the start of the API's transaction to the start of the relay's
      batch transaction that took the event (`published_at`).
    """
    async with postgres(database_url) as connection:
        rows = await connection.fetch(
            "SELECT extract(epoch FROM pg_xact_commit_timestamp(d.xmin)"
            " - pg_xact_commit_timestamp(o.xmin)) * 1000 AS committed_ms,"
            " extract(epoch FROM d.indexed_at - o.created_at) * 1000 AS started_ms,"
            " extract(epoch FROM o.published_at - o.created_at) * 1000 AS relay_ms"
            " FROM search_documents d"
            " JOIN outbox o ON o.message_key = d.snippet_id::text"
            " AND o.event_type = 'snippet.created'"
            " WHERE d.snippet_id = ANY($1::uuid[])",
            [uuid.UUID(value) for value in ids],
        )
    lags = [
        (float(row["committed_ms"]), float(row["started_ms"]), float(row["relay_ms"]))
        for row in rows
    ]
    return lags, len(ids) - len(rows)


def _metric_mean(port: int, histogram: str) -> float | None:
    """`_sum / _count` of a worker's histogram (all label sets), from its /metrics."""
    totals = _histogram_totals(port, histogram)
    return totals["_sum"] / totals["_count"] if totals["_count"] else None


def _mean_ms(port: int, histogram: str) -> float | None:
    mean = _metric_mean(port, histogram)
    return None if mean is None else round(mean * 1000, 2)


def _distribution(values: list[float]) -> dict[str, float | None]:
    return {
        "p50": statistics.median(values) if values else None,
        "p95": _percentile(values, 0.95) if values else None,
        "p99": _percentile(values, 0.99) if values else None,
        "max": max(values) if values else None,
    }


async def _unpublished(database_url: str) -> int:
    async with postgres(database_url) as connection:
        pending = await connection.fetchval(
            "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        )
    return int(pending)


def _histogram_totals(port: int, histogram: str) -> dict[str, float]:
    """`_sum` and `_count` of a worker's histogram (all label sets), from its /metrics."""
    totals = {"_sum": 0.0, "_count": 0.0}
    try:
        text = httpx.get(f"http://{HOST}:{port}/metrics", timeout=5).text
    except httpx.HTTPError:
        return totals
    for line in text.splitlines():
        name = line.split("{", 1)[0].split(" ", 1)[0]
        for suffix in totals:
            if name == histogram + suffix:
                totals[suffix] += float(line.rsplit(" ", 1)[1])
    return totals


def _catch_up(stack: Stack, indexer: Child, indexer_port: int) -> None:
    """Wait until the relay and the indexer have nothing left from before the run.

    The data directory is shared with the other suites: the `read` suite's creates leave
    outbox rows that no relay published. Measured on top of that backlog, the lag would
    be the time to work it off, not the lag of the creates at the measured rate. Caught
    up: the outbox holds no unpublished row, and the indexer took no new batch for a
    second (it takes batches for as long as its topic holds records it has not read).
    """
    started = time.monotonic()
    pending = asyncio.run(_unpublished(stack.database_url))
    if pending:
        say(f"lag: first catching up with earlier runs ({pending} outbox rows unpublished)")
    batches = -1.0
    while True:
        if time.monotonic() - started > DRAIN_TIMEOUT_SECONDS:
            raise BenchError(
                f"the relay and the indexer did not catch up in {DRAIN_TIMEOUT_SECONDS:g} s;"
                f" see {indexer.log_path}"
            )
        taken = _histogram_totals(indexer_port, "indexer_batch_size")["_count"]
        if taken == batches and not asyncio.run(_unpublished(stack.database_url)):
            break
        batches = taken
        time.sleep(1.0)
    if pending:
        say(f"lag: caught up in {time.monotonic() - started:.0f} s")


def measure_lag(
    session: Session, stack: Stack, api: str, rate: float, seconds: float
) -> dict[str, Any]:
    say("lag: starting `swiftpaste relay` and `swiftpaste consume indexer`")
    relay_port, indexer_port = free_port(), free_port()
    relay = _start_worker(session, stack, "relay", ["relay"], relay_port)
    indexer = _start_worker(session, stack, "indexer", ["consume", "indexer"], indexer_port)
    try:
        with httpx.Client(base_url=api, timeout=30.0) as client:
            headers = _bench_account(client)
            # Warm-up: the indexer's consumer group joins and reads its first event.
            warm = _seed_snippets(client, 1)
            deadline = time.monotonic() + 60
            while asyncio.run(_lags(stack.database_url, warm))[1]:
                if time.monotonic() > deadline:
                    raise BenchError(f"the indexer indexed nothing in 60 s; see {indexer.log_path}")
                time.sleep(0.2)
        _catch_up(stack, indexer, indexer_port)
        say(f"lag: {rate:g} creates/s for {seconds:g} s (k6)")
        token = headers["Authorization"].removeprefix("Bearer ")
        meter = CpuMeter(
            {
                "api": session.child_pid("api"),
                "relay": relay.pid,
                "indexer": indexer.pid,
                **session.server_pids(),
            },
            "k6",
        )
        meter.start()
        created, k6 = _create_steadily(session, stack, api, token, rate, seconds)
        cpu_seconds = meter.stop()
        deadline = time.monotonic() + 60
        while True:
            lags, missing = asyncio.run(_lags(stack.database_url, created))
            if not missing or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        workers = {
            "relay_batch_ms_mean": _mean_ms(relay_port, "outbox_publish_batch_seconds"),
            "indexer_batch_ms_mean": _mean_ms(indexer_port, "consumer_processing_seconds"),
            "indexer_records_per_batch_mean": _metric_mean(indexer_port, "indexer_batch_size"),
        }
    finally:
        session.processes.stop(indexer)
        session.processes.stop(relay)
    return {
        "rate_per_second": rate,
        "seconds": seconds,
        "created": len(created),
        "create_failures": k6["requests"] - len(created),
        "create_latency_ms": k6["http_req_duration_ms"],
        "create_unexpected_status": k6["unexpected_status"],
        "not_indexed": missing,
        "lag_ms": _distribution([committed for committed, _, _ in lags]),
        "lag_from_write_start_ms": _distribution([started for _, started, _ in lags]),
        "relay_pickup_ms": _distribution([relay for _, _, relay in lags]),
        "workers_over_the_run": workers,
        "cpu_seconds_while_creating": {
            name: round(value, 2) for name, value in cpu_seconds.items()
        },
    }


# --- the suite ---------------------------------------------------------------------------


def _verdict(value: float | None, target: float, *, at_most: bool = False) -> str:
    if value is None:
        return "FAIL (not measured)"
    ok = value <= target if at_most else value >= target
    return "PASS" if ok else "FAIL"


def run(args: argparse.Namespace, session: Session) -> SuiteOutcome:
    wanted = [name.strip() for name in args.measure.split(",") if name.strip()]
    unknown = set(wanted) - {"relay", "views", "lag"}
    if unknown or not wanted:
        raise BenchError(f"--measure: choose among relay, views, lag (got {args.measure!r})")
    started_at = datetime.now(tz=UTC)
    api = session.api()
    if api.mode != "embedded":
        raise BenchError("the events suite starts its own stack: unset BENCH_BASE_URL")
    urls = session.server_urls()
    from swiftpaste.main.settings import Settings  # noqa: PLC0415

    stack = Stack(
        env=api_environment(urls),
        database_url=urls["DATABASE_URL"],
        kafka=urls["KAFKA_BOOTSTRAP_SERVERS"],
        views_topic=Settings.model_fields["kafka_snippet_views_topic"].default,
    )
    results: dict[str, Any] = {}
    if "relay" in wanted:
        results["relay"] = measure_relay(session, stack, args.relay_events)
    if "views" in wanted:
        results["views"] = measure_views(session, stack, api.base_url, args.view_events)
    if "lag" in wanted:
        results["lag"] = measure_lag(session, stack, api.base_url, args.rate, args.lag_duration)

    lines = []
    targets: list[dict[str, Any]] = []
    if "relay" in results:
        rate = results["relay"]["events_per_second"]
        verdict = _verdict(rate, RELAY_TARGET)
        lines.append(f"relay           {rate or 0:>10.0f} events/s   target ≥ 2000     {verdict}")
        targets.append({"target": "relay events/s ≥ 2000", "actual": rate, "result": verdict})
    if "views" in results:
        rate = results["views"]["events_per_second"]
        verdict = _verdict(rate, VIEWS_TARGET)
        if not results["views"]["exact"]:
            verdict = "FAIL (counts not exact)"
        lines.append(f"views consumer  {rate or 0:>10.0f} events/s   target ≥ 10000    {verdict}")
        targets.append({"target": "views events/s ≥ 10000", "actual": rate, "result": verdict})
    if "lag" in results:
        lag = results["lag"]["lag_ms"]
        verdict = _verdict(lag["p95"], LAG_P95_TARGET_MS, at_most=True)
        failed = results["lag"]["create_failures"]
        if results["lag"]["not_indexed"]:
            verdict = f"FAIL ({results['lag']['not_indexed']} never indexed)"
        elif failed > MAX_FAILED_CREATES * (failed + results["lag"]["created"]):
            # The rate was not sustained: the lag of the creates that got through says little.
            verdict = f"FAIL ({failed} creates failed)"
        strict = results["lag"]["lag_from_write_start_ms"]
        lines.append(
            f"lag at {args.rate:g}/s   p50 {lag['p50'] or 0:>6.0f} ms"
            f"  p95 {lag['p95'] or 0:>6.0f} ms  p99 {lag['p99'] or 0:>6.0f} ms"
            f"   target p95 ≤ 300 ms  {verdict}"
        )
        lines.append(
            f"  from write start  p50 {strict['p50'] or 0:>6.0f} ms"
            f"  p95 {strict['p95'] or 0:>6.0f} ms  p99 {strict['p99'] or 0:>6.0f} ms"
            f"   (information)"
        )
        targets.append({"target": "lag p95 ≤ 300 ms", "actual": lag["p95"], "result": verdict})
    table = "\n".join(lines)
    say(f"results:\n\n{table}\n")
    passed = all(target["result"] == "PASS" for target in targets)
    report = {
        "suite": "events",
        "started_at": started_at.isoformat(),
        "finished_at": datetime.now(tz=UTC).isoformat(),
        "passed": passed,
        "machine": machine_info(None),
        "settings": {
            "measure": wanted,
            "relay_events": args.relay_events,
            "view_events": args.view_events,
            "rate": args.rate,
            "lag_duration": args.lag_duration,
            "api": api.settings,
        },
        "results": results,
        "targets": targets,
        "table": table,
        "logs": str(session.log_dir),
    }
    return SuiteOutcome(report, passed)


SUITE = Suite(
    name="events",
    help="outbox relay and views consumer throughput, create-to-indexed lag",
    add_arguments=add_arguments,
    run=run,
    api_overrides=RATE_LIMITS_OFF,
)
