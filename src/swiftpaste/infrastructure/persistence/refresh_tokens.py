"""Refresh-token digests in the `refresh_tokens` table: the repository, and the check of
ended sessions the read pool answers."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, exists, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Uuid

from swiftpaste.domain.sessions import RefreshToken
from swiftpaste.infrastructure.persistence.read_pool import ReadPool, Statement
from swiftpaste.infrastructure.persistence.tables import refresh_tokens


def _to_token(row: Any) -> RefreshToken:
    return RefreshToken(
        id=row.id,
        user_id=row.user_id,
        family_id=row.family_id,
        token_digest=row.token_digest,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        rotated_at=row.rotated_at,
        revoked_at=row.revoked_at,
    )


class SqlaRefreshTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, token: RefreshToken) -> None:
        await self._session.execute(
            insert(refresh_tokens).values(
                id=token.id,
                user_id=token.user_id,
                family_id=token.family_id,
                token_digest=token.token_digest,
                issued_at=token.issued_at,
                expires_at=token.expires_at,
                rotated_at=token.rotated_at,
                revoked_at=token.revoked_at,
            ),
        )

    async def get_by_digest_for_update(self, token_digest: str) -> RefreshToken | None:
        statement = (
            select(refresh_tokens)
            .where(refresh_tokens.c.token_digest == token_digest)
            .with_for_update()
        )
        row = (await self._session.execute(statement)).one_or_none()
        return _to_token(row) if row is not None else None

    async def save(self, token: RefreshToken) -> None:
        await self._session.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.id == token.id)
            .values(rotated_at=token.rotated_at, revoked_at=token.revoked_at),
        )

    async def revoke_family(self, family_id: UUID, now: datetime) -> None:
        await self._session.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now),
        )

    async def revoke_user_families(
        self, user_id: UUID, now: datetime, *, keep_family: UUID | None = None
    ) -> list[UUID]:
        statement = update(refresh_tokens).where(
            refresh_tokens.c.user_id == user_id, refresh_tokens.c.revoked_at.is_(None)
        )
        if keep_family is not None:
            statement = statement.where(refresh_tokens.c.family_id != keep_family)
        result = await self._session.execute(
            statement.values(revoked_at=now).returning(refresh_tokens.c.family_id)
        )
        return sorted(set(result.scalars()))


_SESSION_REVOKED = Statement.of(
    select(
        exists().where(
            refresh_tokens.c.family_id == bindparam("session_id", type_=Uuid),
            refresh_tokens.c.revoked_at.is_not(None),
        ),
    ),
)


class AsyncpgSessionRevocations:
    """A login session is a refresh-token family: it ended when one of them was revoked."""

    def __init__(self, pool: ReadPool) -> None:
        self._pool = pool

    async def is_revoked(self, session_id: UUID) -> bool:
        row = await self._pool.fetch_one(
            _SESSION_REVOKED.sql, _SESSION_REVOKED.arguments({"session_id": session_id})
        )
        return bool(row and row[0])
