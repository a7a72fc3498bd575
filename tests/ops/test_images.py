"""The two Dockerfiles, read statically (no Docker engine here): what they build and run.

Checked: multi-stage with uv (`uv sync --locked --no-dev`), the slim Python 3.13 base,
a non-root user, a HEALTHCHECK and a command the CLI knows, nothing installed into the
runtime stage (so no compiler there), and that every locked runtime dependency has a
wheel for CPython 3.13 on Linux, so the build stage needs no compiler either.
"""

import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from swiftpaste.main.cli import build_parser
from swiftpaste.main.container import build_parser as container_parser
from tests.conftest import PROJECT_ROOT

DOCKERFILES = {"api": PROJECT_ROOT / "Dockerfile", "worker": PROJECT_ROOT / "Dockerfile.consumer"}
PYTHON_BASE = re.compile(r"python:3\.13-slim(-[a-z]+)?$")


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [arguments for kind, arguments in self.instructions if kind == keyword]


def parse_dockerfile(path: Path) -> tuple[dict[str, str], list[Stage]]:
    """Global ARG defaults and the stages, with continuation lines joined."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    arguments: dict[str, str] = {}
    stages: list[Stage] = []
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        if keyword == "FROM":
            words = rest.split()
            base = re.sub(r"\$\{(\w+)\}", lambda m: arguments[m.group(1)], words[0])
            name = words[2] if len(words) > 2 and words[1].upper() == "AS" else None
            stages.append(Stage(base, name))
        elif keyword == "ARG" and not stages:
            name, _, default = rest.partition("=")
            arguments[name] = default
        elif stages:
            stages[-1].instructions.append((keyword, rest))
    return arguments, stages


def exec_form(arguments: str) -> list[str]:
    """`["a", "b"]` of CMD/ENTRYPOINT/HEALTHCHECK CMD; shell form is not used here."""
    match = re.search(r"\[.*\]", arguments)
    assert match, f"not exec form: {arguments}"
    return [part.strip().strip('"') for part in match.group(0)[1:-1].split(",")]


@pytest.mark.parametrize("image", DOCKERFILES)
def test_multi_stage_build_with_uv_on_slim_python_3_13(image: str) -> None:
    arguments, stages = parse_dockerfile(DOCKERFILES[image])
    build, runtime = stages[-2], stages[-1]
    assert PYTHON_BASE.match(build.base), build.base
    assert runtime.base == build.base, "the venv's interpreter must be the same in both stages"
    syncs = [run for run in build.all("RUN") if "uv sync" in run]
    assert syncs, "the build stage installs with uv"
    assert all("--locked" in run and "--no-dev" in run for run in syncs)
    assert arguments["UV_VERSION"], "uv is pinned"


@pytest.mark.parametrize("image", DOCKERFILES)
def test_the_runtime_stage_installs_nothing_and_runs_as_a_user(image: str) -> None:
    _, stages = parse_dockerfile(DOCKERFILES[image])
    runtime = stages[-1]
    commands = " ".join(runtime.all("RUN"))
    for installer in ("apt-get", "apk", "pip ", "uv ", "gcc", "build-essential"):
        assert installer not in commands, f"runtime stage runs {installer}"
    copies = runtime.all("COPY")
    assert any("--from=build /app/.venv" in copy for copy in copies)
    users = runtime.all("USER")
    assert users, "a USER instruction"
    assert users[-1].split(":")[0] not in {"root", "0"}


@pytest.mark.parametrize("image", DOCKERFILES)
def test_healthcheck_and_command_are_ones_the_code_knows(image: str) -> None:
    _, stages = parse_dockerfile(DOCKERFILES[image])
    runtime = stages[-1]
    (healthcheck,) = runtime.all("HEALTHCHECK")
    probe = exec_form(healthcheck)
    assert probe[:3] == ["python", "-m", "swiftpaste.main.container"]
    container_parser().parse_args(probe[3:])
    assert probe[-1] == image if image == "api" else probe[-1] == "worker"
    assert exec_form(runtime.all("ENTRYPOINT")[-1]) == ["swiftpaste"]
    build_parser().parse_args(exec_form(runtime.all("CMD")[-1]))


def test_the_api_image_serves_on_all_interfaces_and_carries_the_migrations() -> None:
    _, stages = parse_dockerfile(DOCKERFILES["api"])
    runtime = stages[-1]
    environment = " ".join(runtime.all("ENV"))
    assert "API_HOST=0.0.0.0" in environment
    assert "ALEMBIC_CONFIG=/app/alembic.ini" in environment
    copied = {shlex.split(copy)[0] for copy in runtime.all("COPY") if "--from" not in copy}
    assert copied == {"alembic.ini", "alembic"}
    assert exec_form(runtime.all("CMD")[-1]) == ["serve"]


def test_what_the_dockerfiles_copy_exists_and_is_not_ignored() -> None:
    ignored = {
        line.strip()
        for line in (PROJECT_ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for path in DOCKERFILES.values():
        _, stages = parse_dockerfile(path)
        for stage in stages:
            for copy in stage.all("COPY"):
                parts = shlex.split(copy)
                if any(part.startswith("--from") for part in parts):
                    continue
                for source in parts[:-1]:
                    assert (PROJECT_ROOT / source).exists(), f"{path.name}: {source}"
                    assert source not in ignored, f"{path.name}: {source} is in .dockerignore"
    assert {".venv", ".data", ".git", "tests"} <= ignored


def _runtime_packages(lock: dict[str, Any]) -> set[str]:
    """The locked packages `uv sync --no-dev` installs: the project's dependency closure."""
    packages = {package["name"]: package for package in lock["package"]}
    wanted = ["swiftpaste"]
    seen: set[str] = set()
    while wanted:
        name = wanted.pop()
        if name in seen:
            continue
        seen.add(name)
        package = packages[name]
        dependencies = list(package.get("dependencies", []))
        for dependency in dependencies:
            wanted.append(dependency["name"])
            for extra in dependency.get("extra", []):
                extras = packages[dependency["name"]].get("optional-dependencies", {})
                wanted.extend(d["name"] for d in extras.get(extra, []))
    return seen - {"swiftpaste"}


def _installs_without_a_compiler(package: dict[str, Any]) -> bool:
    wheels = [Path(wheel["url"]).name for wheel in package.get("wheels", [])]
    for wheel in wheels:
        tags = wheel.removesuffix(".whl").split("-")[-3:]
        python, abi, platform = tags
        if platform == "any":
            return True
        version = (int(python[2]), int(python[3:])) if python.startswith("cp3") else (0, 0)
        cpython_313 = version == (3, 13) or (abi == "abi3" and (3, 0) < version <= (3, 13))
        if cpython_313 and "manylinux" in platform and "x86_64" in platform:
            return True
    return False


def test_every_runtime_dependency_has_a_wheel_for_cpython_3_13_on_linux() -> None:
    lock = tomllib.loads((PROJECT_ROOT / "uv.lock").read_text(encoding="utf-8"))
    packages = {package["name"]: package for package in lock["package"]}
    runtime = _runtime_packages(lock)
    assert {"fastapi", "uvicorn", "uvloop", "httptools", "asyncpg", "prometheus-client"} <= runtime
    assert "pytest" not in runtime, "dev dependencies stay out of the images"
    needs_compiler = sorted(
        name for name in runtime if not _installs_without_a_compiler(packages[name])
    )
    assert needs_compiler == []
