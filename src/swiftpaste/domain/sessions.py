"""Login sessions: a family of rotating refresh tokens that stands for one login."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(slots=True, kw_only=True)
class RefreshToken:
    """One refresh token of a session family; only its digest is ever stored.

    A token is used once: refreshing rotates it (marks it rotated and issues the
    next one in the same family). Presenting a rotated token again means it was
    copied, so the whole family is revoked.
    """

    id: UUID
    user_id: UUID
    family_id: UUID
    token_digest: str
    issued_at: datetime
    expires_at: datetime
    rotated_at: datetime | None = None
    revoked_at: datetime | None = None

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    @property
    def was_used(self) -> bool:
        return self.rotated_at is not None or self.revoked_at is not None

    def rotate(self, now: datetime) -> None:
        self.rotated_at = now
