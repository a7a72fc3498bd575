"""Email addresses as accounts keep them: the domain IDNA-normalised, no look-alike domains.

email-validator checks the syntax and maps the domain as IDNA does (UTS #46: case, width,
punycode, NFC), so a full-width or upper-case `EXAMPLE.com` is `example.com` and
`xn--bcher-kva.example` is `bücher.example`, at registration and at login alike. A domain
label that mixes scripts (a Cyrillic a in a Latin name) imitates another domain and is
refused, except the mixes Chinese, Japanese and Korean names use (UTS #39, "highly
restrictive").
"""

from typing import Annotated

from confusable_homoglyphs import categories
from email_validator import EmailNotValidError, ValidatedEmail, validate_email
from pydantic import AfterValidator, WithJsonSchema

# Characters of these belong to every script: digits, hyphens, combining marks.
_ANY_SCRIPT = frozenset({"COMMON", "INHERITED"})
_CJK_MIXES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)


def _scripts(label: str) -> frozenset[str]:
    return frozenset(categories.unique_aliases(label)) - _ANY_SCRIPT


def _mixes_scripts(label: str) -> bool:
    scripts = _scripts(label)
    return len(scripts) > 1 and not any(scripts <= allowed for allowed in _CJK_MIXES)


def _validated(address: str) -> ValidatedEmail:
    try:
        return validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(f"not a valid email address: {error}") from None


def canonical_email(address: str) -> str:
    """The address with its domain normalised; ValueError for an invalid address or a
    domain with a label that mixes scripts."""
    validated = _validated(address)
    for label in validated.domain.split("."):
        if _mixes_scripts(label):
            scripts = ", ".join(sorted(_scripts(label)))
            msg = (
                f"the domain label {label!r} mixes scripts ({scripts}), as look-alikes of"
                " other domains do"
            )
            raise ValueError(msg)
    return validated.normalized


def login_identifier(identifier: str) -> str:
    """A login's email or username: an email is normalised as at registration, so any
    spelling of its domain finds the account; anything else is left as it is."""
    if "@" not in identifier:
        return identifier
    try:
        return _validated(identifier.strip()).normalized
    except ValueError:
        return identifier  # no account has it: the login fails as for a wrong password


EmailAddress = Annotated[
    str,
    AfterValidator(canonical_email),
    WithJsonSchema({"type": "string", "format": "email"}),
]
