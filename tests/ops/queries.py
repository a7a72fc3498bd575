"""Every query the monitoring stack runs: Grafana's panels and variables, Prometheus's alerts."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.ops.conftest import DOCKER, load_yaml
from tests.ops.promql import label_values_selector

DASHBOARDS = DOCKER / "grafana" / "dashboards"
ALERTS = DOCKER / "prometheus" / "alerts.yml"


@dataclass(frozen=True, slots=True)
class Query:
    where: str
    language: str
    """`promql` or `logql`."""
    expr: str


def dashboards() -> dict[str, dict[str, Any]]:
    return {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(DASHBOARDS.glob("*.json"))
    }


def _language(datasource: dict[str, Any] | None) -> str:
    kind = (datasource or {}).get("type")
    return {"prometheus": "promql", "loki": "logql"}[str(kind)]


def dashboard_queries() -> list[Query]:
    queries = []
    for name, board in dashboards().items():
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                source = target.get("datasource") or panel.get("datasource")
                queries.append(
                    Query(f"{name}: {panel['title']}", _language(source), target["expr"])
                )
        for variable in board["templating"]["list"]:
            if variable["type"] != "query" or _language(variable["datasource"]) != "promql":
                continue
            selector = label_values_selector(variable["query"]["query"])
            assert selector, f"{name}: variable {variable['name']} is not label_values(...)"
            queries.append(Query(f"{name}: ${variable['name']}", "promql", selector))
    return queries


def alert_rules() -> list[dict[str, Any]]:
    return [rule for group in load_yaml(ALERTS)["groups"] for rule in group["rules"]]


def alert_queries() -> list[Query]:
    return [Query(f"alert {rule['alert']}", "promql", rule["expr"]) for rule in alert_rules()]


def promql_queries() -> list[Query]:
    return [q for q in dashboard_queries() + alert_queries() if q.language == "promql"]


def logql_queries() -> list[Query]:
    return [q for q in dashboard_queries() if q.language == "logql"]


def file_of(query: Query) -> Path:
    return ALERTS if query.where.startswith("alert") else DASHBOARDS / query.where.split(":")[0]
