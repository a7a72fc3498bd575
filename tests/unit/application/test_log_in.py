"""LogIn: credentials in, a token pair out; no hint whether an account exists."""

from datetime import timedelta

import pytest

from swiftpaste.application.auth.log_in import LogIn, LogInCommand
from swiftpaste.application.auth.tokens import TokenPairIssuer
from swiftpaste.application.errors import AccountDisabled, AuthenticationFailed
from swiftpaste.domain.users import User
from tests.unit.conftest import ACCESS_SECONDS, REFRESH_SECONDS
from tests.unit.fakes import (
    FakeAccessTokenCodec,
    FakePasswordHasher,
    FakeRefreshTokenRepository,
    FakeUnitOfWork,
    FakeUserRepository,
    FixedClock,
    a_user,
)

PASSWORD = "correct horse battery staple"


@pytest.fixture
def log_in(
    users: FakeUserRepository,
    uow: FakeUnitOfWork,
    hasher: FakePasswordHasher,
    issuer: TokenPairIssuer,
) -> LogIn:
    return LogIn(users, uow, hasher, issuer)


@pytest.fixture
def alice(users: FakeUserRepository) -> User:
    return users.seed(
        a_user(email="alice@example.com", username="Alice", hashed_password=f"hashed:{PASSWORD}")
    )


@pytest.mark.parametrize(
    "identifier",
    ["alice@example.com", "ALICE@Example.com", "  alice@example.com  "],
    ids=["canonical", "other-case", "surrounding-spaces"],
)
async def test_logging_in_by_email_returns_an_access_token_for_the_account(
    log_in: LogIn, codec: FakeAccessTokenCodec, alice: User, identifier: str
) -> None:
    pair = await log_in(LogInCommand(identifier=identifier, password=PASSWORD))
    assert codec.decode(pair.access_token).user_id == alice.id


@pytest.mark.parametrize(
    "identifier", ["Alice", "alice", " ALICE "], ids=["as-registered", "lower", "upper-spaced"]
)
async def test_logging_in_by_username_returns_an_access_token_for_the_account(
    log_in: LogIn, codec: FakeAccessTokenCodec, alice: User, identifier: str
) -> None:
    pair = await log_in(LogInCommand(identifier=identifier, password=PASSWORD))
    assert codec.decode(pair.access_token).user_id == alice.id


@pytest.mark.usefixtures("alice")
async def test_logging_in_commits_a_refresh_token_of_the_access_tokens_session(
    log_in: LogIn, codec: FakeAccessTokenCodec, refresh_tokens: FakeRefreshTokenRepository
) -> None:
    pair = await log_in(LogInCommand(identifier="alice", password=PASSWORD))
    stored = refresh_tokens.committed_token(pair.refresh_token)
    assert stored is not None
    assert stored.family_id == codec.decode(pair.access_token).session_id


@pytest.mark.usefixtures("alice")
async def test_the_token_pair_carries_the_configured_lifetimes(
    log_in: LogIn,
    codec: FakeAccessTokenCodec,
    refresh_tokens: FakeRefreshTokenRepository,
    clock: FixedClock,
) -> None:
    pair = await log_in(LogInCommand(identifier="alice", password=PASSWORD))
    stored = refresh_tokens.committed_token(pair.refresh_token)
    assert stored is not None
    assert pair.expires_in == ACCESS_SECONDS
    assert codec.decode(pair.access_token).expires_at == clock.now() + timedelta(
        seconds=ACCESS_SECONDS
    )
    assert stored.expires_at == clock.now() + timedelta(seconds=REFRESH_SECONDS)


@pytest.mark.usefixtures("alice")
async def test_each_login_starts_its_own_session(
    log_in: LogIn, codec: FakeAccessTokenCodec
) -> None:
    first = await log_in(LogInCommand(identifier="alice", password=PASSWORD))
    second = await log_in(LogInCommand(identifier="alice", password=PASSWORD))
    assert (
        codec.decode(first.access_token).session_id != codec.decode(second.access_token).session_id
    )


@pytest.mark.usefixtures("alice")
async def test_logging_in_with_a_wrong_password_fails(log_in: LogIn) -> None:
    with pytest.raises(AuthenticationFailed):
        await log_in(LogInCommand(identifier="alice", password="wrong password"))


@pytest.mark.usefixtures("alice")
async def test_a_failed_login_issues_no_refresh_token_and_commits_nothing(
    log_in: LogIn, refresh_tokens: FakeRefreshTokenRepository, uow: FakeUnitOfWork
) -> None:
    with pytest.raises(AuthenticationFailed):
        await log_in(LogInCommand(identifier="alice", password="wrong password"))
    assert refresh_tokens.staged_tokens() == []
    assert not uow.committed


async def test_logging_in_to_an_unknown_account_fails(log_in: LogIn) -> None:
    with pytest.raises(AuthenticationFailed):
        await log_in(LogInCommand(identifier="nobody", password=PASSWORD))


@pytest.mark.usefixtures("alice")
@pytest.mark.parametrize("unknown", ["nobody", "nobody@example.com"])
async def test_an_unknown_account_gets_the_same_answer_as_a_wrong_password(
    log_in: LogIn, unknown: str
) -> None:
    with pytest.raises(AuthenticationFailed) as wrong_password:
        await log_in(LogInCommand(identifier="alice", password="wrong password"))
    with pytest.raises(AuthenticationFailed) as unknown_account:
        await log_in(LogInCommand(identifier=unknown, password=PASSWORD))
    assert str(unknown_account.value) == str(wrong_password.value)
    assert str(unknown_account.value) == "incorrect username or password"


async def test_logging_in_to_an_unknown_account_spends_a_hash_verification(
    log_in: LogIn, hasher: FakePasswordHasher
) -> None:
    with pytest.raises(AuthenticationFailed):
        await log_in(LogInCommand(identifier="nobody@example.com", password=PASSWORD))
    assert hasher.burn_time_calls == 1


async def test_logging_in_to_a_disabled_account_with_the_right_password_is_refused(
    log_in: LogIn, users: FakeUserRepository
) -> None:
    users.seed(a_user(username="carol", hashed_password=f"hashed:{PASSWORD}", is_active=False))
    with pytest.raises(AccountDisabled):
        await log_in(LogInCommand(identifier="carol", password=PASSWORD))


async def test_a_disabled_account_with_a_wrong_password_does_not_reveal_it_is_disabled(
    log_in: LogIn, users: FakeUserRepository
) -> None:
    users.seed(a_user(username="carol", hashed_password=f"hashed:{PASSWORD}", is_active=False))
    with pytest.raises(AuthenticationFailed):
        await log_in(LogInCommand(identifier="carol", password="wrong password"))


async def test_a_disabled_account_gets_no_session(
    log_in: LogIn, users: FakeUserRepository, refresh_tokens: FakeRefreshTokenRepository
) -> None:
    users.seed(a_user(username="carol", hashed_password=f"hashed:{PASSWORD}", is_active=False))
    with pytest.raises(AccountDisabled):
        await log_in(LogInCommand(identifier="carol", password=PASSWORD))
    assert refresh_tokens.staged_tokens() == []


async def test_logging_in_rehashes_and_commits_a_password_hashed_with_outdated_parameters(
    log_in: LogIn, users: FakeUserRepository, hasher: FakePasswordHasher
) -> None:
    user = users.seed(a_user(username="dave", hashed_password=f"legacy:{PASSWORD}"))
    hasher.rehash_needed = True
    await log_in(LogInCommand(identifier="dave", password=PASSWORD))
    stored = users.committed_user(user.id)
    assert stored is not None
    assert stored.hashed_password == f"hashed:{PASSWORD}"


async def test_logging_in_keeps_a_hash_whose_parameters_are_current(
    log_in: LogIn, users: FakeUserRepository, hasher: FakePasswordHasher
) -> None:
    user = users.seed(a_user(username="dave", hashed_password=f"legacy:{PASSWORD}"))
    await log_in(LogInCommand(identifier="dave", password=PASSWORD))
    stored = users.committed_user(user.id)
    assert stored is not None
    assert stored.hashed_password == f"legacy:{PASSWORD}"
