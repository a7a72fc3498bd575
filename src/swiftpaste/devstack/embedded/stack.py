"""EmbeddedStack: PostgreSQL, Valkey and Kafka (Tansu) from PyPI wheels, for dev and tests."""

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from swiftpaste.devstack.embedded.postgres import SUPERUSER, PostgresServer
from swiftpaste.devstack.embedded.process import (
    HOST,
    EmbeddedServerError,
    ServerProcess,
    ServerStatus,
)
from swiftpaste.devstack.embedded.tansu import TansuServer
from swiftpaste.devstack.embedded.valkey import ValkeyServer

__all__ = ["EmbeddedServerError", "EmbeddedStack", "ServerStatus", "StackEndpoints"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StackEndpoints:
    database_url: str
    redis_url: str
    kafka_bootstrap_servers: str


class EmbeddedStack:
    """The three servers the application needs, sharing one data directory.

    Layout of `data_dir`: `postgres/` (PGDATA), `valkey/`, and a `<name>.log` and `<name>.pid`
    per server. The pid files make the stack findable from any process: `up()` reuses servers
    already running for this data dir and `down()` stops them, whoever started them.

    With `attached=True` the servers die with the launching process, even when it is killed.
    The kernel ties this to the launching *thread*: call `up()` from a thread that lives as long
    as the servers should (the main thread), not from a short-lived worker thread.
    With `attached=False` they keep running until `down()`.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        postgres_port: int = 5432,
        redis_port: int = 6379,
        kafka_port: int = 9092,
        database: str = "swiftpaste",
        attached: bool = True,
    ) -> None:
        # Absolute: the servers run with their own working directory.
        self.data_dir = data_dir.resolve()
        self.postgres = PostgresServer(
            self.data_dir, postgres_port, database=database, attached=attached
        )
        self.valkey = ValkeyServer(self.data_dir, redis_port, attached=attached)
        self.kafka = TansuServer(self.data_dir, kafka_port, attached=attached)
        self._servers: tuple[ServerProcess, ...] = (self.postgres, self.valkey, self.kafka)

    @property
    def endpoints(self) -> StackEndpoints:
        return StackEndpoints(
            database_url=(
                f"postgresql+asyncpg://{SUPERUSER}@{HOST}:{self.postgres.port}"
                f"/{self.postgres.database}"
            ),
            redis_url=f"redis://{HOST}:{self.valkey.port}/0",
            kafka_bootstrap_servers=f"{HOST}:{self.kafka.port}",
        )

    def up(self) -> StackEndpoints:
        """Start the servers not already running, wait until all answer, return their endpoints.

        On failure, the servers this call started are stopped again; reused ones are left alone.
        """
        with self._lock():
            to_start = [server for server in self._servers if not server.is_running()]
            for server in to_start:  # before PostgreSQL's initdb and the rest of the slow work
                server.ensure_port_free()
            try:
                for server in self._servers:
                    server.start()
            except BaseException:
                for server in to_start:
                    server.stop()
                raise
        logger.info("embedded stack ready in %s", self.data_dir)
        return self.endpoints

    def down(self) -> None:
        """Stop every server this data dir's pid files name. Idempotent."""
        if not self.data_dir.exists():
            return
        with self._lock():
            for server in self._servers:
                server.stop()

    def status(self) -> list[ServerStatus]:
        return [server.status() for server in self._servers]

    @contextmanager
    def _lock(self) -> Iterator[None]:
        """Serialise up() and down() across processes sharing the data dir (released on exit)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with (self.data_dir / "stack.lock").open("w") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            yield
