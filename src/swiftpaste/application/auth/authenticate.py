"""Authenticate: admit an identified caller and load the active user it speaks for."""

from dataclasses import dataclass

from swiftpaste.application.auth.credentials import Caller
from swiftpaste.application.errors import InsufficientScope, NotAuthenticated
from swiftpaste.application.ports.persistence import UserRepository
from swiftpaste.application.ports.security import (
    AccessClaims,
    AccessTokenDenylist,
    DenylistUnavailable,
    SessionRevocations,
)
from swiftpaste.domain.access_tokens import Scope
from swiftpaste.domain.users import User


@dataclass(frozen=True, slots=True)
class AuthenticatedUser:
    user: User
    caller: Caller

    @property
    def claims(self) -> AccessClaims:
        """The login session's access token; routes that use it require `Scope.ACCOUNT`,
        which only a login session holds."""
        if self.caller.session is None:
            raise InsufficientScope("this needs a login session, not a personal access token")
        return self.caller.session


class Authenticate:
    """Check the caller's scope and that its session was not logged out (`admit`), then
    load its active user. Callers come from `BearerCredentials`."""

    def __init__(
        self,
        denylist: AccessTokenDenylist,
        revocations: SessionRevocations,
        users: UserRepository,
    ) -> None:
        self._denylist = denylist
        self._revocations = revocations
        self._users = users

    async def __call__(self, caller: Caller, needs: Scope | None = None) -> AuthenticatedUser:
        await self.admit(caller, needs)
        user = await self._users.get(caller.user_id)
        if user is None or not user.is_active:
            raise NotAuthenticated("access token is invalid or expired")
        return AuthenticatedUser(user=user, caller=caller)

    async def admit(self, caller: Caller, needs: Scope | None = None) -> None:
        """Raise unless the caller holds `needs` and, for a login session, is not logged out."""
        caller.require(needs)
        if caller.session is not None and await self._is_revoked(caller.session):
            raise NotAuthenticated("access token has been revoked")

    async def _is_revoked(self, claims: AccessClaims) -> bool:
        try:
            return await self._denylist.is_revoked(claims.token_id, claims.session_id)
        except DenylistUnavailable:
            # Logout also revokes the session in PostgreSQL, so a Redis outage
            # neither locks everybody out nor revives a logged-out token.
            return await self._revocations.is_revoked(claims.session_id)
