"""The read benchmark's figures: wrk's summary as bench/wrk.lua writes it, and the targets
judged on the median of per-round ratios."""

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bench.results import Round, Target, evaluate, format_table
from bench.wrk import MISSING, WrkSummary, parse_summary
from tests.conftest import PROJECT_ROOT

WRK_DONE_OUTPUT = {  # as bench/wrk.lua's done() writes it: microseconds, statuses as keys
    "duration_us": 2_000_000,
    "requests": 1000,
    "bytes": 2_100_000,
    "socket_errors": {"connect": 0, "read": 1, "write": 0, "timeout": 2},
    "latency_us": {
        "min": 350,
        "mean": 4165.25,
        "p50": 3758,
        "p90": 5836,
        "p95": 6646,
        "p99": 8894,
        "max": 57614,
    },
    "statuses": {"200": 990, "404": 3, "429": 4, "503": 3},
}


def summary(rps: float, p99_ms: float = 10.0, statuses: dict[int, int] | None = None) -> WrkSummary:
    return WrkSummary(
        requests=int(rps),
        seconds=1.0,
        latency_ms={"p50": p99_ms / 2, "p90": p99_ms / 1.5, "p99": p99_ms},
        statuses=statuses or {200: int(rps)},
        socket_errors={},
        expected_status=200,
    )


def test_wrks_summary_gives_rates_milliseconds_and_unexpected_statuses() -> None:
    parsed = parse_summary(json.dumps(WRK_DONE_OUTPUT), expected_status=200)

    assert parsed.requests_per_second == 500.0
    assert parsed.latency_ms["p50"] == 3.758
    assert parsed.p99_ms == 8.894
    assert parsed.unexpected == {"all": 10, "non_2xx": 10, "429": 4, "5xx": 3}
    # 10 unexpected answers and 3 socket errors out of 1003 attempts: more than 1 %.
    assert parsed.failure_rate == pytest.approx(13 / 1003)
    assert parsed.failed


def test_a_run_without_requests_has_no_latency_and_fails() -> None:
    empty = WRK_DONE_OUTPUT | {
        "requests": 0,
        "statuses": {},
        "socket_errors": {"connect": 32, "read": 0, "write": 0, "timeout": 0},
        "latency_us": {"min": 0, "mean": None, "p50": 0, "p90": 0, "p95": 0, "p99": 0, "max": 0},
    }

    parsed = parse_summary(json.dumps(empty), expected_status=201)

    assert parsed.latency_ms["mean"] is None
    assert parsed.failed


def test_a_create_expects_201_and_counts_200_as_a_failure() -> None:
    created = replace(summary(1000, statuses={201: 995, 200: 5}), expected_status=201)

    assert created.unexpected["all"] == 5
    assert created.unexpected["non_2xx"] == 0
    assert not created.failed  # 0.5 %


def test_targets_take_the_median_of_the_per_round_ratios_not_the_ratio_of_medians() -> None:
    rounds: list[Round] = [
        {"bare": summary(100, p99_ms=10), "cache_hit": summary(90, p99_ms=15)},
        {"bare": summary(200, p99_ms=10), "cache_hit": summary(100, p99_ms=30)},
        {"bare": summary(400, p99_ms=10), "cache_hit": summary(380, p99_ms=12)},
    ]
    targets = (
        Target("cache_hit", "rps", ">=", 0.75),
        Target("cache_hit", "p99", "<=", 2.0),
        Target("cache_miss", "rps", ">=", 0.35),
    )

    rps, p99, miss = evaluate(targets, rounds)

    assert rps.ratios == [0.9, 0.5, 0.95]
    assert rps.median_ratio == 0.9  # the ratio of the medians, 100 / 200, would fail it
    assert rps.verdict == "PASS"
    assert p99.ratios == [1.5, 3.0, 1.2]
    assert p99.verdict == "PASS"
    assert miss.verdict == "SKIP"  # cache_miss did not run
    table = format_table(rounds)
    assert table.splitlines()[3].split()[:2] == ["cache_hit", "100.0"]  # medians per scenario
    assert table.splitlines()[3].split()[-3:] == ["0.90", "1.50", "ok"]


def test_a_round_without_its_baseline_is_left_out_of_the_ratios() -> None:
    rounds: list[Round] = [
        {"bare": summary(100), "cache_miss": summary(30)},
        {"cache_miss": summary(90)},
    ]

    (miss,) = evaluate([Target("cache_miss", "rps", ">=", 0.35)], rounds)

    assert miss.ratios == [0.3]
    assert miss.verdict == "FAIL"


def test_the_runner_without_wrk_says_how_to_install_it(tmp_path: Path) -> None:
    environment = dict(os.environ) | {"PATH": str(Path(sys.executable).parent)}
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "read", "--duration", "1s", "--rounds", "1"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 1
    assert result.stdout.strip().splitlines() == [f"bench | error: {MISSING}"]
    assert "apt-get install wrk" in MISSING
