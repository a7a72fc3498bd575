"""BearerCredentials: the one identification of a bearer credential, whatever its kind.

A bearer is either a login session's access token (a JWT, checked by its signature alone
here; whether it was logged out is asked of the denylist by whoever admits the request)
or a personal access token (`sp_pat_…`, looked up by its digest on every request, so a
revoked one stops at once). Either way the caller is a user with scopes.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from swiftpaste.application.errors import InsufficientScope, NotAuthenticated
from swiftpaste.application.ports.security import (
    AccessClaims,
    AccessTokenCodec,
    InvalidAccessToken,
    PersonalAccessTokenLookup,
)
from swiftpaste.application.ports.system import Clock
from swiftpaste.domain.access_tokens import SESSION_SCOPES, Scope

PERSONAL_ACCESS_TOKEN_PREFIX = "sp_pat_"  # noqa: S105 - a prefix, not a secret
"""Recognisable, so that secret scanners can find leaked tokens."""
LAST_USED_PRECISION = timedelta(minutes=1)
"""`last_used_at` is written at most this often per token: not on every request."""


def new_personal_access_token() -> str:
    return PERSONAL_ACCESS_TOKEN_PREFIX + secrets.token_urlsafe(32)


def secret_digest(secret: str) -> str:
    """Random secrets (personal access tokens, delete tokens) are stored as SHA-256 digests:
    with 256 bits of entropy no salt or slow hash is needed."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class Caller:
    """Who a request speaks for, and what its credential allows."""

    user_id: UUID
    scopes: frozenset[Scope]
    session: AccessClaims | None = None
    """A login session's access token: valid until it expires or is logged out, which the
    denylist says. None for a personal access token, checked when it was looked up."""
    token_id: UUID | None = None
    """The personal access token's id."""

    def require(self, scope: Scope | None) -> None:
        """Raise InsufficientScope unless the credential holds `scope` (None: any)."""
        if scope is None or scope in self.scopes:
            return
        if scope is Scope.ACCOUNT:
            raise InsufficientScope(
                "a personal access token cannot manage tokens or change the account:"
                " log in for this"
            )
        raise InsufficientScope(f"this personal access token lacks the scope {scope.value}")


def session_caller(claims: AccessClaims) -> Caller:
    return Caller(user_id=claims.user_id, scopes=SESSION_SCOPES, session=claims)


class BearerCredentials:
    """Turns the bearer of an `Authorization` header into its caller, or refuses it."""

    def __init__(
        self, codec: AccessTokenCodec, tokens: PersonalAccessTokenLookup, clock: Clock
    ) -> None:
        self._codec = codec
        self._tokens = tokens
        self._clock = clock

    async def identify(self, bearer: str) -> Caller:
        """The caller; NotAuthenticated for a token that is malformed, forged, expired or
        (a personal access token) revoked."""
        if bearer.startswith(PERSONAL_ACCESS_TOKEN_PREFIX):
            return await self._personal(bearer)
        try:
            return session_caller(self._codec.decode(bearer))
        except InvalidAccessToken as error:
            raise NotAuthenticated("access token is invalid or expired") from error

    async def _personal(self, bearer: str) -> Caller:
        token = await self._tokens.find(secret_digest(bearer))
        if token is None:
            raise NotAuthenticated("personal access token is invalid or revoked")
        now = self._clock.now()
        if token.is_expired(now):
            raise NotAuthenticated("personal access token has expired")
        if _stale(token.last_used_at, now):
            await self._tokens.touch(token.id, now)
        return Caller(user_id=token.user_id, scopes=token.scopes, token_id=token.id)


def _stale(last_used_at: datetime | None, now: datetime) -> bool:
    return last_used_at is None or now - last_used_at >= LAST_USED_PRECISION
