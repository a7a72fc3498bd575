"""docs/configuration.md is what `just config-doc` writes from the settings' fields."""

import re

from swiftpaste.main.configuration_doc import TOOLING_VARIABLES, render_configuration_doc
from swiftpaste.main.settings import Settings
from tests.conftest import PROJECT_ROOT

DOCUMENT = PROJECT_ROOT / "docs" / "configuration.md"
MAIN = PROJECT_ROOT / "src" / "swiftpaste" / "main"


def test_the_committed_reference_is_what_the_generator_writes() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == render_configuration_doc(), (
        "docs/configuration.md differs from the settings: run `just config-doc` and commit it"
    )


def test_every_setting_has_a_description() -> None:
    assert [name for name, field in Settings.model_fields.items() if not field.description] == []


def test_every_setting_has_a_row_with_its_default() -> None:
    rows = {
        match.group(1): match.group(2)
        for match in re.finditer(
            r"^\| `([A-Z0-9_]+)` \| [^|]+ \| ([^|]+) \|", render_configuration_doc(), re.M
        )
    }
    assert sorted(rows) == sorted(
        [name.upper() for name in Settings.model_fields] + [v.name for v in TOOLING_VARIABLES]
    )
    assert rows["DATABASE_URL"].strip() == "**required**"
    assert rows["API_PORT"].strip() == "`8000`"
    assert rows["KAFKA_ENABLE_IDEMPOTENCE"].strip() == "`false`"
    assert rows["REDIS_SOCKET_TIMEOUT_SECONDS"].strip() == "`0.1`"


def test_tooling_variables_are_read_with_the_documented_default() -> None:
    """They live outside Settings (main/cli.py, main/migrations.py): a renamed variable or a
    changed default there must show here."""
    lines = [line for path in MAIN.rglob("*.py") for line in path.read_text().splitlines()]
    for variable in TOOLING_VARIABLES:
        reads = [line for line in lines if f'"{variable.name}"' in line and "environ" in line]
        assert reads, f"nothing in src/swiftpaste/main reads {variable.name}"
        if variable.default:
            assert any(f'"{variable.default}"' in line for line in reads), (
                f"{variable.name} is not read with the documented default {variable.default!r}"
            )
