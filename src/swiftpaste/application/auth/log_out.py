"""LogOut: end the login session behind an access token."""

from datetime import timedelta

from swiftpaste.application.auth.tokens import TokenLifetimes
from swiftpaste.application.errors import DependencyUnavailable
from swiftpaste.application.ports.persistence import RefreshTokenRepository, UnitOfWork
from swiftpaste.application.ports.security import (
    AccessClaims,
    AccessTokenDenylist,
    DenylistUnavailable,
)
from swiftpaste.application.ports.system import Clock


class LogOut:
    """Stop the session's access tokens at once and revoke its refresh tokens."""

    def __init__(
        self,
        denylist: AccessTokenDenylist,
        refresh_tokens: RefreshTokenRepository,
        uow: UnitOfWork,
        clock: Clock,
        lifetimes: TokenLifetimes,
    ) -> None:
        self._denylist = denylist
        self._refresh_tokens = refresh_tokens
        self._uow = uow
        self._clock = clock
        self._lifetimes = lifetimes

    async def __call__(self, claims: AccessClaims) -> None:
        now = self._clock.now()
        try:
            await self._denylist.revoke_token(claims.token_id, claims.expires_at)
            # Access tokens the session got before its last refresh die with it too.
            await self._denylist.revoke_sessions(
                [claims.session_id], now + timedelta(seconds=self._lifetimes.access_seconds)
            )
        except DenylistUnavailable as error:
            # Reporting success without the denylist entry would leave the token usable.
            raise DependencyUnavailable("logout is unavailable right now; try again") from error
        await self._refresh_tokens.revoke_family(claims.session_id, now)
        await self._uow.commit()
