"""Issuing a token pair: a short-lived JWT access token and a rotating refresh token."""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID, uuid4

from swiftpaste.application.auth.credentials import secret_digest
from swiftpaste.application.ports.persistence import RefreshTokenRepository
from swiftpaste.application.ports.security import AccessClaims, AccessTokenCodec
from swiftpaste.application.ports.system import Clock
from swiftpaste.domain.sessions import RefreshToken


@dataclass(frozen=True, slots=True)
class TokenLifetimes:
    access_seconds: int
    refresh_seconds: int


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


def refresh_token_digest(token: str) -> str:
    """Refresh tokens are stored as SHA-256 digests: they are random, so no salt is needed."""
    return secret_digest(token)


class TokenPairIssuer:
    """Mints the access token and the next refresh token of a login session."""

    def __init__(
        self,
        codec: AccessTokenCodec,
        refresh_tokens: RefreshTokenRepository,
        clock: Clock,
        lifetimes: TokenLifetimes,
    ) -> None:
        self._codec = codec
        self._refresh_tokens = refresh_tokens
        self._clock = clock
        self._lifetimes = lifetimes

    async def issue(self, user_id: UUID, family_id: UUID) -> TokenPair:
        now = self._clock.now()
        access_token = self._codec.encode(
            AccessClaims(
                user_id=user_id,
                session_id=family_id,
                token_id=uuid4().hex,
                issued_at=now,
                expires_at=now + timedelta(seconds=self._lifetimes.access_seconds),
            ),
        )
        refresh_token = secrets.token_urlsafe(32)
        await self._refresh_tokens.add(
            RefreshToken(
                id=uuid4(),
                user_id=user_id,
                family_id=family_id,
                token_digest=refresh_token_digest(refresh_token),
                issued_at=now,
                expires_at=now + timedelta(seconds=self._lifetimes.refresh_seconds),
            ),
        )
        return TokenPair(
            access_token=access_token,
            refresh_token=refresh_token,
            expires_in=self._lifetimes.access_seconds,
        )
