"""The compose files are valid Compose, alone and together, and point only at what exists.

Validation uses the Compose specification's JSON schema (a copy maintained in the
check-jsonschema package), so it needs nothing but Python. Where Docker Compose v2 is
installed, `docker compose config` checks every combination as well.
"""

import json
from importlib.resources import files
from ipaddress import ip_address, ip_network
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from swiftpaste.main.cli import build_parser
from swiftpaste.main.container import build_parser as container_parser
from swiftpaste.main.settings import Settings
from tests.conftest import PROJECT_ROOT
from tests.ops.conftest import (
    COMPOSE_FILES,
    DOCKER,
    DOCKER_ENV,
    PGBOUNCER_OVERRIDE,
    app_processes,
    load_yaml,
    read_env_file,
)

APP_SERVICES = {
    "migrate",
    "api",
    "nginx",
    "relay",
    "consumer-indexer",
    "consumer-views",
    "consumer-cache",
    "scheduler",
}
INFRA_SERVICES = {"postgres", "redis", "kafka", "kafka-init", "pgbouncer"}
MONITORING_SERVICES = {"prometheus", "grafana", "loki", "promtail"}
ONE_SHOT_SERVICES = {"migrate", "kafka-init"}
# Every way the files are meant to be used: each alone, and the stacks `just` runs.
COMBINATIONS = [
    *([name] for name in COMPOSE_FILES),
    ["infra", "app"],
    ["infra", "monitoring"],
    ["app", "monitoring"],
    ["infra", "app", "monitoring"],
]


def compose(name: str) -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(COMPOSE_FILES[name])
    return data


def services(*names: str) -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for name in names:
        merged |= compose(name)["services"]
    return merged


def compose_schema() -> dict[str, Any]:
    schema_file = files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema: dict[str, Any] = json.loads(schema_file.read_text(encoding="utf-8"))
    return schema


@pytest.mark.parametrize(
    "path", [*COMPOSE_FILES.values(), PGBOUNCER_OVERRIDE], ids=lambda p: p.name
)
def test_each_file_follows_the_compose_specification(path: Path) -> None:
    validator = Draft202012Validator(compose_schema())
    problems = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(load_yaml(path))
    ]
    assert problems == []


def test_the_files_hold_the_services_the_stack_needs() -> None:
    assert set(compose("app")["services"]) == APP_SERVICES
    assert set(compose("infra")["services"]) == INFRA_SERVICES
    assert set(compose("monitoring")["services"]) == MONITORING_SERVICES


def test_one_project_one_network_so_the_files_combine() -> None:
    files_ = [compose(name) for name in COMPOSE_FILES]
    assert {data["name"] for data in files_} == {"swiftpaste"}
    networks = [json.dumps(data["networks"], sort_keys=True) for data in files_]
    assert len(set(networks)) == 1, "every file must declare the same default network"


@pytest.mark.parametrize("combination", COMBINATIONS, ids="+".join)
def test_dependencies_stay_inside_the_files_used_together(combination: list[str]) -> None:
    present = services(*combination)
    dangling = [
        f"{name} -> {dependency}"
        for name, service in present.items()
        for dependency in service.get("depends_on", {})
        if dependency not in present
    ]
    assert dangling == []


def test_the_pgbouncer_override_only_touches_app_services_and_keeps_the_relay_direct() -> None:
    overridden = load_yaml(PGBOUNCER_OVERRIDE)["services"]
    assert set(overridden) <= APP_SERVICES
    assert "relay" not in overridden  # LISTEN/NOTIFY needs a session of its own
    assert "migrate" not in overridden
    assert "pgbouncer" in compose("infra")["services"]
    assert compose("infra")["services"]["pgbouncer"]["profiles"] == ["pgbouncer"]


def _files_referenced(service: dict[str, Any]) -> list[Path]:
    referenced = []
    build = service.get("build")
    if build:
        context = DOCKER / build["context"]
        referenced += [context, context / build.get("dockerfile", "Dockerfile")]
    referenced += [DOCKER / env_file for env_file in service.get("env_file", [])]
    for volume in service.get("volumes", []):
        source = volume.split(":", 1)[0]
        if source.startswith("."):
            referenced.append(DOCKER / source)
    return referenced


@pytest.mark.parametrize("name", [*COMPOSE_FILES], ids=str)
def test_every_file_a_service_names_exists(name: str) -> None:
    missing = [
        f"{service_name}: {path.relative_to(PROJECT_ROOT)}"
        for service_name, service in compose(name)["services"].items()
        for path in _files_referenced(service)
        if not path.resolve().exists()
    ]
    assert missing == []


def _parses(parser: Any, argv: list[str]) -> bool:
    try:
        parser.parse_args(argv)
    except SystemExit:
        return False
    return True


def test_every_swiftpaste_command_is_one_the_cli_knows() -> None:
    app = compose("app")["services"]
    for name, command in app_processes().items():
        assert _parses(build_parser(), command), f"{name}: swiftpaste {' '.join(command)}"
    migrate = app["migrate"]
    entrypoint, command = migrate["entrypoint"], migrate["command"]
    assert entrypoint[:3] == ["python", "-m", "swiftpaste.main.container"]
    assert _parses(container_parser(), entrypoint[3:] + command)
    assert command[0] == "swiftpaste"
    assert _parses(build_parser(), command[1:])
    healthchecks = [
        s["healthcheck"]["test"] for n, s in app.items() if n != "migrate" and s.get("build")
    ]
    for test in healthchecks:
        if test[1:4] == ["python", "-m", "swiftpaste.main.container"]:
            assert _parses(container_parser(), test[4:]), test


def test_each_consumer_service_runs_the_consumer_it_is_named_after() -> None:
    for name, command in app_processes().items():
        if name.startswith("consumer-"):
            assert command == ["consume", name.removeprefix("consumer-")]
    assert {tuple(c) for c in app_processes().values()} >= {("serve",), ("relay",), ("scheduler",)}


def test_long_running_services_have_healthchecks_and_restart_policies() -> None:
    for name, service in services(*COMPOSE_FILES).items():
        if name in ONE_SHOT_SERVICES:
            assert service.get("restart") in {"no", "on-failure"}, name
            continue
        assert service.get("restart") == "unless-stopped", name
        if name != "promtail":  # its image has no HTTP client to probe itself with
            assert "healthcheck" in service, name


def test_the_api_scales_and_only_nginx_is_public() -> None:
    app = compose("app")["services"]
    assert "ports" not in app["api"]
    assert "container_name" not in app["api"]
    assert app["nginx"]["ports"] == ["80:80"]
    assert app["nginx"]["depends_on"]["api"]["condition"] == "service_healthy"
    for name, service in services(*COMPOSE_FILES).items():
        for port in service.get("ports", []):
            assert name == "nginx" or port.startswith("127.0.0.1:"), f"{name} publishes {port}"


def test_only_nginx_is_trusted_with_x_forwarded_for() -> None:
    nginx = compose("app")["services"]["nginx"]
    address = ip_address(nginx["networks"]["default"]["ipv4_address"])
    pool = compose("app")["networks"]["default"]["ipam"]["config"][0]
    assert address in ip_network(pool["subnet"])
    assert address not in ip_network(pool["ip_range"]), "a dynamic address could take it"
    trusted = [ip_network(n) for n in read_env_file(DOCKER_ENV)["TRUSTED_PROXIES"].split(",")]
    assert trusted == [ip_network(f"{address}/32")]


def test_the_app_reads_its_settings_from_the_docker_env_file() -> None:
    settable = {name.upper() for name in Settings.model_fields}
    for name, service in compose("app")["services"].items():
        if name == "nginx":
            continue
        assert service["env_file"] == ["../env/docker.env"], name
        assert set(service.get("environment", {})) <= settable, name
