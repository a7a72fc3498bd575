"""UpdateProfile: change the caller's username or password."""

from dataclasses import dataclass
from uuid import UUID

from swiftpaste.application.auth.authenticate import AuthenticatedUser
from swiftpaste.application.auth.revocation import SessionRevoker
from swiftpaste.application.errors import (
    CurrentPasswordIncorrect,
    NotAuthenticated,
    NothingToUpdate,
    UsernameTaken,
)
from swiftpaste.application.ports.persistence import (
    RefreshTokenRepository,
    UnitOfWork,
    UserRepository,
)
from swiftpaste.application.ports.security import PasswordHasher
from swiftpaste.application.ports.system import Clock
from swiftpaste.domain.users import User, validate_password


@dataclass(frozen=True, slots=True)
class UpdateProfileCommand:
    username: str | None = None
    password: str | None = None
    current_password: str | None = None


class UpdateProfile:
    """Rename the account or change its password.

    A password change needs the current password and signs out every other
    login session of the account.
    """

    def __init__(
        self,
        users: UserRepository,
        refresh_tokens: RefreshTokenRepository,
        uow: UnitOfWork,
        hasher: PasswordHasher,
        clock: Clock,
        revoker: SessionRevoker,
    ) -> None:
        self._users = users
        self._refresh_tokens = refresh_tokens
        self._uow = uow
        self._hasher = hasher
        self._clock = clock
        self._revoker = revoker

    async def __call__(self, caller: AuthenticatedUser, command: UpdateProfileCommand) -> User:
        if command.username is None and command.password is None:
            raise NothingToUpdate("give a username or a password to change")
        # A fresh, locked copy: a concurrent change (another rename, a password change,
        # an account being disabled) is never overwritten with what this request loaded.
        user = await self._users.get_for_update(caller.user.id)
        if user is None:
            raise NotAuthenticated("access token is invalid or expired")
        revoked_sessions: list[UUID] = []
        if command.username is not None and command.username != user.username:
            user.rename(command.username)
            existing = await self._users.get_by_username(user.username)
            if existing is not None and existing.id != user.id:
                raise UsernameTaken
        if command.password is not None:
            new_password = validate_password(command.password)
            current = command.current_password or ""
            if not self._hasher.verify(user.hashed_password, current):
                raise CurrentPasswordIncorrect
            user.set_password_hash(self._hasher.hash(new_password))
            revoked_sessions = await self._refresh_tokens.revoke_user_families(
                user.id, self._clock.now(), keep_family=caller.claims.session_id
            )
        await self._users.save(user)
        await self._uow.commit()
        await self._revoker.stop_access_tokens(revoked_sessions)
        return user
