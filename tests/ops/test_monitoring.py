"""Prometheus, Grafana, Loki, Promtail and nginx configuration agree with the stack.

Static checks (nothing here runs Prometheus, Grafana, Loki or nginx): scrape targets
match the compose services and the ports the processes listen on, every query parses,
dashboards are what their generator writes and use only provisioned data sources, log
queries use only labels Promtail sets, nginx forwards what the API expects.
"""

import importlib.util
import re
from types import ModuleType
from typing import Any

import pytest

from swiftpaste.main.settings import Settings
from tests.ops.conftest import (
    DOCKER,
    DOCKER_ENV,
    app_processes,
    load_yaml,
    metrics_path,
    port_setting,
    read_env_file,
)
from tests.ops.promql import parse
from tests.ops.queries import alert_rules, dashboards, logql_queries, promql_queries
from tests.ops.test_compose import compose

PROMETHEUS = DOCKER / "prometheus" / "prometheus.yml"
NGINX = DOCKER / "nginx" / "nginx.conf"


def _docker_env_port(field: str) -> int:
    value = read_env_file(DOCKER_ENV).get(field.upper())
    return int(value or Settings.model_fields[field].default)


def _scrape_jobs() -> dict[str, dict[str, Any]]:
    return {job["job_name"]: job for job in load_yaml(PROMETHEUS)["scrape_configs"]}


def test_prometheus_scrapes_every_process_on_the_port_it_listens_on() -> None:
    jobs = _scrape_jobs()
    assert set(jobs) - {"prometheus"} == set(app_processes())
    for service, command in app_processes().items():
        job = jobs[service]
        (discovery,) = job["dns_sd_configs"]
        assert discovery["names"] == [service], "every replica of the service"
        assert discovery["type"] == "A"
        assert discovery["port"] == _docker_env_port(port_setting(command)), service
        assert job["metrics_path"] == metrics_path(command), service
        exposed = compose("app")["services"][service].get("expose", [])
        assert exposed == [str(discovery["port"])], service


def test_prometheus_loads_the_alert_rules_it_is_given() -> None:
    prometheus = compose("monitoring")["services"]["prometheus"]
    mounted = {v.split(":")[1]: v.split(":")[0] for v in prometheus["volumes"] if v.startswith(".")}
    for rule_file in load_yaml(PROMETHEUS)["rule_files"]:
        assert rule_file in mounted
        assert (DOCKER / mounted[rule_file]).is_file()


def test_alert_rules_are_complete() -> None:
    names = set()
    for rule in alert_rules():
        assert rule["alert"] not in names
        names.add(rule["alert"])
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert rule["annotations"]["summary"]


@pytest.mark.parametrize("query", promql_queries(), ids=lambda q: q.where)
def test_every_promql_query_parses(query: Any) -> None:
    parse(query.expr)


def _generator() -> ModuleType:
    path = DOCKER / "grafana" / "dashboards.py"
    spec = importlib.util.spec_from_file_location("swiftpaste_dashboards", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_dashboards_are_what_the_generator_writes() -> None:
    generator = _generator()
    expected = {
        name: generator.render(board) for name, board in generator.build_dashboards().items()
    }
    written = {
        path.name: path.read_text(encoding="utf-8")
        for path in sorted((DOCKER / "grafana" / "dashboards").glob("*.json"))
    }
    assert written == expected, "run `just dashboards`"


def test_the_issue_s_dashboards_are_all_there() -> None:
    titles = {board["title"] for board in dashboards().values()}
    assert titles == {
        "SwiftPaste / API",
        "SwiftPaste / Cache",
        "SwiftPaste / Database",
        "SwiftPaste / Events",
        "SwiftPaste / Rate limiting",
        "SwiftPaste / Logs",
    }


def _provisioned_datasources() -> dict[str, dict[str, Any]]:
    path = DOCKER / "grafana" / "provisioning" / "datasources" / "datasources.yaml"
    return {source["uid"]: source for source in load_yaml(path)["datasources"]}


def test_panels_use_provisioned_data_sources_and_fit_the_grid() -> None:
    sources = _provisioned_datasources()
    for name, board in dashboards().items():
        uids = [board["uid"] for board in dashboards().values()]
        assert len(uids) == len(set(uids))
        ids = [panel["id"] for panel in board["panels"]]
        assert len(ids) == len(set(ids)), name
        occupied: set[tuple[int, int]] = set()
        for panel in board["panels"]:
            if panel["type"] != "row":
                assert panel["datasource"]["uid"] in sources, f"{name}: {panel['title']}"
                assert sources[panel["datasource"]["uid"]]["type"] == panel["datasource"]["type"]
            grid = panel["gridPos"]
            assert grid["x"] + grid["w"] <= 24, f"{name}: {panel['title']}"
            cells = {
                (x, y)
                for x in range(grid["x"], grid["x"] + grid["w"])
                for y in range(grid["y"], grid["y"] + grid["h"])
            }
            assert not cells & occupied, f"{name}: {panel['title']} overlaps another panel"
            occupied |= cells


def test_data_sources_point_at_the_monitoring_services() -> None:
    sources = _provisioned_datasources()
    monitoring = compose("monitoring")["services"]
    assert sources["prometheus"]["url"] == "http://prometheus:9090"
    assert sources["loki"]["url"] == "http://loki:3100"
    assert {"prometheus", "loki"} <= set(monitoring)
    provider = load_yaml(DOCKER / "grafana" / "provisioning" / "dashboards" / "dashboards.yaml")
    (dashboards_provider,) = provider["providers"]
    grafana_mounts = {
        v.split(":")[1]: v.split(":")[0]
        for v in monitoring["grafana"]["volumes"]
        if v.startswith(".")
    }
    assert grafana_mounts[dashboards_provider["options"]["path"]] == "./grafana/dashboards"
    assert grafana_mounts["/etc/grafana/provisioning"] == "./grafana/provisioning"


def _promtail() -> dict[str, Any]:
    config: dict[str, Any] = load_yaml(DOCKER / "promtail" / "config.yaml")
    return config


def _promtail_labels() -> set[str]:
    (scrape,) = _promtail()["scrape_configs"]
    labels = {rule["target_label"] for rule in scrape["relabel_configs"]}
    for stage in scrape["pipeline_stages"]:
        labels |= set(stage.get("labels", {}) or {})
    return labels


def test_promtail_ships_this_project_s_containers_to_loki() -> None:
    (client,) = _promtail()["clients"]
    assert client["url"] == "http://loki:3100/loki/api/v1/push"
    (scrape,) = _promtail()["scrape_configs"]
    (discovery,) = scrape["docker_sd_configs"]
    (project_filter,) = discovery["filters"]
    assert project_filter["values"] == [f"com.docker.compose.project={compose('app')['name']}"]
    loki = load_yaml(DOCKER / "loki" / "config.yaml")
    assert loki["limits_config"]["allow_structured_metadata"] is True  # request_id goes there


@pytest.mark.parametrize("query", logql_queries(), ids=lambda q: q.where)
def test_log_queries_select_labels_promtail_sets(query: Any) -> None:
    streams = re.findall(r"\{([^}]*)\}", query.expr)
    assert streams, query.expr
    for stream in streams:
        for label in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*=~?", stream):
            assert label in _promtail_labels(), f"{query.where}: {label}"


def test_the_logs_dashboard_searches_by_request_id() -> None:
    board = dashboards()["swiftpaste-logs.json"]
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["request_id"]["type"] == "textbox"
    logs_panel = next(p for p in board["panels"] if p["type"] == "logs")
    assert '|= "$request_id"' in logs_panel["targets"][0]["expr"]


def _nginx_config() -> str:
    """The configuration without its comments."""
    return re.sub(r"#[^\n]*", "", NGINX.read_text(encoding="utf-8"))


def test_nginx_forwards_request_id_and_client_address_over_kept_alive_connections() -> None:
    config = _nginx_config()
    directives = {re.sub(r"\s+", " ", d.strip()) for d in config.split(";")}

    def has(directive: str) -> bool:
        return any(d.endswith(directive) for d in directives)

    assert has("proxy_set_header X-Request-Id $swiftpaste_request_id")
    assert has("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for")
    assert has("proxy_http_version 1.1")
    assert has('proxy_set_header Connection ""')
    assert re.search(r"upstream swiftpaste_api \{[^}]*keepalive \d+;", config)
    api_port = _docker_env_port("api_port")
    assert re.search(rf"server api:{api_port} resolve;", config), "every replica, re-resolved"
    assert "resolver 127.0.0.11" in config  # Docker's DNS
    assert re.search(r"location = /v1/api/health/metrics \{\s*return 404;", config)
    assert "$request_uri" not in config, "share tokens travel in the query string"
    assert _nginx_config().count("{") == _nginx_config().count("}")


def test_the_api_trusts_nginx_and_nginx_takes_no_more_than_the_api() -> None:
    env = read_env_file(DOCKER_ENV)
    nginx = compose("app")["services"]["nginx"]
    assert env["TRUSTED_PROXIES"] == nginx["networks"]["default"]["ipv4_address"] + "/32"
    match = re.search(r"client_max_body_size (\d+)m;", _nginx_config())
    assert match
    default_limit = 6 * Settings.model_fields["snippet_max_content_bytes"].default + 64 * 1024
    assert int(match.group(1)) * 1024 * 1024 >= default_limit
