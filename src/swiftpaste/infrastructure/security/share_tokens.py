"""HmacShareTokens: compact signed tokens that open one private version until its expiry."""

import base64
import binascii
import hashlib
import hmac
import struct
from datetime import UTC, datetime
from uuid import UUID

from swiftpaste.domain.snippets import ShareGrant

# snippet id (16 bytes), version (uint32), window end (uint64 unix seconds)
_PAYLOAD = struct.Struct(">16sIQ")
_MAC_BYTES = 16


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class HmacShareTokens:
    def __init__(self, secret: str) -> None:
        # A key of its own, derived from the JWT secret: a share token can never pass
        # as an access token or the other way round.
        self._key = hmac.new(
            secret.encode(), b"swiftpaste share tokens v1", hashlib.sha256
        ).digest()

    def issue(self, snippet_id: UUID, version: int, expires_at: datetime) -> str:
        payload = _PAYLOAD.pack(snippet_id.bytes, version, int(expires_at.timestamp()))
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def verify(self, token: str) -> ShareGrant | None:
        encoded_payload, _, encoded_mac = token.partition(".")
        try:
            payload = _unb64(encoded_payload)
            mac = _unb64(encoded_mac)
            if len(payload) != _PAYLOAD.size or not hmac.compare_digest(mac, self._mac(payload)):
                return None
            snippet_id, version, expires = _PAYLOAD.unpack(payload)
            return ShareGrant(
                snippet_id=UUID(bytes=snippet_id),
                version=version,
                expires_at=datetime.fromtimestamp(expires, tz=UTC),
            )
        except (binascii.Error, ValueError, OverflowError, OSError):
            return None

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_MAC_BYTES]
