"""Suites, and scenarios measured round by round against a baseline: ratios, targets, the table.

In each round the baseline runs first and the other scenarios right after it, so each is
compared with the baseline of its own round: a machine whose speed drifts between rounds
moves both sides of a ratio alike. A target is judged on the median of those per-round
ratios, not on the ratio of the medians.
"""

import argparse
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from bench.harness import Session
from bench.wrk import WrkSummary

Metric = Literal["rps", "p99"]
Relation = Literal[">=", "<="]
Round = Mapping[str, WrkSummary]
"""One round: each scenario's wrk run, by scenario."""


@dataclass(frozen=True)
class SuiteOutcome:
    """What a suite hands back: its JSON report, and whether every target and check held."""

    report: dict[str, Any]
    passed: bool


@dataclass(frozen=True)
class Suite:
    """A family of measurements run together (`read`, `search`, `events`)."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Session], SuiteOutcome]
    api_overrides: Mapping[str, str] = field(default_factory=dict)
    """API settings the suite must change from their defaults (reported as deviations)."""


@dataclass(frozen=True, slots=True)
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

    def holds(self, ratio: float) -> bool:
        return ratio >= self.factor if self.relation == ">=" else ratio <= self.factor


def metric_value(summary: WrkSummary, metric: Metric) -> float | None:
    return summary.requests_per_second if metric == "rps" else summary.p99_ms


def median(values: Iterable[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def per_round_ratios(
    rounds: Sequence[Round], scenario: str, metric: Metric, baseline: str = "bare"
) -> list[float]:
    """`scenario`'s `metric` ÷ the baseline's, in each round where both ran and measured it."""
    ratios = []
    for round_ in rounds:
        if scenario not in round_ or baseline not in round_:
            continue
        value = metric_value(round_[scenario], metric)
        reference = metric_value(round_[baseline], metric)
        if value is not None and reference:
            ratios.append(value / reference)
    return ratios


@dataclass(frozen=True, slots=True)
class TargetResult:
    target: Target
    ran: bool
    """Whether the scenario and its baseline both ran; if not, the target is skipped."""
    ratios: list[float]
    """Round by round."""

    @property
    def median_ratio(self) -> float | None:
        return median(self.ratios)

    @property
    def passed(self) -> bool | None:
        if not self.ran:
            return None
        return self.median_ratio is not None and self.target.holds(self.median_ratio)

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "FAIL", None: "SKIP"}[self.passed]

    def as_json(self) -> dict[str, Any]:
        return {
            "target": self.target.label,
            "scenario": self.target.scenario,
            "baseline": self.target.baseline,
            "metric": self.target.metric,
            "relation": self.target.relation,
            "factor": self.target.factor,
            "ratios_by_round": self.ratios,
            "median_ratio": self.median_ratio,
            "result": self.verdict,
        }


def evaluate(targets: Sequence[Target], rounds: Sequence[Round]) -> list[TargetResult]:
    ran = {scenario for round_ in rounds for scenario in round_}
    return [
        TargetResult(
            target,
            ran={target.scenario, target.baseline} <= ran,
            ratios=per_round_ratios(rounds, target.scenario, target.metric, target.baseline),
        )
        for target in targets
    ]


def by_scenario(rounds: Sequence[Round]) -> dict[str, list[WrkSummary]]:
    """Each scenario's runs in round order, scenarios in the order they first ran."""
    runs: dict[str, list[WrkSummary]] = {}
    for round_ in rounds:
        for scenario, summary in round_.items():
            runs.setdefault(scenario, []).append(summary)
    return runs


def medians(runs: Sequence[WrkSummary]) -> dict[str, float | None]:
    """The median of each figure over a scenario's rounds, and its worst failure rate."""
    figures: dict[str, float | None] = {
        "requests_per_second": median(run.requests_per_second for run in runs)
    }
    for stat in ("p50", "p90", "p95", "p99"):
        figures[f"{stat}_ms"] = median(run.latency_ms.get(stat) for run in runs)
    figures["worst_failure_rate"] = max(run.failure_rate for run in runs)
    return figures


def _number(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def format_table(rounds: Sequence[Round], baseline: str = "bare") -> str:
    headers = ["scenario", "req/s", "p50 ms", "p90 ms", "p99 ms", "failed %"]
    headers += [f"req/s ÷ {baseline}", f"p99 ÷ {baseline}", "checks"]
    rows = []
    for scenario, runs in by_scenario(rounds).items():
        figures = medians(runs)
        worst = figures["worst_failure_rate"]
        rows.append(
            (
                scenario,
                _number(figures["requests_per_second"], 1),
                _number(figures["p50_ms"]),
                _number(figures["p90_ms"]),
                _number(figures["p99_ms"]),
                _number(None if worst is None else 100 * worst),
                _number(median(per_round_ratios(rounds, scenario, "rps", baseline))),
                _number(median(per_round_ratios(rounds, scenario, "p99", baseline))),
                "FAILED" if any(run.failed for run in runs) else "ok",
            )
        )
    widths = [max(len(row[i]) for row in (headers, *rows)) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join((first, *rest))

    return "\n".join([line(headers), line(["-" * width for width in widths]), *map(line, rows)])


def format_targets(evaluated: Sequence[TargetResult]) -> str:
    lines = []
    for item in evaluated:
        if item.passed is None:
            detail = "not run"
        else:
            each = " ".join(f"{ratio:.2f}" for ratio in item.ratios)
            detail = f"median {_number(item.median_ratio)} of the rounds' ratios: {each}"
        lines.append(f"{item.verdict}  {item.target.label}  ({detail})")
    return "\n".join(lines)
