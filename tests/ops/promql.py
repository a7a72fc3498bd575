"""The metrics a PromQL expression reads, found by a real PromQL parser."""

import re
from dataclasses import dataclass

import promql_parser

# Grafana's variables stand for a range or a regular expression; PromQL knows neither.
_RANGE_VARIABLES = re.compile(r"\$__(rate_interval|interval|range)\b")
# Made by Prometheus itself for every target, not by the processes.
SYNTHETIC_METRICS = frozenset({"up", "scrape_duration_seconds", "scrape_samples_scraped"})


@dataclass(frozen=True, slots=True)
class Selector:
    metric: str
    job: str | None
    """The `job="..."` the selector requires, if it names exactly one."""


def parse(expr: str) -> promql_parser.Expr:
    """Parse `expr`, with Grafana's range variables replaced by a plain duration."""
    return promql_parser.parse(_RANGE_VARIABLES.sub("5m", expr))


def selectors(expr: str) -> list[Selector]:
    """Every metric selector in `expr`; raises ValueError when it is not valid PromQL."""
    found: list[Selector] = []

    def visit(node: promql_parser.Expr) -> bool | None:
        if isinstance(node, promql_parser.MatrixSelector):
            node = node.vector_selector
        if isinstance(node, promql_parser.VectorSelector):
            name = node.name
            job = None
            for matcher in node.matchers.matchers:
                if matcher.name == "__name__" and name is None:
                    name = matcher.value
                if matcher.name == "job" and matcher.op == promql_parser.MatchOp.Equal:
                    job = matcher.value
            if name is None:
                raise ValueError(f"selector without a metric name in {expr!r}")
            found.append(Selector(name, job))
        return None  # go on into the children

    promql_parser.walk(parse(expr), pre_visit=visit)
    return list(dict.fromkeys(found))  # a range selector is visited with its vector selector


def label_values_selector(query: str) -> str | None:
    """The series selector of a Grafana `label_values(selector, label)` variable query."""
    match = re.fullmatch(r"\s*label_values\((.+),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*", query)
    return match.group(1) if match else None
