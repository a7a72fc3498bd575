"""Running Alembic migrations from the command line and from tests."""

import os
from pathlib import Path

from alembic import command
from alembic.config import Config


def find_alembic_ini() -> Path:
    """ALEMBIC_CONFIG, else ./alembic.ini, else the one beside the source tree."""
    candidates = [
        Path(os.environ["ALEMBIC_CONFIG"]) if os.environ.get("ALEMBIC_CONFIG") else None,
        Path.cwd() / "alembic.ini",
        Path(__file__).resolve().parents[3] / "alembic.ini",
    ]
    for candidate in candidates:
        if candidate is not None and candidate.is_file():
            return candidate
    msg = "alembic.ini not found: run from the project root or set ALEMBIC_CONFIG"
    raise FileNotFoundError(msg)


def alembic_config(database_url: str) -> Config:
    config = Config(str(find_alembic_ini()))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)
