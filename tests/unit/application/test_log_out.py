"""LogOut: stop the access token now and end its login session."""

from datetime import timedelta
from uuid import uuid4

import pytest

from swiftpaste.application.auth.log_out import LogOut
from swiftpaste.application.auth.tokens import TokenLifetimes, TokenPairIssuer
from swiftpaste.application.errors import DependencyUnavailable
from swiftpaste.application.ports.security import AccessClaims
from swiftpaste.domain.users import User
from tests.unit.conftest import ACCESS_SECONDS
from tests.unit.fakes import (
    FakeAccessTokenCodec,
    FakeDenylist,
    FakeRefreshTokenRepository,
    FakeUnitOfWork,
    FakeUserRepository,
    FixedClock,
    a_user,
)


@pytest.fixture
def log_out(
    denylist: FakeDenylist,
    refresh_tokens: FakeRefreshTokenRepository,
    uow: FakeUnitOfWork,
    clock: FixedClock,
    lifetimes: TokenLifetimes,
) -> LogOut:
    return LogOut(denylist, refresh_tokens, uow, clock, lifetimes)


@pytest.fixture
def user(users: FakeUserRepository) -> User:
    return users.seed(a_user())


async def start_session(
    user: User, issuer: TokenPairIssuer, codec: FakeAccessTokenCodec, uow: FakeUnitOfWork
) -> AccessClaims:
    pair = await issuer.issue(user.id, family_id=uuid4())
    await uow.commit()
    return codec.decode(pair.access_token)


@pytest.fixture
async def claims(
    user: User, issuer: TokenPairIssuer, codec: FakeAccessTokenCodec, uow: FakeUnitOfWork
) -> AccessClaims:
    return await start_session(user, issuer, codec, uow)


async def test_logging_out_denylists_the_access_token_until_it_expires(
    log_out: LogOut, claims: AccessClaims, denylist: FakeDenylist
) -> None:
    await log_out(claims)
    assert denylist.tokens == {claims.token_id: claims.expires_at}


async def test_logging_out_denylists_the_session_for_one_access_token_lifetime(
    log_out: LogOut, claims: AccessClaims, denylist: FakeDenylist, clock: FixedClock
) -> None:
    # Any access token the session got before now lapses by then at the latest.
    clock.advance(timedelta(minutes=5))
    await log_out(claims)
    assert denylist.sessions == {claims.session_id: clock.now() + timedelta(seconds=ACCESS_SECONDS)}


async def test_logging_out_denylists_only_the_callers_session(
    log_out: LogOut,
    claims: AccessClaims,
    user: User,
    issuer: TokenPairIssuer,
    codec: FakeAccessTokenCodec,
    uow: FakeUnitOfWork,
    denylist: FakeDenylist,
) -> None:
    other = await start_session(user, issuer, codec, uow)
    await log_out(claims)
    assert not await denylist.is_revoked(other.token_id, other.session_id)


async def test_logging_out_denylists_before_it_commits_the_revocation(
    log_out: LogOut, claims: AccessClaims, journal: list[str]
) -> None:
    journal.clear()
    await log_out(claims)
    assert journal == [
        f"revoke_token {claims.token_id}",
        f"revoke_sessions {claims.session_id}",
        "commit",
    ]


async def test_logging_out_commits_the_revocation_of_the_session(
    log_out: LogOut,
    claims: AccessClaims,
    refresh_tokens: FakeRefreshTokenRepository,
    clock: FixedClock,
) -> None:
    await log_out(claims)
    family = refresh_tokens.committed_family(claims.session_id)
    assert len(family) == 1
    assert family[0].revoked_at == clock.now()


async def test_logging_out_leaves_the_users_other_sessions_alone(
    log_out: LogOut,
    claims: AccessClaims,
    user: User,
    issuer: TokenPairIssuer,
    codec: FakeAccessTokenCodec,
    uow: FakeUnitOfWork,
    refresh_tokens: FakeRefreshTokenRepository,
) -> None:
    other = await start_session(user, issuer, codec, uow)
    await log_out(claims)
    assert not await refresh_tokens.is_family_revoked(other.session_id)


async def test_logging_out_while_the_denylist_is_unavailable_reports_it(
    log_out: LogOut, claims: AccessClaims, denylist: FakeDenylist
) -> None:
    denylist.unavailable = True
    with pytest.raises(DependencyUnavailable):
        await log_out(claims)


async def test_logging_out_while_the_denylist_is_unavailable_revokes_nothing(
    log_out: LogOut,
    claims: AccessClaims,
    denylist: FakeDenylist,
    refresh_tokens: FakeRefreshTokenRepository,
    uow: FakeUnitOfWork,
) -> None:
    commits_before = uow.commits
    denylist.unavailable = True
    with pytest.raises(DependencyUnavailable):
        await log_out(claims)
    assert not await refresh_tokens.is_family_revoked(claims.session_id)
    assert uow.commits == commits_before


async def test_logging_out_when_only_the_session_entry_cannot_be_written_reports_it(
    log_out: LogOut,
    claims: AccessClaims,
    denylist: FakeDenylist,
    refresh_tokens: FakeRefreshTokenRepository,
    uow: FakeUnitOfWork,
) -> None:
    # Older tokens of the session would stay usable: logout must not claim success.
    commits_before = uow.commits
    denylist.unavailable_operations = {"revoke_sessions"}
    with pytest.raises(DependencyUnavailable):
        await log_out(claims)
    assert not await refresh_tokens.is_family_revoked(claims.session_id)
    assert uow.commits == commits_before
