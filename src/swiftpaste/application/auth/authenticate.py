"""Authenticate: turn a bearer access token into the user it speaks for."""

from dataclasses import dataclass

from swiftpaste.application.errors import NotAuthenticated
from swiftpaste.application.ports.persistence import UserRepository
from swiftpaste.application.ports.security import (
    AccessClaims,
    AccessTokenCodec,
    AccessTokenDenylist,
    DenylistUnavailable,
    InvalidAccessToken,
    SessionRevocations,
)
from swiftpaste.domain.users import User


@dataclass(frozen=True, slots=True)
class AuthenticatedUser:
    user: User
    claims: AccessClaims


class Authenticate:
    """Verify the token, refuse it if logged out, and load its active user."""

    def __init__(
        self,
        codec: AccessTokenCodec,
        denylist: AccessTokenDenylist,
        revocations: SessionRevocations,
        users: UserRepository,
    ) -> None:
        self._codec = codec
        self._denylist = denylist
        self._revocations = revocations
        self._users = users

    async def __call__(self, token: str) -> AuthenticatedUser:
        claims = await self.identify(token)
        user = await self._users.get(claims.user_id)
        if user is None or not user.is_active:
            raise NotAuthenticated("access token is invalid or expired")
        return AuthenticatedUser(user=user, claims=claims)

    async def identify(self, token: str) -> AccessClaims:
        """Who the token speaks for, without loading the account."""
        try:
            claims = self._codec.decode(token)
        except InvalidAccessToken as error:
            raise NotAuthenticated("access token is invalid or expired") from error
        if await self._is_revoked(claims):
            raise NotAuthenticated("access token has been revoked")
        return claims

    async def _is_revoked(self, claims: AccessClaims) -> bool:
        try:
            return await self._denylist.is_revoked(claims.token_id, claims.session_id)
        except DenylistUnavailable:
            # Logout also revokes the session in PostgreSQL, so a Redis outage
            # neither locks everybody out nor revives a logged-out token.
            return await self._revocations.is_revoked(claims.session_id)
