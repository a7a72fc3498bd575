"""The user account and the rules for usernames, emails and passwords."""

import re
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from swiftpaste.domain.errors import InvalidUsername, WeakPassword

USERNAME_PATTERN = re.compile(r"[A-Za-z0-9_-]{3,32}")
PASSWORD_MIN_LENGTH = 8
# Bounded so that hashing a hostile multi-megabyte "password" cannot tie up a worker.
PASSWORD_MAX_LENGTH = 1024


def validate_username(username: str) -> str:
    """Return the username if it is 3-32 characters of letters, digits, `_` or `-`."""
    if USERNAME_PATTERN.fullmatch(username) is None:
        raise InvalidUsername(
            "username must be 3 to 32 characters of letters, digits, '_' or '-'",
        )
    return username


def validate_password(password: str) -> str:
    """Return the password if it meets the length policy."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise WeakPassword(f"password must be at least {PASSWORD_MIN_LENGTH} characters")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise WeakPassword(f"password must be at most {PASSWORD_MAX_LENGTH} characters")
    return password


def normalize_email(email: str) -> str:
    """Emails are unique case-insensitively, so they are stored in one canonical case."""
    return email.strip().lower()


@dataclass(slots=True, kw_only=True)
class User:
    """A registered account; the password is only ever held as a hash."""

    id: UUID
    email: str
    username: str
    hashed_password: str
    is_active: bool = True
    is_superuser: bool = False
    is_verified: bool = False
    created_at: datetime

    def rename(self, username: str) -> None:
        self.username = validate_username(username)

    def set_password_hash(self, hashed_password: str) -> None:
        self.hashed_password = hashed_password
