"""Translate database constraint violations into application errors, in one place."""

from sqlalchemy.exc import IntegrityError

from swiftpaste.application.errors import (
    ApplicationError,
    EmailAlreadyRegistered,
    UsernameTaken,
)
from swiftpaste.infrastructure.persistence.tables import (
    USERS_EMAIL_UNIQUE,
    USERS_USERNAME_UNIQUE,
)

_ERRORS_BY_CONSTRAINT: dict[str, type[ApplicationError]] = {
    USERS_EMAIL_UNIQUE: EmailAlreadyRegistered,
    USERS_USERNAME_UNIQUE: UsernameTaken,
}


def violated_constraint(error: IntegrityError) -> str | None:
    """The name of the constraint asyncpg reports, if any."""
    driver_error = error.orig
    for candidate in (driver_error, getattr(driver_error, "__cause__", None)):
        name = getattr(candidate, "constraint_name", None)
        if isinstance(name, str):
            return name
    return None


def translate_integrity_error(error: IntegrityError) -> ApplicationError | None:
    """The application error a named constraint stands for, or None if it is unexpected."""
    constraint = violated_constraint(error)
    error_type = _ERRORS_BY_CONSTRAINT.get(constraint or "")
    return error_type() if error_type else None
