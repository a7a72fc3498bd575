"""SqlaIdempotencyKeys: idempotency keys in `idempotency_keys`, claimed in the create's
transaction.

The claim is an INSERT on the key's primary key: a concurrent claim of the same key waits
for the first transaction, then finds its row (or, if it rolled back, claims the key
itself). A key is kept for a day; a claim of an older one takes it over, and every claim
forgets a few keys past their day, so the table stays as small as a day of keyed creates.

Neither the key nor the reply is stored as sent: the row is named by a digest of the caller
and the key, and the reply (which may carry a delete token) is sealed with a stream derived
from the server secret, the caller, the key and the claim's time (SHAKE-256), so the table
alone reveals no secret.
"""

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from swiftpaste.application.errors import IdempotencyKeyReused
from swiftpaste.application.ports.persistence import IdempotencyClaim, Reply
from swiftpaste.infrastructure.persistence.tables import idempotency_keys

KEPT_FOR = timedelta(hours=24)
_FORGET_PER_CLAIM = 16
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_keys = idempotency_keys.c


def _claim_statement() -> Any:
    """Insert the key, or take over a row past its day; returns the key when claimed."""
    statement = pg_insert(idempotency_keys)
    return statement.on_conflict_do_update(
        index_elements=[_keys.key_digest],
        set_={
            "fingerprint": statement.excluded.fingerprint,
            "sealed_reply": statement.excluded.sealed_reply,
            "created_at": statement.excluded.created_at,
        },
        where=_keys.created_at < bindparam("expired_before"),
    ).returning(_keys.key_digest)


_CLAIM = _claim_statement()
_FORGET = delete(idempotency_keys).where(
    _keys.key_digest.in_(
        select(_keys.key_digest)
        .where(_keys.created_at < bindparam("expired_before"))
        .order_by(_keys.created_at)
        .limit(_FORGET_PER_CLAIM)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    ),
    _keys.key_digest != bindparam("claimed"),
)


def _key_digest(claim: IdempotencyClaim) -> str:
    return hashlib.sha256(f"{claim.caller}\n{claim.key}".encode()).hexdigest()


class SqlaIdempotencyKeys:
    def __init__(self, session: AsyncSession, secret: str) -> None:
        self._session = session
        self._secret = secret.encode()
        self._claimed_at: dict[str, datetime] = {}

    async def claim(self, claim: IdempotencyClaim, now: datetime) -> Reply | None:
        digest = _key_digest(claim)
        expired_before = now - KEPT_FOR
        await self._session.execute(_FORGET, {"expired_before": expired_before, "claimed": digest})
        claimed = await self._session.execute(
            _CLAIM,
            {
                "key_digest": digest,
                "fingerprint": claim.fingerprint,
                "sealed_reply": b"",
                "created_at": now,
                "expired_before": expired_before,
            },
        )
        if claimed.first() is not None:
            self._claimed_at[digest] = now
            return None
        row = (
            await self._session.execute(
                select(_keys.fingerprint, _keys.sealed_reply, _keys.created_at).where(
                    _keys.key_digest == digest
                )
            )
        ).one()
        if not hmac.compare_digest(row.fingerprint, claim.fingerprint):
            raise IdempotencyKeyReused(
                "this Idempotency-Key was used for another request: use a new key for a new request"
            )
        return _open(self._sealed(row.sealed_reply, claim, row.created_at))

    async def remember(self, claim: IdempotencyClaim, reply: Reply) -> None:
        digest = _key_digest(claim)
        claimed_at = self._claimed_at[digest]
        await self._session.execute(
            update(idempotency_keys)
            .where(_keys.key_digest == digest)
            .values(sealed_reply=self._sealed(_packed(reply), claim, claimed_at))
        )

    def _sealed(self, data: bytes, claim: IdempotencyClaim, claimed_at: datetime) -> bytes:
        """`data` sealed, or unsealed: XOR with a stream unique to this claim of this key."""
        if not data:
            return data
        seed = hmac.digest(
            self._secret,
            f"{claim.caller}\n{claim.key}\n{_microseconds(claimed_at)}".encode(),
            "sha256",
        )
        stream = hashlib.shake_256(seed).digest(len(data))
        mixed = int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")
        return mixed.to_bytes(len(data), "big")


def _microseconds(moment: datetime) -> int:
    """The moment as stored (PostgreSQL keeps microseconds), whatever its time zone."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _packed(reply: Reply) -> bytes:
    head = json.dumps({"status": reply.status, "headers": reply.headers}).encode()
    return head + b"\n" + reply.body


def _open(packed: bytes) -> Reply:
    head, _, body = packed.partition(b"\n")
    fields = json.loads(head)
    headers = tuple((name, value) for name, value in fields["headers"])
    return Reply(status=fields["status"], headers=headers, body=body)
