"""The Grafana dashboards of SwiftPaste, written as JSON into docker/grafana/dashboards/.

    uv run python docker/grafana/dashboards.py docker/grafana/dashboards   # just dashboards

Grafana provisions the JSON files read-only (docker/grafana/provisioning/). Change a
dashboard here and regenerate: tests/ops fails when the JSON differs from what this
script writes, and when a query names a metric no SwiftPaste process exports.
"""

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROMETHEUS = {"type": "prometheus", "uid": "prometheus"}
LOKI = {"type": "loki", "uid": "loki"}
RATE = "$__rate_interval"
GRID_WIDTH = 24

Panel = dict[str, Any]


@dataclass
class Layout:
    """Places panels left to right, wrapping at Grafana's 24 columns."""

    panels: list[Panel] = field(default_factory=list)
    x: int = 0
    y: int = 0
    row_height: int = 0

    def add(self, panel: Panel, width: int, height: int) -> None:
        if self.x + width > GRID_WIDTH:
            self.newline()
        panel["id"] = len(self.panels) + 1
        panel["gridPos"] = {"h": height, "w": width, "x": self.x, "y": self.y}
        self.panels.append(panel)
        self.x += width
        self.row_height = max(self.row_height, height)

    def newline(self) -> None:
        self.y += self.row_height
        self.x = 0
        self.row_height = 0

    def row(self, title: str) -> None:
        if self.x:
            self.newline()
        self.add({"type": "row", "title": title, "collapsed": False, "panels": []}, GRID_WIDTH, 1)
        self.newline()


def target(expr: str, legend: str = "", ref: str = "A") -> dict[str, Any]:
    return {"refId": ref, "datasource": PROMETHEUS, "expr": expr, "legendFormat": legend}


def timeseries(
    title: str, description: str, targets: list[dict[str, Any]], unit: str = "short"
) -> Panel:
    for index, item in enumerate(targets):
        item["refId"] = chr(ord("A") + index)
    return {
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": PROMETHEUS,
        "fieldConfig": {
            "defaults": {"unit": unit, "min": 0, "custom": {"fillOpacity": 10}},
            "overrides": [],
        },
        "options": {
            "legend": {"displayMode": "table", "placement": "bottom", "calcs": ["mean", "max"]},
            "tooltip": {"mode": "multi", "sort": "desc"},
        },
        "targets": targets,
    }


def stat(title: str, description: str, expr: str, unit: str = "short") -> Panel:
    return {
        "type": "stat",
        "title": title,
        "description": description,
        "datasource": PROMETHEUS,
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "value",
            "graphMode": "area",
        },
        "targets": [target(expr)],
    }


def quantiles(metric: str, by: str, selector: str = "") -> list[dict[str, Any]]:
    """p50, p95 and p99 of a histogram, per `by` (one series per value and quantile)."""
    group = f"le, {by}" if by else "le"
    prefix = f"{{{{{by}}}}} " if by else ""
    return [
        target(
            f"histogram_quantile({q}, sum by ({group}) (rate({metric}_bucket{selector}[{RATE}])))",
            f"{prefix}p{round(q * 100)}",
        )
        for q in (0.5, 0.95, 0.99)
    ]


def query_variable(name: str, label: str, query: str) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": PROMETHEUS,
        "query": {"query": query, "refId": f"{name}-variable"},
        "definition": query,
        "includeAll": True,
        "multi": True,
        "allValue": ".*",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "refresh": 2,
        "sort": 1,
    }


def dashboard(
    uid: str,
    title: str,
    description: str,
    layout: Layout,
    variables: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["swiftpaste"],
        "timezone": "browser",
        "editable": False,
        "graphTooltip": 1,
        "refresh": "30s",
        "schemaVersion": 39,
        "time": {"from": "now-1h", "to": "now"},
        "templating": {"list": variables or []},
        "annotations": {"list": []},
        "links": [
            {
                "type": "dashboards",
                "tags": ["swiftpaste"],
                "asDropdown": True,
                "title": "SwiftPaste",
                "includeVars": False,
                "keepTime": True,
            },
        ],
        "panels": layout.panels,
    }


# -- the dashboards ----------------------------------------------------------------------

API = 'job="api"'
ROUTE = 'job="api", route=~"$route"'


def api_dashboard() -> dict[str, Any]:
    layout = Layout()
    layout.add(
        stat(
            "Requests/s", "All routes.", f"sum(rate(http_requests_total{{{API}}}[{RATE}]))", "reqps"
        ),
        6,
        4,
    )
    layout.add(
        stat(
            "5xx share",
            "Server errors among all answers.",
            f'sum(rate(http_request_errors_total{{{API}, status=~"5.."}}[{RATE}])) '
            f"/ sum(rate(http_requests_total{{{API}}}[{RATE}]))",
            "percentunit",
        ),
        6,
        4,
    )
    layout.add(
        stat(
            "p99 latency",
            "All routes.",
            f"histogram_quantile(0.99, sum by (le) "
            f"(rate(http_request_latency_seconds_bucket{{{API}}}[{RATE}])))",
            "s",
        ),
        6,
        4,
    )
    layout.add(stat("API replicas up", "Targets Prometheus scrapes.", f"sum(up{{{API}}})"), 6, 4)
    layout.add(
        timeseries(
            "Request rate by route",
            "Route templates, never raw paths.",
            [target(f"sum by (route) (rate(http_requests_total{{{ROUTE}}}[{RATE}]))", "{{route}}")],
            "reqps",
        ),
        12,
        9,
    )
    layout.add(
        timeseries(
            "Errors by route and status",
            "4xx and 5xx answers.",
            [
                target(
                    f"sum by (route, status) (rate(http_request_errors_total{{{ROUTE}}}[{RATE}]))",
                    "{{status}} {{route}}",
                ),
            ],
            "reqps",
        ),
        12,
        9,
    )
    layout.add(
        timeseries(
            "Latency by route: p50, p95, p99",
            "From the request's arrival to the last byte of its answer.",
            quantiles("http_request_latency_seconds", "route", f"{{{ROUTE}}}"),
            "s",
        ),
        24,
        10,
    )
    layout.add(
        timeseries(
            "Answers by status",
            "",
            [
                target(
                    f"sum by (status) (rate(http_requests_total{{{ROUTE}}}[{RATE}]))", "{{status}}"
                )
            ],
            "reqps",
        ),
        8,
        8,
    )
    layout.add(
        timeseries(
            "Request body size p95",
            "As announced by Content-Length.",
            [
                target(
                    f"histogram_quantile(0.95, sum by (le, route) "
                    f"(rate(http_request_size_bytes_bucket{{{ROUTE}}}[{RATE}])))",
                    "{{route}}",
                ),
            ],
            "bytes",
        ),
        8,
        8,
    )
    layout.add(
        timeseries(
            "Response body size p95",
            "",
            [
                target(
                    f"histogram_quantile(0.95, sum by (le, route) "
                    f"(rate(http_response_size_bytes_bucket{{{ROUTE}}}[{RATE}])))",
                    "{{route}}",
                ),
            ],
            "bytes",
        ),
        8,
        8,
    )
    return dashboard(
        "swiftpaste-api",
        "SwiftPaste / API",
        "Rate, errors and latency of the API, by route template.",
        layout,
        [query_variable("route", "Route", f"label_values(http_requests_total{{{API}}}, route)")],
    )


def cache_dashboard() -> dict[str, Any]:
    hits = f"sum(rate(cache_hit_total[{RATE}]))"
    misses = f"sum(rate(cache_miss_total[{RATE}]))"
    layout = Layout()
    layout.add(
        stat(
            "Hit ratio",
            "Snippet reads answered from Redis.",
            f"{hits} / ({hits} + {misses})",
            "percentunit",
        ),
        8,
        5,
    )
    layout.add(
        stat(
            "Redis errors/s",
            "Failed Redis calls (the caller fell back).",
            f"sum(rate(cache_error_total[{RATE}]))",
        ),
        8,
        5,
    )
    layout.add(
        stat(
            "Evictions by the cache consumer/s",
            "Events the cache consumer handled.",
            f'sum(rate(consumer_messages_total{{consumer="cache", outcome="ok"}}[{RATE}]))',
        ),
        8,
        5,
    )
    layout.add(
        timeseries(
            "Hits and misses",
            "Private versions are never cached: their reads are misses.",
            [target(hits, "hits"), target(misses, "misses")],
            "ops",
        ),
        12,
        9,
    )
    layout.add(
        timeseries(
            "Hit ratio over time",
            "",
            [target(f"{hits} / ({hits} + {misses})", "hit ratio")],
            "percentunit",
        ),
        12,
        9,
    )
    layout.add(
        timeseries(
            "Redis errors by process",
            "Timeouts and connection errors; reads fall back to PostgreSQL.",
            [target(f"sum by (job) (rate(cache_error_total[{RATE}]))", "{{job}}")],
            "ops",
        ),
        24,
        8,
    )
    return dashboard(
        "swiftpaste-cache",
        "SwiftPaste / Cache",
        "The Redis read-through cache of snippet responses.",
        layout,
    )


def database_dashboard() -> dict[str, Any]:
    layout = Layout()
    layout.add(
        timeseries(
            "Query latency: p50, p95, p99 by process",
            "Time to execute one SQL statement.",
            quantiles("db_query_latency_seconds", "job"),
            "s",
        ),
        24,
        10,
    )
    layout.add(
        timeseries(
            "Statements/s by process",
            "",
            [target(f"sum by (job) (rate(db_query_latency_seconds_count[{RATE}]))", "{{job}}")],
            "ops",
        ),
        12,
        8,
    )
    layout.add(
        timeseries(
            "Slow statements/s by process",
            "Slower than DB_SLOW_QUERY_SECONDS.",
            [target(f"sum by (job) (rate(db_slow_queries_total[{RATE}]))", "{{job}}")],
            "ops",
        ),
        12,
        8,
    )
    layout.add(
        stat(
            "Slow statements in the range",
            "",
            "sum(increase(db_slow_queries_total[$__range]))",
        ),
        24,
        4,
    )
    return dashboard(
        "swiftpaste-database",
        "SwiftPaste / Database",
        "PostgreSQL as the processes see it: statement latency and slow statements.",
        layout,
    )


def events_dashboard() -> dict[str, Any]:
    layout = Layout()
    layout.row("Outbox and relay")
    layout.add(
        stat("Outbox backlog", "Events not yet on Kafka.", 'max(outbox_backlog{job="relay"})'),
        6,
        4,
    )
    layout.add(
        stat(
            "Oldest pending event",
            "Age of the oldest unpublished outbox row.",
            'max(outbox_oldest_pending_seconds{job="relay"})',
            "s",
        ),
        6,
        4,
    )
    layout.add(
        stat(
            "Published/s",
            "Events the relay published.",
            f'sum(rate(outbox_published_total{{job="relay"}}[{RATE}]))',
            "ops",
        ),
        6,
        4,
    )
    layout.add(
        stat(
            "Relay errors in the range",
            "Failed batches, rolled back and retried.",
            'sum(increase(outbox_publish_errors_total{job="relay"}[$__range]))',
        ),
        6,
        4,
    )
    layout.add(
        timeseries(
            "Publish rate by event type",
            "",
            [
                target(
                    f'sum by (event_type) (rate(outbox_published_total{{job="relay"}}[{RATE}]))',
                    "{{event_type}}",
                ),
            ],
            "ops",
        ),
        12,
        8,
    )
    layout.add(
        timeseries(
            "Outbox backlog and relay batch time",
            "",
            [
                target('max(outbox_backlog{job="relay"})', "backlog"),
                target(
                    f"histogram_quantile(0.95, sum by (le) "
                    f'(rate(outbox_publish_batch_seconds_bucket{{job="relay"}}[{RATE}])))',
                    "batch p95 (s)",
                ),
                target(f'sum(rate(outbox_pruned_total{{job="relay"}}[{RATE}]))', "pruned/s"),
            ],
        ),
        12,
        8,
    )
    layout.row("Consumers")
    layout.add(
        timeseries(
            "Throughput by consumer group and outcome",
            "Deliveries (a views batch counts once): ok, skipped, retried, dead_lettered.",
            [
                target(
                    f"sum by (consumer, outcome) (rate(consumer_messages_total[{RATE}]))",
                    "{{consumer}} {{outcome}}",
                ),
            ],
            "ops",
        ),
        12,
        9,
    )
    layout.add(
        timeseries(
            "Consumer lag by group",
            "Records not yet committed (largest report per partition, summed).",
            [
                target(
                    "sum by (consumer) (max by (consumer, topic, partition) (consumer_lag))",
                    "{{consumer}}",
                ),
            ],
        ),
        12,
        9,
    )
    layout.add(
        timeseries(
            "Processing time p95 by consumer",
            "From taking a delivery to its outcome, retries included.",
            [
                target(
                    f"histogram_quantile(0.95, sum by (le, consumer) "
                    f"(rate(consumer_processing_seconds_bucket[{RATE}])))",
                    "{{consumer}}",
                ),
            ],
            "s",
        ),
        8,
        8,
    )
    layout.add(
        timeseries(
            "Consumer lag by partition",
            "",
            [
                target(
                    "max by (consumer, topic, partition) (consumer_lag)",
                    "{{consumer}} {{topic}}[{{partition}}]",
                ),
            ],
        ),
        8,
        8,
    )
    layout.add(
        timeseries(
            "Dead letters",
            "Records sent to the dead-letter topic (docs/operations.md: replaying dead letters).",
            [
                target(
                    "sum by (consumer) (increase(consumer_dead_letters_total[$__interval]))",
                    "{{consumer}}",
                ),
                target(
                    "sum by (consumer) (increase(consumer_lag_errors_total[$__interval]))",
                    "lag not measured: {{consumer}}",
                ),
            ],
        ),
        8,
        8,
    )
    layout.row("Views")
    layout.add(
        timeseries(
            "View events: published and dropped",
            "The API never waits for Kafka: without it (or with a full buffer) views are dropped.",
            [
                target(f"sum(rate(views_published_total[{RATE}]))", "published"),
                target(
                    f"sum by (reason) (rate(views_dropped_total[{RATE}]))", "dropped: {{reason}}"
                ),
            ],
            "ops",
        ),
        12,
        8,
    )
    layout.add(
        timeseries(
            "Views consumer",
            "Records consumed, views counted, redeliveries skipped.",
            [
                target(f"sum(rate(views_consumed_total[{RATE}]))", "consumed"),
                target(f"sum(rate(views_counted_total[{RATE}]))", "counted"),
                target(f"sum(rate(views_duplicates_skipped_total[{RATE}]))", "duplicates skipped"),
                target(
                    f"histogram_quantile(0.95, sum by (le) "
                    f"(rate(views_batch_size_bucket[{RATE}])))",
                    "batch size p95",
                ),
            ],
        ),
        12,
        8,
    )
    layout.row("Scheduler")
    layout.add(
        timeseries(
            "Share expiry",
            "Ticks, ended share windows announced, failed ticks.",
            [
                target(f'sum(rate(scheduler_runs_total{{job="scheduler"}}[{RATE}]))', "ticks"),
                target(
                    f'sum(rate(scheduler_expired_versions_total{{job="scheduler"}}[{RATE}]))',
                    "expired",
                ),
                target(f'sum(rate(scheduler_errors_total{{job="scheduler"}}[{RATE}]))', "errors"),
            ],
            "ops",
        ),
        24,
        8,
    )
    return dashboard(
        "swiftpaste-events",
        "SwiftPaste / Events",
        "Outbox, relay, consumers, dead letters, views and the scheduler.",
        layout,
    )


def rate_limiting_dashboard() -> dict[str, Any]:
    layout = Layout()
    layout.add(
        stat(
            "429 share",
            "Answers refused by a rate limit.",
            f'sum(rate(http_requests_total{{{API}, status="429"}}[{RATE}])) '
            f"/ sum(rate(http_requests_total{{{API}}}[{RATE}]))",
            "percentunit",
        ),
        12,
        4,
    )
    layout.add(
        stat(
            "Decided per process in the range",
            "Requests limited by the API process's own buckets because Redis did not answer.",
            "sum(increase(rate_limit_local_total[$__range]))",
        ),
        12,
        4,
    )
    layout.add(
        timeseries(
            "Refusals by policy",
            "read: snippet reads; write: writes, register, login, refresh.",
            [
                target(
                    f"sum by (policy) (rate(rate_limited_requests_total[{RATE}]))", "{{policy}}"
                ),
            ],
            "reqps",
        ),
        12,
        8,
    )
    layout.add(
        timeseries(
            "429 by route",
            "",
            [
                target(
                    f'sum by (route) (rate(http_requests_total{{{API}, status="429"}}[{RATE}]))',
                    "{{route}}",
                ),
            ],
            "reqps",
        ),
        12,
        8,
    )
    layout.add(
        timeseries(
            "Decided per process",
            "Redis unreachable: each API process limits with its own buckets.",
            [target(f"sum(rate(rate_limit_local_total[{RATE}]))", "per process")],
            "reqps",
        ),
        12,
        7,
    )
    layout.add(
        timeseries(
            "Redis breakers open",
            "Processes that stopped calling Redis after failures in a row.",
            [target('sum(breaker_open{dependency="redis"})', "open")],
            "short",
        ),
        12,
        7,
    )
    return dashboard(
        "swiftpaste-rate-limiting",
        "SwiftPaste / Rate limiting",
        "Token buckets in Redis: refusals by policy and route, and limits kept per process.",
        layout,
    )


LOG_STREAM = '{compose_project="swiftpaste", service=~"$service"}'


def logs_dashboard() -> dict[str, Any]:
    layout = Layout()
    layout.add(
        {
            "type": "timeseries",
            "title": "Log lines by service",
            "description": "Lines matching the request id and text filters.",
            "datasource": LOKI,
            "fieldConfig": {"defaults": {"unit": "short", "min": 0}, "overrides": []},
            "options": {"legend": {"displayMode": "list", "placement": "right"}},
            "targets": [
                {
                    "refId": "A",
                    "datasource": LOKI,
                    "expr": (
                        f'sum by (service) (count_over_time({LOG_STREAM} |= "$request_id" '
                        f'|= "$text" [$__interval]))'
                    ),
                    "legendFormat": "{{service}}",
                    "queryType": "range",
                },
            ],
        },
        24,
        6,
    )
    layout.add(
        {
            "type": "logs",
            "title": "Logs",
            "description": (
                "JSON lines of every container; nginx and the API log the same request id."
            ),
            "datasource": LOKI,
            "options": {
                "showTime": True,
                "wrapLogMessage": True,
                "enableLogDetails": True,
                "sortOrder": "Descending",
                "dedupStrategy": "none",
                "prettifyLogMessage": False,
            },
            "targets": [
                {
                    "refId": "A",
                    "datasource": LOKI,
                    "expr": f'{LOG_STREAM} |= "$request_id" |= "$text"',
                    "queryType": "range",
                },
            ],
        },
        24,
        20,
    )
    variables: list[dict[str, Any]] = [
        {
            "name": "service",
            "label": "Service",
            "type": "query",
            "datasource": LOKI,
            "query": {"label": "service", "refId": "service-variable", "stream": "", "type": 1},
            "definition": "label_values(service)",
            "includeAll": True,
            "multi": True,
            "allValue": ".+",
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
            "refresh": 2,
            "sort": 1,
        },
        {
            "name": "request_id",
            "label": "Request id",
            "type": "textbox",
            "query": "",
            "current": {"text": "", "value": ""},
        },
        {
            "name": "text",
            "label": "Text",
            "type": "textbox",
            "query": "",
            "current": {"text": "", "value": ""},
        },
    ]
    return dashboard(
        "swiftpaste-logs",
        "SwiftPaste / Logs",
        "Every container's logs from Loki; paste an X-Request-Id to follow one request.",
        layout,
        variables,
    )


def build_dashboards() -> dict[str, dict[str, Any]]:
    """File name -> dashboard JSON."""
    boards = [
        api_dashboard(),
        cache_dashboard(),
        database_dashboard(),
        events_dashboard(),
        rate_limiting_dashboard(),
        logs_dashboard(),
    ]
    return {f"{board['uid']}.json": board for board in boards}


def render(board: dict[str, Any]) -> str:
    return json.dumps(board, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write(f"usage: python {Path(__file__).name} OUTPUT_DIRECTORY\n")
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    for name, board in build_dashboards().items():
        (out / name).write_text(render(board), encoding="utf-8")
        sys.stdout.write(f"wrote {out / name}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
