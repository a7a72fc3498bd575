"""Persistence ports: repositories, idempotency keys and the unit of work around them."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from swiftpaste.domain.access_tokens import PersonalAccessToken
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


class PersonalAccessTokenRepository(Protocol):
    async def add(self, token: PersonalAccessToken) -> None: ...

    async def owned_by(self, user_id: UUID) -> Sequence[PersonalAccessToken]:
        """The user's tokens, newest first."""

    async def remove(self, user_id: UUID, token_id: UUID) -> bool:
        """Delete the user's token; False when the user has no token with this id."""


@dataclass(frozen=True, slots=True)
class Reply:
    """What a request was answered, kept so that a retry gets the very same answer."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True, slots=True)
class IdempotencyClaim:
    """A caller's idempotency key for one request."""

    caller: str
    """Whose key it is: a user, or a client address for anonymous callers."""
    key: str
    fingerprint: str
    """A digest of what the request asks for: the key may only come back with the same."""


class IdempotencyKeys(Protocol):
    """Keys claimed in the transaction of the change they guard, remembered with its reply."""

    async def claim(self, claim: IdempotencyClaim, now: datetime) -> Reply | None:
        """Claim the key; the reply it was given when the caller used it before.

        A concurrent claim of the same key waits until the first one's transaction ends.
        Raises IdempotencyKeyReused when the key was used for another request.
        """

    async def remember(self, claim: IdempotencyClaim, reply: Reply) -> None:
        """Keep the reply of the key claimed in this transaction, committed with the change."""
