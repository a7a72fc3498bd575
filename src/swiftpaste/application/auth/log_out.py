"""LogOut: end the login session behind an access token."""

from swiftpaste.application.errors import DependencyUnavailable
from swiftpaste.application.ports.persistence import RefreshTokenRepository, UnitOfWork
from swiftpaste.application.ports.security import (
    AccessClaims,
    AccessTokenDenylist,
    DenylistUnavailable,
)
from swiftpaste.application.ports.system import Clock


class LogOut:
    """Stop the access token at once and revoke its session's refresh tokens."""

    def __init__(
        self,
        denylist: AccessTokenDenylist,
        refresh_tokens: RefreshTokenRepository,
        uow: UnitOfWork,
        clock: Clock,
    ) -> None:
        self._denylist = denylist
        self._refresh_tokens = refresh_tokens
        self._uow = uow
        self._clock = clock

    async def __call__(self, claims: AccessClaims) -> None:
        try:
            await self._denylist.add(claims.token_id, claims.expires_at)
        except DenylistUnavailable as error:
            # Reporting success without the denylist entry would leave the token usable.
            raise DependencyUnavailable("logout is unavailable right now; try again") from error
        await self._refresh_tokens.revoke_family(claims.session_id, self._clock.now())
        await self._uow.commit()
