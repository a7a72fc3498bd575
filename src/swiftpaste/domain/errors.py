"""Errors raised by the domain model when a rule is broken."""


class DomainError(Exception):
    """A business rule was broken; the message is safe to show to the user."""


class InvalidUsername(DomainError):
    """The username does not follow the naming rule."""


class WeakPassword(DomainError):
    """The password does not meet the password policy."""
