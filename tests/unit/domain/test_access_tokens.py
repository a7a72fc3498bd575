"""Personal access tokens: names, scopes, lifetimes."""

from datetime import timedelta
from uuid import uuid4

import pytest

from swiftpaste.domain.access_tokens import (
    TOKEN_MAX_LIFETIME_DAYS,
    PersonalAccessToken,
    Scope,
)
from swiftpaste.domain.errors import InvalidTokenRequest
from tests.unit.fakes import DEFAULT_NOW


def issue(
    *, name: str = "ci", scopes: tuple[str, ...] = ("snippets:read",), days: int | None = None
) -> PersonalAccessToken:
    return PersonalAccessToken.issue(
        token_id=uuid4(),
        user_id=uuid4(),
        name=name,
        scopes=scopes,
        token_digest="d" * 64,
        lifetime_days=days,
        now=DEFAULT_NOW,
    )


def test_a_token_holds_the_scopes_it_was_issued_with() -> None:
    token = issue(scopes=("snippets:write", "snippets:read", "snippets:write"))
    assert token.scopes == {Scope.SNIPPETS_READ, Scope.SNIPPETS_WRITE}


def test_a_token_without_lifetime_never_expires() -> None:
    token = issue()
    assert token.expires_at is None
    assert not token.is_expired(DEFAULT_NOW + timedelta(days=10_000))


def test_a_token_expires_at_the_end_of_its_lifetime() -> None:
    token = issue(days=30)
    assert token.expires_at == DEFAULT_NOW + timedelta(days=30)
    assert not token.is_expired(DEFAULT_NOW + timedelta(days=30) - timedelta(seconds=1))
    assert token.is_expired(DEFAULT_NOW + timedelta(days=30))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"scopes": ()}, "at least one scope"),
        ({"scopes": ("account",)}, "unknown scope account"),
        ({"scopes": ("snippets:read", "admin")}, "unknown scope admin"),
        ({"name": "  "}, "name must not be empty"),
        ({"name": "x" * 101}, "at most 100"),
        ({"days": 0}, "expires_in_days"),
        ({"days": TOKEN_MAX_LIFETIME_DAYS + 1}, "expires_in_days"),
    ],
)
def test_a_bad_request_is_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidTokenRequest, match=message):
        issue(**fields)  # type: ignore[arg-type]


def test_the_name_is_kept_without_surrounding_blanks() -> None:
    assert issue(name="  deploy bot ").name == "deploy bot"
