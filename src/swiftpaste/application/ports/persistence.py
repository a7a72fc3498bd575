"""Persistence ports: repositories and the unit of work around them."""

from datetime import datetime
from typing import Protocol
from uuid import UUID

from swiftpaste.domain.sessions import RefreshToken
from swiftpaste.domain.users import User


class UnitOfWork(Protocol):
    """One database transaction; every repository of a request shares it."""

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class UserRepository(Protocol):
    async def add(self, user: User) -> None:
        """Stage a new user; raises EmailAlreadyRegistered or UsernameTaken on conflict."""

    async def get(self, user_id: UUID) -> User | None: ...

    async def get_for_update(self, user_id: UUID) -> User | None:
        """Load and lock the user, so concurrent profile changes apply one after the other."""

    async def get_by_email(self, email: str) -> User | None: ...

    async def get_by_username(self, username: str) -> User | None: ...

    async def save(self, user: User) -> None:
        """Write the user's changes; raises UsernameTaken on conflict."""


class RefreshTokenRepository(Protocol):
    async def add(self, token: RefreshToken) -> None: ...

    async def get_by_digest_for_update(self, token_digest: str) -> RefreshToken | None:
        """Load and lock the token so two concurrent refreshes cannot both rotate it."""

    async def save(self, token: RefreshToken) -> None: ...

    async def revoke_family(self, family_id: UUID, now: datetime) -> None: ...

    async def revoke_user_families(
        self, user_id: UUID, now: datetime, *, keep_family: UUID | None = None
    ) -> list[UUID]:
        """Revoke the user's live sessions (but `keep_family`); return their family ids."""
