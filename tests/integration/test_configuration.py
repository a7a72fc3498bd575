"""The example env files load, and name every setting and nothing else.

docs/configuration.md is checked in tests/docs.
"""

from pathlib import Path

import pytest

from swiftpaste.main.configuration_doc import TOOLING_VARIABLES
from swiftpaste.main.settings import Settings, load_settings
from tests.conftest import PROJECT_ROOT

SETTING_NAMES = sorted(name.upper() for name in Settings.model_fields)


def _env_file(path: Path) -> dict[str, str]:
    values = {}
    for raw_line in path.read_text().splitlines():
        line = raw_line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    return values


@pytest.mark.parametrize("name", ["local.env", "docker.env"])
def test_example_env_files_load(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    values = _env_file(PROJECT_ROOT / "env" / name)
    for variable, value in values.items():
        monkeypatch.setenv(variable, value)
    if values["ENVIRONMENT"] != "development":
        monkeypatch.setenv("JWT_SECRET", "an-operator-supplied-secret-of-40-chars!!")
    settings = load_settings()
    assert settings.environment == values["ENVIRONMENT"]


@pytest.mark.parametrize("name", ["local.env", "docker.env"])
def test_env_files_name_every_setting(name: str) -> None:
    values = _env_file(PROJECT_ROOT / "env" / name)
    # The docker file leaves JWT_SECRET to the operator's secret store on purpose.
    expected = [n for n in SETTING_NAMES if not (name == "docker.env" and n == "JWT_SECRET")]
    assert [n for n in expected if n not in values] == []


@pytest.mark.parametrize("name", ["local.env", "docker.env"])
def test_env_files_name_only_variables_something_reads(name: str) -> None:
    known = set(SETTING_NAMES) | {variable.name for variable in TOOLING_VARIABLES}
    assert sorted(set(_env_file(PROJECT_ROOT / "env" / name)) - known) == []
