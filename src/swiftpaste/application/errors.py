"""Errors a use case reports to its caller; the edge maps each to a status code."""


class ApplicationError(Exception):
    """A use case could not complete; the message is safe to show to the user."""


class AuthenticationFailed(ApplicationError):
    """Wrong credentials; deliberately the same whether or not the account exists."""

    def __init__(self) -> None:
        super().__init__("incorrect username or password")


class NotAuthenticated(ApplicationError):
    """No usable access token: missing, malformed, expired, tampered or revoked."""


class AccountDisabled(ApplicationError):
    """The account exists but is not active."""


class EmailAlreadyRegistered(ApplicationError):
    """Another account already uses this email address."""

    def __init__(self) -> None:
        super().__init__("an account with this email already exists")


class UsernameTaken(ApplicationError):
    """Another account already uses this username."""

    def __init__(self) -> None:
        super().__init__("this username is already taken")


class InvalidRefreshToken(ApplicationError):
    """The refresh token is unknown, expired, revoked or was already used."""

    def __init__(self) -> None:
        super().__init__("refresh token is invalid or expired")


class CurrentPasswordIncorrect(ApplicationError):
    """A password change was asked for without the right current password."""

    def __init__(self) -> None:
        super().__init__("current password is incorrect")


class NothingToUpdate(ApplicationError):
    """An update request carried no field to change."""


class DependencyUnavailable(ApplicationError):
    """A backing service the use case needs is unreachable; retrying later may work."""


class DatabaseUnavailable(DependencyUnavailable):
    """PostgreSQL is unreachable, has no connection free, or timed out."""

    def __init__(self) -> None:
        super().__init__("the database is unavailable or timed out; try again shortly")


class ContentTooLarge(ApplicationError):
    """The content is larger than the configured limit."""


class InvalidShare(ApplicationError):
    """The share request is out of the allowed range."""


class InvalidQuery(ApplicationError):
    """The request's parameters contradict each other."""


class PasswordRequired(ApplicationError):
    """The version is protected by a password, and none was given."""


class PasswordIncorrect(ApplicationError):
    """The password given for the version is not its password."""


class InsufficientScope(ApplicationError):
    """The credential is valid but was not given the scope this request needs."""


class PreconditionFailed(ApplicationError):
    """The snippet changed since the version the caller names (`If-Match`)."""


class IdempotencyKeyReused(ApplicationError):
    """An idempotency key came back with a different request than its first one."""


class AccessTokenNotFound(ApplicationError):
    """The caller has no personal access token with this id."""
