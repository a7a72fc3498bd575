"""The naming rule, the password policy and email normalization."""

import pytest

from swiftpaste.domain.errors import DomainError, InvalidUsername, WeakPassword
from swiftpaste.domain.users import (
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    normalize_email,
    validate_password,
    validate_username,
)
from tests.unit.fakes import a_user


@pytest.mark.parametrize(
    "username",
    ["abc", "a" * 32, "Alice", "bob_42", "carol-dev", "___", "---", "A1_-z9"],
    ids=[
        "3-chars",
        "32-chars",
        "mixed-case",
        "underscore",
        "hyphen",
        "only-underscores",
        "only-hyphens",
        "every-class",
    ],
)
def test_a_username_of_3_to_32_allowed_characters_is_accepted_unchanged(username: str) -> None:
    assert validate_username(username) == username


@pytest.mark.parametrize(
    "username",
    [
        "",
        "ab",
        "a" * 33,
        "al ice",
        " alice",
        "alice ",
        "alice\n",
        "alice.b",
        "alice@example.com",
        "ålice",
        "алиса",
        "\uff41\uff4c\uff49\uff43\uff45",  # fullwidth "alice"
        "alice\u0661\u0662\u0663",  # Arabic-Indic digits
        "alice😀",
    ],
    ids=[
        "empty",
        "2-chars",
        "33-chars",
        "inner-space",
        "leading-space",
        "trailing-space",
        "trailing-newline",
        "dot",
        "email",
        "latin-accent",
        "cyrillic",
        "fullwidth",
        "non-ascii-digits",
        "emoji",
    ],
)
def test_a_username_outside_the_rule_is_rejected(username: str) -> None:
    with pytest.raises(InvalidUsername):
        validate_username(username)


def test_an_invalid_username_is_a_domain_error_with_a_message_for_the_user() -> None:
    with pytest.raises(DomainError, match="3 to 32 characters"):
        validate_username("x")


def test_a_password_one_character_short_of_the_minimum_is_rejected() -> None:
    with pytest.raises(WeakPassword, match="at least 8"):
        validate_password("x" * (PASSWORD_MIN_LENGTH - 1))


def test_a_password_of_exactly_the_minimum_length_is_accepted() -> None:
    assert validate_password("x" * PASSWORD_MIN_LENGTH) == "x" * PASSWORD_MIN_LENGTH


def test_a_password_of_exactly_the_maximum_length_is_accepted() -> None:
    assert validate_password("x" * PASSWORD_MAX_LENGTH) == "x" * PASSWORD_MAX_LENGTH


def test_a_password_longer_than_the_maximum_is_rejected() -> None:
    with pytest.raises(WeakPassword, match="at most 1024"):
        validate_password("x" * (PASSWORD_MAX_LENGTH + 1))


def test_the_password_policy_is_8_to_1024_characters() -> None:
    assert (PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH) == (8, 1024)


def test_password_length_counts_characters_not_bytes() -> None:
    assert validate_password("é" * PASSWORD_MIN_LENGTH) == "é" * PASSWORD_MIN_LENGTH


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("Alice@Example.COM", "alice@example.com"),
        ("  bob@example.com\t\n", "bob@example.com"),
        ("carol@example.com", "carol@example.com"),
    ],
    ids=["mixed-case", "surrounding-whitespace", "already-canonical"],
)
def test_an_email_is_normalized_to_trimmed_lower_case(raw: str, normalized: str) -> None:
    assert normalize_email(raw) == normalized


def test_renaming_a_user_to_a_valid_name_changes_the_username() -> None:
    user = a_user(username="alice")
    user.rename("alice_2")
    assert user.username == "alice_2"


def test_renaming_a_user_to_an_invalid_name_is_rejected_and_keeps_the_old_name() -> None:
    user = a_user(username="alice")
    with pytest.raises(InvalidUsername):
        user.rename("a")
    assert user.username == "alice"


def test_a_new_user_is_active_unverified_and_not_a_superuser() -> None:
    user = a_user()
    assert (user.is_active, user.is_verified, user.is_superuser) == (True, False, False)
