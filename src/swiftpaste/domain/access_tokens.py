"""Personal access tokens: long-lived credentials a user gives to programs, with scopes."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from swiftpaste.domain.errors import InvalidTokenRequest

TOKEN_NAME_MAX_LENGTH = 100
TOKEN_MAX_LIFETIME_DAYS = 3650


class Scope(StrEnum):
    """What a credential may do. A login session holds every scope; a personal access
    token only those it was issued with, never `account`."""

    SNIPPETS_READ = "snippets:read"
    SNIPPETS_WRITE = "snippets:write"
    ACCOUNT = "account"
    """Managing tokens and changing the password or email: only with a login session."""


TOKEN_SCOPES = frozenset({Scope.SNIPPETS_READ, Scope.SNIPPETS_WRITE})
"""The scopes a personal access token may be given."""
SESSION_SCOPES = frozenset(Scope)


def validate_token_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidTokenRequest("name must not be empty")
    if len(name) > TOKEN_NAME_MAX_LENGTH:
        raise InvalidTokenRequest(f"name must be at most {TOKEN_NAME_MAX_LENGTH} characters")
    return name


def validate_token_scopes(scopes: Iterable[str]) -> frozenset[Scope]:
    wanted = frozenset(scopes)
    allowed = sorted(scope.value for scope in TOKEN_SCOPES)
    unknown = sorted(wanted - set(allowed))
    if unknown:
        raise InvalidTokenRequest(f"unknown scope {', '.join(unknown)}; allowed: {allowed}")
    if not wanted:
        raise InvalidTokenRequest(f"give at least one scope of {allowed}")
    return frozenset(Scope(scope) for scope in wanted)


@dataclass(slots=True, kw_only=True)
class PersonalAccessToken:
    """One token of a user; only the digest of its secret is ever stored."""

    id: UUID
    user_id: UUID
    name: str
    scopes: frozenset[Scope]
    token_digest: str
    created_at: datetime
    expires_at: datetime | None = None
    """None: the token works until it is revoked."""
    last_used_at: datetime | None = None

    @classmethod
    def issue(
        cls,
        *,
        token_id: UUID,
        user_id: UUID,
        name: str,
        scopes: Iterable[str],
        token_digest: str,
        lifetime_days: int | None,
        now: datetime,
    ) -> "PersonalAccessToken":
        if lifetime_days is not None and not 1 <= lifetime_days <= TOKEN_MAX_LIFETIME_DAYS:
            raise InvalidTokenRequest(
                f"expires_in_days must be between 1 and {TOKEN_MAX_LIFETIME_DAYS}"
            )
        return cls(
            id=token_id,
            user_id=user_id,
            name=validate_token_name(name),
            scopes=validate_token_scopes(scopes),
            token_digest=token_digest,
            created_at=now,
            expires_at=None if lifetime_days is None else now + timedelta(days=lifetime_days),
        )

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at
