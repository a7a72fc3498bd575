"""The `just` recipes operators use: listed with descriptions, and run where they can run.

Recipes that need Docker (`up`, `down`, `logs`, `ps`, `scale`, `infra-up`,
`monitoring-up`, `compose-config`) are checked by what they would run (`just --dry-run`);
the others run for real here: `migrate`, `reindex`, `loadtest`, `bench` (where wrk is
installed), `asyncapi`, `dashboards`, `config-doc` (and `check`, through `just test` in CI).
"""

import asyncio
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import PROJECT_ROOT, Servers, scratch_database
from tests.ops.conftest import COMPOSE_FILES, PGBOUNCER_OVERRIDE, OpsStack

ISSUE_RECIPES = {
    "up": "",
    "down": "",
    "logs": "SERVICE",
    "scale": "N",
    "infra-up": "",
    "monitoring-up": "",
    "migrate": "",
    "reindex": "",
    "bench": "SUITE",
    "loadtest": "BASE_URL",
    "asyncapi": "",
    "config-doc": "FILE",
    "check": "",
}
JUST = str(Path(sys.executable).parent / "just")
SECRET = "j" * 40


def just(
    *arguments: str, environment: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [JUST, *arguments],
        cwd=PROJECT_ROOT,
        env=environment if environment is not None else dict(os.environ),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_just_alone_lists_every_recipe_with_a_description() -> None:
    listing = just()
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout == just("--list", "--unsorted").stdout
    lines = {
        line.split()[0]: line for line in listing.stdout.splitlines() if line.startswith("    ")
    }
    for recipe, parameter in ISSUE_RECIPES.items():
        assert recipe in lines, f"`just --list` lacks {recipe}"
        assert parameter in lines[recipe]
        assert re.search(r"\s# \S", lines[recipe]), f"{recipe} has no description"


def _dry_run(*arguments: str, **environment: str) -> list[list[str]]:
    """The commands a recipe would run, each split into words."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("JWT_", "SWIFTPASTE_"))}
    result = just("--dry-run", *arguments, environment=base | environment)
    assert result.returncode == 0, result.stderr
    return [shlex.split(line) for line in result.stderr.splitlines() if line.startswith("docker")]


def _compose_files(command: list[str]) -> list[Path]:
    return [PROJECT_ROOT / command[i + 1] for i, word in enumerate(command) if word == "-f"]


def test_up_starts_the_three_files_as_one_project() -> None:
    commands = _dry_run("up", JWT_SECRET=SECRET)
    up = next(command for command in commands if "up" in command)
    assert up[:2] == ["docker", "compose"]
    assert _compose_files(up) == list(COMPOSE_FILES.values())
    assert up[up.index("up") :][:2] == ["up", "-d"]


def test_pgbouncer_is_an_opt_in_overlay() -> None:
    up = _dry_run("up", JWT_SECRET=SECRET, SWIFTPASTE_PGBOUNCER="1")[0]
    assert _compose_files(up) == [*COMPOSE_FILES.values(), PGBOUNCER_OVERRIDE]
    assert up[up.index("--profile") + 1] == "pgbouncer"


def test_infra_and_monitoring_start_alone() -> None:
    (infra,) = _dry_run("infra-up")
    assert _compose_files(infra) == [COMPOSE_FILES["infra"]]
    (monitoring,) = _dry_run("monitoring-up")
    assert _compose_files(monitoring) == [COMPOSE_FILES["monitoring"]]


def test_scale_logs_and_down_name_the_right_services() -> None:
    (scale,) = _dry_run("scale", "4", JWT_SECRET=SECRET)
    assert "--scale" in scale
    assert scale[scale.index("--scale") + 1] == "api=4"
    assert scale[-1] == "api"
    (scale_views,) = _dry_run("scale", "3", "consumer-views", JWT_SECRET=SECRET)
    assert scale_views[scale_views.index("--scale") + 1] == "consumer-views=3"
    (logs,) = _dry_run("logs", "relay")
    assert logs[-1] == "relay"
    assert "--follow" in logs
    (down,) = _dry_run("down")
    assert _compose_files(down) == [*COMPOSE_FILES.values(), PGBOUNCER_OVERRIDE]


def test_the_stack_refuses_to_start_without_a_jwt_secret() -> None:
    if (PROJECT_ROOT / "docker" / ".env").exists():
        pytest.skip("docker/.env holds this machine's secret")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("JWT_")}
    for recipe in (["up"], ["scale", "2"]):
        refused = just(*recipe, environment=environment)
        assert refused.returncode != 0
        assert "JWT_SECRET is not set" in refused.stderr
        assert "docker compose" not in refused.stderr  # nothing was started


def test_migrate_upgrades_the_database_named_by_database_url(servers: Servers) -> None:
    with scratch_database(servers, "swiftpaste_just_migrate") as database_url:
        environment = dict(os.environ) | {"DATABASE_URL": database_url}
        result = just("migrate", environment=environment)
        assert result.returncode == 0, result.stderr

        async def head() -> str:
            plain = database_url.replace("postgresql+asyncpg://", "postgresql://")
            connection = await asyncpg.connect(plain)
            try:
                version: str = await connection.fetchval("SELECT version_num FROM alembic_version")
            finally:
                await connection.close()
            return version

        assert asyncio.run(head())


def test_reindex_rebuilds_the_search_documents(ops_stack: OpsStack) -> None:
    result = just("reindex", environment=ops_stack.environment)
    assert result.returncode == 0, result.stderr
    assert re.search(r"reindexed \d+ snippets", result.stdout)


def test_loadtest_runs_k6_with_its_thresholds_against_a_base_url(ops_stack: OpsStack) -> None:
    result = just(
        "loadtest",
        ops_stack.api.base_url,
        "--quiet",
        "--env",
        "VUS=2",
        "--env",
        "RAMP=1s",
        "--env",
        "DURATION=3s",
        # A shared two-core CI machine: the thresholds' shape is tested, not this speed.
        "--env",
        "P95_MS=3000",
        "--env",
        "P99_MS=6000",
        environment=ops_stack.environment,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "snippet: 200" in result.stdout
    assert "http_req_duration" in result.stdout


@pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)"
)
def test_bench_runs_a_suite() -> None:
    options = ["--scenarios", "bare", "--duration", "1s", "--connections", "1", "--rounds", "1"]
    result = just("bench", "read", *options)
    report = re.search(r"report: (\S+\.json)", result.stdout + result.stderr)
    if report:
        (PROJECT_ROOT / report.group(1)).unlink(missing_ok=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert report, result.stdout


def test_asyncapi_writes_the_document_of_the_topics(tmp_path: Path) -> None:
    result = just("asyncapi", str(tmp_path))
    assert result.returncode == 0, result.stderr
    document = json.loads((tmp_path / "asyncapi.json").read_text())
    assert document["channels"]
    assert (tmp_path / "asyncapi.yaml").is_file()


def test_dashboards_regenerates_the_grafana_json(tmp_path: Path) -> None:
    result = just("dashboards", str(tmp_path))
    assert result.returncode == 0, result.stderr
    committed = PROJECT_ROOT / "docker" / "grafana" / "dashboards"
    for generated in tmp_path.glob("*.json"):
        assert generated.read_text() == (committed / generated.name).read_text()
    assert len(list(tmp_path.glob("*.json"))) == len(list(committed.glob("*.json")))


def test_config_doc_writes_the_committed_configuration_reference(tmp_path: Path) -> None:
    result = just("config-doc", str(tmp_path / "configuration.md"))
    assert result.returncode == 0, result.stderr
    committed = PROJECT_ROOT / "docs" / "configuration.md"
    assert (tmp_path / "configuration.md").read_text() == committed.read_text()
