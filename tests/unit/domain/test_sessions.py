"""A refresh token: when it expires, and when it counts as already used."""

from datetime import timedelta

from tests.unit.fakes import DEFAULT_NOW, a_refresh_token

LIFETIME = timedelta(days=30)


def test_a_refresh_token_is_not_expired_a_moment_before_its_expiry() -> None:
    token = a_refresh_token(issued_at=DEFAULT_NOW, lifetime=LIFETIME)
    assert not token.is_expired(DEFAULT_NOW + LIFETIME - timedelta(microseconds=1))


def test_a_refresh_token_is_expired_at_its_expiry_instant() -> None:
    token = a_refresh_token(issued_at=DEFAULT_NOW, lifetime=LIFETIME)
    assert token.is_expired(DEFAULT_NOW + LIFETIME)


def test_a_refresh_token_is_expired_after_its_expiry() -> None:
    token = a_refresh_token(issued_at=DEFAULT_NOW, lifetime=LIFETIME)
    assert token.is_expired(DEFAULT_NOW + LIFETIME + timedelta(seconds=1))


def test_a_fresh_refresh_token_was_not_used() -> None:
    assert not a_refresh_token().was_used


def test_rotating_a_refresh_token_records_when_it_was_rotated() -> None:
    token = a_refresh_token()
    rotated_at = DEFAULT_NOW + timedelta(minutes=5)
    token.rotate(rotated_at)
    assert token.rotated_at == rotated_at


def test_a_rotated_refresh_token_counts_as_used() -> None:
    token = a_refresh_token()
    token.rotate(DEFAULT_NOW)
    assert token.was_used


def test_rotating_a_refresh_token_does_not_revoke_it() -> None:
    token = a_refresh_token()
    token.rotate(DEFAULT_NOW)
    assert token.revoked_at is None


def test_a_revoked_refresh_token_counts_as_used() -> None:
    assert a_refresh_token(revoked_at=DEFAULT_NOW).was_used
