"""Security ports: password hashing, access-token encoding, the logout denylist and the
lookup of personal access tokens."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from swiftpaste.domain.access_tokens import PersonalAccessToken


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, hashed_password: str, password: str) -> bool:
        """True when the password matches; never raises for a mismatch."""

    def needs_rehash(self, hashed_password: str) -> bool:
        """True when the hash was made with weaker parameters than today's."""

    def burn_time(self, password: str) -> None:
        """Spend as long as a verification would, for logins of unknown accounts."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessClaims:
    """What an access token asserts: who, which login session, which token, until when."""

    user_id: UUID
    session_id: UUID
    token_id: str
    issued_at: datetime
    expires_at: datetime


class InvalidAccessToken(Exception):
    """The token is malformed, tampered with, of the wrong algorithm or expired."""


class AccessTokenCodec(Protocol):
    def encode(self, claims: AccessClaims) -> str: ...

    def decode(self, token: str) -> AccessClaims:
        """Verify signature and expiry; raises InvalidAccessToken."""


class DenylistUnavailable(Exception):
    """The denylist store could not be reached."""


class AccessTokenDenylist(Protocol):
    """Access tokens revoked before their expiry: one token, or every token of a session."""

    async def revoke_token(self, token_id: str, until: datetime) -> None:
        """Raises DenylistUnavailable when the store cannot be reached."""

    async def revoke_sessions(self, session_ids: Sequence[UUID], until: datetime) -> None:
        """Refuse every access token of these sessions issued so far, until `until`.

        Raises DenylistUnavailable when the store cannot be reached.
        """

    async def is_revoked(self, token_id: str, session_id: UUID) -> bool:
        """Raises DenylistUnavailable when the store cannot be reached."""


class SessionRevocations(Protocol):
    """Ended login sessions, as the database records them: what the denylist says when
    the denylist cannot be asked."""

    async def is_revoked(self, session_id: UUID) -> bool:
        """Whether the session was ended (logout, password change, a refresh token reused).

        Raises DependencyUnavailable when the database cannot answer.
        """


class PersonalAccessTokenLookup(Protocol):
    """Personal access tokens as committed: what a request presenting one is checked against.

    Both methods raise DependencyUnavailable when the database cannot answer.
    """

    async def find(self, token_digest: str) -> PersonalAccessToken | None:
        """The token with this digest; None when there is none (never issued, or revoked)."""

    async def touch(self, token_id: UUID, now: datetime) -> None:
        """Record that the token was used at `now`."""
