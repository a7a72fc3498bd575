"""Comparing k6 results with a baseline scenario: targets, the table, and their JSON form."""

import argparse
import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from bench.harness import K6Result, Session

Metric = Literal["rps", "p99"]
Relation = Literal[">=", "<="]


@dataclass(frozen=True)
class SuiteOutcome:
    """What a suite hands back: its JSON report, and whether every target and threshold held."""

    report: dict[str, Any]
    passed: bool


@dataclass(frozen=True)
class Suite:
    """A family of scenarios run together (`read`; later `events`, `search`)."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Session], SuiteOutcome]
    api_overrides: Mapping[str, str] = field(default_factory=dict)
    """API settings the suite must change from their defaults (reported as deviations)."""


@dataclass(frozen=True)
class Target:
    """`scenario`'s `metric` must be `relation` `factor` x the baseline scenario's."""

    scenario: str
    metric: Metric
    relation: Relation
    factor: float
    baseline: str = "bare"

    @property
    def label(self) -> str:
        unit = "req/s" if self.metric == "rps" else "p99"
        sign = "≥" if self.relation == ">=" else "≤"
        return f"{self.scenario} {unit} {sign} {self.factor:g} x {self.baseline} {unit}"


@dataclass(frozen=True)
class TargetResult:
    target: Target
    actual_ratio: float | None
    passed: bool | None  # None: a scenario it compares was not run

    def as_json(self) -> dict[str, Any]:
        return {
            "target": self.target.label,
            "scenario": self.target.scenario,
            "baseline": self.target.baseline,
            "metric": self.target.metric,
            "relation": self.target.relation,
            "factor": self.target.factor,
            "actual_ratio": self.actual_ratio,
            "result": {True: "PASS", False: "FAIL", None: "SKIPPED"}[self.passed],
        }


def combine_rounds(runs: Sequence[K6Result]) -> K6Result:
    """One result from several rounds of a scenario: the median of each figure.

    Requests are summed, the failure rate is over all requests, thresholds hold only if they
    held in every round; each round's own summary is kept under `rounds`.
    """
    if len(runs) == 1:
        return runs[0]
    summaries = [run.summary for run in runs]
    requests = sum(int(summary.get("requests", 0)) for summary in summaries)
    failed = sum(
        float(summary.get("http_req_failed_rate", 0.0)) * int(summary.get("requests", 0))
        for summary in summaries
    )
    latency: dict[str, float | None] = {}
    for stat in summaries[0]["http_req_duration_ms"]:
        values = [s["http_req_duration_ms"].get(stat) for s in summaries]
        present = [float(value) for value in values if value is not None]
        latency[stat] = statistics.median(present) if present else None
    unexpected: dict[str, int] = {}
    for summary in summaries:
        for kind, count in summary.get("unexpected_status", {}).items():
            unexpected[kind] = unexpected.get(kind, 0) + int(count)
    combined = dict(summaries[0]) | {
        "requests": requests,
        "requests_per_second": statistics.median(run.requests_per_second for run in runs),
        "http_req_duration_ms": latency,
        "http_req_failed_rate": failed / requests if requests else 0.0,
        "unexpected_status": unexpected,
        "thresholds_ok": all(run.thresholds_ok for run in runs),
        "aggregation": f"median of {len(runs)} rounds",
        "rounds": summaries,
    }
    combined.pop("thresholds", None)  # per round, under `rounds`
    exit_code = next((run.exit_code for run in runs if run.exit_code != 0), 0)
    return K6Result(runs[0].scenario, exit_code, combined, runs[-1].log_path)


def metric_value(result: K6Result, metric: Metric) -> float:
    return result.requests_per_second if metric == "rps" else result.latency_ms("p99")


def ratio(value: float, baseline: float) -> float | None:
    if baseline <= 0 or math.isnan(value) or math.isnan(baseline):
        return None
    return value / baseline


def evaluate(targets: Sequence[Target], results: Mapping[str, K6Result]) -> list[TargetResult]:
    evaluated = []
    for target in targets:
        result, baseline = results.get(target.scenario), results.get(target.baseline)
        if result is None or baseline is None:
            evaluated.append(TargetResult(target, None, None))
            continue
        actual = ratio(metric_value(result, target.metric), metric_value(baseline, target.metric))
        if actual is None:
            passed = False
        elif target.relation == ">=":
            passed = actual >= target.factor
        else:
            passed = actual <= target.factor
        evaluated.append(TargetResult(target, actual, passed))
    return evaluated


def _number(value: float | None, digits: int = 2) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def format_table(results: Mapping[str, K6Result], baseline: str = "bare") -> str:
    headers = (
        "scenario",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "failed %",
        "req/s ÷ " + baseline,
        "p99 ÷ " + baseline,
        "thresholds",
    )
    base = results.get(baseline)
    rows = []
    for name, result in results.items():
        rps_ratio = p99_ratio = None
        if base is not None:
            rps_ratio = ratio(result.requests_per_second, base.requests_per_second)
            p99_ratio = ratio(result.latency_ms("p99"), base.latency_ms("p99"))
        rows.append(
            (
                name,
                _number(result.requests_per_second, 1),
                _number(result.latency_ms("p50")),
                _number(result.latency_ms("p95")),
                _number(result.latency_ms("p99")),
                _number(100 * float(result.summary.get("http_req_failed_rate", 0.0))),
                _number(rps_ratio),
                _number(p99_ratio),
                "ok" if result.thresholds_ok else "FAILED",
            )
        )
    widths = [max(len(row[i]) for row in (headers, *rows)) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join((first, *rest))

    return "\n".join([line(headers), line(["-" * width for width in widths]), *map(line, rows)])


def round_ratios(results: Mapping[str, K6Result], baseline: str = "bare") -> dict[str, list[float]]:
    """Each scenario's req/s ÷ the baseline's, round by round (the rounds are interleaved,
    so the two of a round ran minutes apart at most): how far the machine moved meanwhile.
    Empty unless both ran more than one round (`combine_rounds` keeps them only then)."""
    base = results.get(baseline)
    base_rounds = [] if base is None else base.summary.get("rounds", [])
    ratios: dict[str, list[float]] = {}
    for name, result in results.items():
        rounds = result.summary.get("rounds", [])
        if name == baseline or not rounds or len(rounds) != len(base_rounds):
            continue
        pairs = (
            ratio(float(mine["requests_per_second"]), float(theirs["requests_per_second"]))
            for mine, theirs in zip(rounds, base_rounds, strict=True)
        )
        ratios[name] = [value for value in pairs if value is not None]
    return ratios


def format_round_ratios(ratios: Mapping[str, Sequence[float]], baseline: str = "bare") -> str:
    lines = []
    for name, values in ratios.items():
        if values:
            each = " ".join(f"{value:.2f}" for value in values)
            lines.append(
                f"{name} req/s ÷ {baseline}, round by round: {each}"
                f" (median {statistics.median(values):.2f})"
            )
    return "\n".join(lines)


def format_targets(evaluated: Sequence[TargetResult]) -> str:
    lines = []
    for item in evaluated:
        verdict = {True: "PASS", False: "FAIL", None: "SKIP"}[item.passed]
        actual = "not run" if item.passed is None else f"actual {_number(item.actual_ratio)}"
        lines.append(f"{verdict}  {item.target.label}  ({actual})")
    return "\n".join(lines)
