"""RefreshSession: trade a refresh token for a new token pair (rotation with reuse detection)."""

from dataclasses import dataclass

from swiftpaste.application.auth.revocation import SessionRevoker
from swiftpaste.application.auth.tokens import TokenPair, TokenPairIssuer, refresh_token_digest
from swiftpaste.application.errors import InvalidRefreshToken
from swiftpaste.application.ports.persistence import (
    RefreshTokenRepository,
    UnitOfWork,
    UserRepository,
)
from swiftpaste.application.ports.system import Clock


@dataclass(frozen=True, slots=True)
class RefreshSessionCommand:
    refresh_token: str


class RefreshSession:
    """Rotate the refresh token: the presented one is spent, a new pair is issued.

    A token that was already rotated is evidence it leaked, so its whole family
    (the login session) is revoked and every token of it stops working.
    """

    def __init__(
        self,
        refresh_tokens: RefreshTokenRepository,
        users: UserRepository,
        uow: UnitOfWork,
        issuer: TokenPairIssuer,
        clock: Clock,
        revoker: SessionRevoker,
    ) -> None:
        self._refresh_tokens = refresh_tokens
        self._users = users
        self._uow = uow
        self._issuer = issuer
        self._clock = clock
        self._revoker = revoker

    async def __call__(self, command: RefreshSessionCommand) -> TokenPair:
        now = self._clock.now()
        token = await self._refresh_tokens.get_by_digest_for_update(
            refresh_token_digest(command.refresh_token),
        )
        if token is None or token.is_expired(now):
            raise InvalidRefreshToken
        if token.was_used:
            await self._refresh_tokens.revoke_family(token.family_id, now)
            await self._uow.commit()
            await self._revoker.stop_access_tokens([token.family_id])
            raise InvalidRefreshToken
        user = await self._users.get(token.user_id)
        if user is None or not user.is_active:
            raise InvalidRefreshToken
        token.rotate(now)
        await self._refresh_tokens.save(token)
        pair = await self._issuer.issue(token.user_id, family_id=token.family_id)
        await self._uow.commit()
        return pair
