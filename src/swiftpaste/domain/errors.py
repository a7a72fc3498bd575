"""Errors raised by the domain model when a rule is broken."""


class DomainError(Exception):
    """A business rule was broken; the message is safe to show to the user."""


class InvalidUsername(DomainError):
    """The username does not follow the naming rule."""


class WeakPassword(DomainError):
    """The password does not meet the password policy."""


class InvalidSnippet(DomainError):
    """The snippet's title, content, language or expiry breaks a rule."""


class SnippetNotFound(DomainError):
    """No such snippet, or one the reader may not know exists."""


class VersionNotFound(DomainError):
    """The snippet exists but has no such version."""


class ShareExpired(DomainError):
    """The version's share window has closed."""


class SnippetBurned(DomainError):
    """The version was to be read once, and it was: its content is gone."""


class ViewLimitReached(DomainError):
    """The version was to be read a limited number of times, and it was."""


class NotSnippetOwner(DomainError):
    """Someone other than the owner tried to change the snippet."""


class InvalidDeleteToken(DomainError):
    """The delete token does not belong to the snippet (or the snippet has none)."""


class InvalidTokenRequest(DomainError):
    """A personal access token was asked for with a bad name, scope or lifetime."""
