"""SqlaUserRepository: users stored in the `users` table."""

from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from swiftpaste.domain.users import User
from swiftpaste.infrastructure.persistence.errors import translate_integrity_error
from swiftpaste.infrastructure.persistence.tables import users


def _to_user(row: Any) -> User:
    return User(
        id=row.id,
        email=row.email,
        username=row.username,
        hashed_password=row.hashed_password,
        is_active=row.is_active,
        is_superuser=row.is_superuser,
        is_verified=row.is_verified,
        created_at=row.created_at,
    )


def _to_row(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "username": user.username,
        "hashed_password": user.hashed_password,
        "is_active": user.is_active,
        "is_superuser": user.is_superuser,
        "is_verified": user.is_verified,
        "created_at": user.created_at,
    }


_BY_ID = select(users).where(users.c.id == bindparam("user_id"))


class SqlaUserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, user: User) -> None:
        await self._write(insert(users).values(_to_row(user)))

    async def save(self, user: User) -> None:
        await self._write(update(users).where(users.c.id == user.id).values(_to_row(user)))

    async def get(self, user_id: UUID) -> User | None:
        # Every authenticated request asks this: one statement, built once.
        row = (await self._session.execute(_BY_ID, {"user_id": user_id})).one_or_none()
        return _to_user(row) if row is not None else None

    async def get_for_update(self, user_id: UUID) -> User | None:
        statement = select(users).where(users.c.id == user_id).with_for_update()
        row = (await self._session.execute(statement)).one_or_none()
        return _to_user(row) if row is not None else None

    async def get_by_email(self, email: str) -> User | None:
        return await self._one(func.lower(users.c.email) == email.lower())

    async def get_by_username(self, username: str) -> User | None:
        return await self._one(func.lower(users.c.username) == username.lower())

    async def _one(self, condition: Any) -> User | None:
        row = (await self._session.execute(select(users).where(condition))).one_or_none()
        return _to_user(row) if row is not None else None

    async def _write(self, statement: Any) -> None:
        # A savepoint keeps the surrounding transaction usable after a unique violation.
        try:
            async with self._session.begin_nested():
                await self._session.execute(statement)
        except IntegrityError as error:
            translated = translate_integrity_error(error)
            if translated is None:
                raise
            raise translated from error
