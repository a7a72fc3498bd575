"""Personal access tokens in `personal_access_tokens`: the repository of the token routes,
and the lookup every request presenting a token makes on the read pool (its rare writes of
`last_used_at` go through the engine, so the read pool stays read-only)."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import String, bindparam, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.types import DateTime, Uuid

from swiftpaste.domain.access_tokens import PersonalAccessToken, Scope
from swiftpaste.infrastructure.persistence.read_pool import ReadPool, Statement
from swiftpaste.infrastructure.persistence.tables import personal_access_tokens

_tokens = personal_access_tokens.c


def _to_token(row: Mapping[Any, Any]) -> PersonalAccessToken:
    return PersonalAccessToken(
        id=row["id"],
        user_id=row["user_id"],
        name=row["name"],
        scopes=frozenset(Scope(scope) for scope in row["scopes"]),
        token_digest=row["token_digest"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        last_used_at=row["last_used_at"],
    )


class SqlaAccessTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, token: PersonalAccessToken) -> None:
        await self._session.execute(
            insert(personal_access_tokens).values(
                id=token.id,
                user_id=token.user_id,
                name=token.name,
                scopes=sorted(scope.value for scope in token.scopes),
                token_digest=token.token_digest,
                created_at=token.created_at,
                expires_at=token.expires_at,
                last_used_at=token.last_used_at,
            ),
        )

    async def owned_by(self, user_id: UUID) -> Sequence[PersonalAccessToken]:
        rows = await self._session.execute(
            select(personal_access_tokens)
            .where(_tokens.user_id == user_id)
            .order_by(_tokens.created_at.desc(), _tokens.id.desc())
        )
        return [_to_token(row) for row in rows.mappings()]

    async def remove(self, user_id: UUID, token_id: UUID) -> bool:
        removed = await self._session.execute(
            delete(personal_access_tokens)
            .where(_tokens.id == token_id, _tokens.user_id == user_id)
            .returning(_tokens.id)
        )
        return removed.first() is not None


_BY_DIGEST = Statement.of(
    select(personal_access_tokens).where(
        _tokens.token_digest == bindparam("token_digest", type_=String)
    )
)
_NOW = bindparam("now", type_=DateTime(timezone=True))
# Written only when it moves on: two processes touching one token at once write it once.
_TOUCH = (
    update(personal_access_tokens)
    .where(
        _tokens.id == bindparam("token_id", type_=Uuid),
        or_(_tokens.last_used_at.is_(None), _tokens.last_used_at < _NOW),
    )
    .values(last_used_at=_NOW)
)


class AsyncpgAccessTokenLookup:
    """One statement on the read pool per request that presents a token."""

    def __init__(self, pool: ReadPool, engine: AsyncEngine) -> None:
        self._pool = pool
        self._engine = engine

    async def find(self, token_digest: str) -> PersonalAccessToken | None:
        row = await self._pool.fetch_one(
            _BY_DIGEST.sql, _BY_DIGEST.arguments({"token_digest": token_digest})
        )
        return None if row is None else _to_token(row)

    async def touch(self, token_id: UUID, now: datetime) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(_TOUCH, {"token_id": token_id, "now": now})
