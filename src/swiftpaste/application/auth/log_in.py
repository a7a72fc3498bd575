"""LogIn: exchange credentials for a token pair."""

from dataclasses import dataclass
from uuid import uuid4

from swiftpaste.application.auth.tokens import TokenPair, TokenPairIssuer
from swiftpaste.application.errors import AccountDisabled, AuthenticationFailed
from swiftpaste.application.ports.persistence import UnitOfWork, UserRepository
from swiftpaste.application.ports.security import PasswordHasher
from swiftpaste.domain.users import User, normalize_email


@dataclass(frozen=True, slots=True)
class LogInCommand:
    identifier: str
    """The account's email or username."""
    password: str


class LogIn:
    """Check the credentials and start a new login session.

    An unknown account costs as much time as a wrong password and gets the same
    answer, so the response does not tell whether an account exists.
    """

    def __init__(
        self,
        users: UserRepository,
        uow: UnitOfWork,
        hasher: PasswordHasher,
        issuer: TokenPairIssuer,
    ) -> None:
        self._users = users
        self._uow = uow
        self._hasher = hasher
        self._issuer = issuer

    async def __call__(self, command: LogInCommand) -> TokenPair:
        user = await self._find(command.identifier)
        if user is None:
            self._hasher.burn_time(command.password)
            raise AuthenticationFailed
        if not self._hasher.verify(user.hashed_password, command.password):
            raise AuthenticationFailed
        if not user.is_active:
            raise AccountDisabled("this account is disabled")
        if self._hasher.needs_rehash(user.hashed_password):
            user.set_password_hash(self._hasher.hash(command.password))
            await self._users.save(user)
        pair = await self._issuer.issue(user.id, family_id=uuid4())
        await self._uow.commit()
        return pair

    async def _find(self, identifier: str) -> User | None:
        identifier = identifier.strip()
        if "@" in identifier:
            return await self._users.get_by_email(normalize_email(identifier))
        return await self._users.get_by_username(identifier)
