"""Running Alembic migrations from the command line and from tests."""

import asyncio
import os
from pathlib import Path

import asyncpg
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


def forget_stream_positions(database_url: str) -> None:
    """Drop the Kafka offsets the consumers recorded with their work (`consumer_offsets`).

    Only for a broker whose topics start over, like the embedded Tansu, which keeps
    them in memory: offsets restart at 0 there, and positions remembered from the old
    topics would make the views consumer skip new records as already counted.
    """

    async def forget() -> None:
        connection = await asyncpg.connect(database_url.replace("+asyncpg", "", 1))
        try:
            if await connection.fetchval("SELECT to_regclass('consumer_offsets') IS NOT NULL"):
                await connection.execute("DELETE FROM consumer_offsets")
        finally:
            await connection.close()

    asyncio.run(forget())
