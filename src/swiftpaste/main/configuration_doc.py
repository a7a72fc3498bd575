"""docs/configuration.md, written from `Settings`: `python -m swiftpaste.main.configuration_doc`.

Each setting's type, default and description come from its field, so the reference
cannot drift from the code; `just config-doc` rewrites the file and a test fails while
the committed file differs from what this module writes.
"""

import argparse
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import NoneType, UnionType
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import SecretStr
from pydantic.fields import FieldInfo

from swiftpaste.main.settings import Settings

DEFAULT_OUTPUT = Path("docs/configuration.md")


@dataclass(frozen=True, slots=True)
class ToolingVariable:
    """A variable read by the development tooling, outside `Settings`."""

    name: str
    default: str
    description: str


# Read by `swiftpaste infra` and `swiftpaste dev` (main/cli.py) and `swiftpaste migrate`
# (main/migrations.py); tests/docs checks that each name is still read there.
TOOLING_VARIABLES = (
    ToolingVariable(
        "SWIFTPASTE_DATA_DIR", ".data/dev", "Data, logs and pid files of the embedded servers."
    ),
    ToolingVariable("EMBEDDED_POSTGRES_PORT", "5432", "Embedded PostgreSQL's port on 127.0.0.1."),
    ToolingVariable("EMBEDDED_REDIS_PORT", "6379", "Embedded Valkey's port on 127.0.0.1."),
    ToolingVariable("EMBEDDED_KAFKA_PORT", "9092", "Embedded Tansu's port on 127.0.0.1."),
    ToolingVariable(
        "ALEMBIC_CONFIG",
        "",
        "Where `swiftpaste migrate` finds `alembic.ini`. Empty: `./alembic.ini`, else the"
        " one beside the source tree.",
    ),
)

_INTRO = """\
<!-- Written by `just config-doc` from src/swiftpaste/main/settings.py: edit the field
     descriptions there, not this file. -->

# Configuration

Every setting comes from the environment variable of the same name (12-factor); names
are not case-sensitive. `env/local.env` holds the development values and
`env/docker.env` the values of the compose stack. A missing or invalid variable stops
the process at start with a message naming it, for example
`DATABASE_URL: is required but not set`.

## Settings

Read by every process: the API, the relay, the consumers and the scheduler.

| variable | type | default | description |
| --- | --- | --- | --- |
"""

_TOOLING = """
## Development tooling

Read by the embedded servers (`swiftpaste infra`, `swiftpaste dev`) and the migrations.

| variable | default | description |
| --- | --- | --- |
"""

# annotated-types constraints as pydantic keeps them in a field's metadata.
_BOUNDS = (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<"))


def _kind(annotation: Any) -> str:
    """The variable's type as an operator reads it."""
    origin = get_origin(annotation)
    if origin is Literal:
        return "one of " + ", ".join(f"`{value}`" for value in get_args(annotation))
    if origin in (Union, UnionType):
        return " or ".join(_kind(arg) for arg in get_args(annotation) if arg is not NoneType)
    if origin is list:
        return "comma-separated list"
    names = {int: "integer", float: "number", bool: "boolean", str: "string", SecretStr: "secret"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _bounds(metadata: Iterable[object]) -> str:
    limits = {
        name: (sign, getattr(constraint, name))
        for constraint in metadata
        for name, sign in _BOUNDS
        if hasattr(constraint, name)
    }
    if "ge" in limits and "le" in limits:
        return f"{limits['ge'][1]} to {limits['le'][1]}"
    return ", ".join(f"{sign} {value}" for sign, value in limits.values())


def _type(field: FieldInfo) -> str:
    kind = _kind(field.annotation)
    bounds = _bounds(field.metadata)
    return f"{kind} {bounds}" if bounds else kind


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "**required**"
    value = field.get_default(call_default_factory=True)
    if value is None or value in ("", []):
        return "empty"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float):
        return f"`{value:g}`"
    return f"`{value}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _description(name: str, field: FieldInfo) -> str:
    if not field.description:
        msg = f"Settings.{name} has no description: give its Field a description="
        raise ValueError(msg)
    return _cell(field.description)


def render_configuration_doc() -> str:
    """The Markdown of docs/configuration.md."""
    rows = [
        f"| `{name.upper()}` | {_cell(_type(field))} | {_default(field)} "
        f"| {_description(name, field)} |\n"
        for name, field in Settings.model_fields.items()
    ]
    tooling = [
        f"| `{variable.name}` | {f'`{variable.default}`' if variable.default else 'empty'} "
        f"| {_cell(variable.description)} |\n"
        for variable in TOOLING_VARIABLES
    ]
    return _INTRO + "".join(rows) + _TOOLING + "".join(tooling)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m swiftpaste.main.configuration_doc",
        description="Write the configuration reference from the settings' fields.",
    )
    parser.add_argument(
        "output",
        nargs="?",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"where to write it (default {DEFAULT_OUTPUT}); - for stdout",
    )
    args = parser.parse_args(argv)
    document = render_configuration_doc()
    if str(args.output) == "-":
        sys.stdout.write(document)
    else:
        args.output.write_text(document, encoding="utf-8")


if __name__ == "__main__":
    main()
