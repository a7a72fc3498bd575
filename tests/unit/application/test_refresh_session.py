"""RefreshSession: one-time refresh tokens, rotation, and reuse detection."""

from dataclasses import dataclass, replace
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from swiftpaste.application.auth.refresh_session import RefreshSession, RefreshSessionCommand
from swiftpaste.application.auth.revocation import SessionRevoker
from swiftpaste.application.auth.tokens import TokenPair, TokenPairIssuer
from swiftpaste.application.errors import InvalidRefreshToken
from swiftpaste.domain.users import User
from tests.unit.conftest import ACCESS_SECONDS, REFRESH_SECONDS
from tests.unit.fakes import (
    FakeAccessTokenCodec,
    FakeDenylist,
    FakeRefreshTokenRepository,
    FakeUnitOfWork,
    FakeUserRepository,
    FixedClock,
    a_user,
)


@dataclass(frozen=True)
class LoggedIn:
    user: User
    family_id: UUID
    pair: TokenPair


@pytest.fixture
def refresh(
    refresh_tokens: FakeRefreshTokenRepository,
    users: FakeUserRepository,
    uow: FakeUnitOfWork,
    issuer: TokenPairIssuer,
    clock: FixedClock,
    revoker: SessionRevoker,
) -> RefreshSession:
    return RefreshSession(refresh_tokens, users, uow, issuer, clock, revoker)


async def log_in(
    users: FakeUserRepository, uow: FakeUnitOfWork, issuer: TokenPairIssuer, user: User
) -> LoggedIn:
    users.seed(user)
    family_id = uuid4()
    pair = await issuer.issue(user.id, family_id=family_id)
    await uow.commit()
    return LoggedIn(user=user, family_id=family_id, pair=pair)


@pytest.fixture
async def session(
    users: FakeUserRepository, uow: FakeUnitOfWork, issuer: TokenPairIssuer, clock: FixedClock
) -> LoggedIn:
    logged_in = await log_in(users, uow, issuer, a_user())
    clock.advance(timedelta(minutes=20))
    return logged_in


def using(token: str) -> RefreshSessionCommand:
    return RefreshSessionCommand(refresh_token=token)


async def test_refreshing_returns_a_new_refresh_token(
    refresh: RefreshSession, session: LoggedIn
) -> None:
    pair = await refresh(using(session.pair.refresh_token))
    assert pair.refresh_token != session.pair.refresh_token


async def test_refreshing_returns_an_access_token_for_the_same_user_and_session(
    refresh: RefreshSession, session: LoggedIn, codec: FakeAccessTokenCodec
) -> None:
    pair = await refresh(using(session.pair.refresh_token))
    claims = codec.decode(pair.access_token)
    assert (claims.user_id, claims.session_id) == (session.user.id, session.family_id)


async def test_refreshing_commits_the_presented_token_as_rotated(
    refresh: RefreshSession,
    session: LoggedIn,
    refresh_tokens: FakeRefreshTokenRepository,
    clock: FixedClock,
) -> None:
    await refresh(using(session.pair.refresh_token))
    old = refresh_tokens.committed_token(session.pair.refresh_token)
    assert old is not None
    assert old.rotated_at == clock.now()


async def test_the_new_refresh_token_is_committed_in_the_same_family_with_a_fresh_lifetime(
    refresh: RefreshSession,
    session: LoggedIn,
    refresh_tokens: FakeRefreshTokenRepository,
    clock: FixedClock,
) -> None:
    pair = await refresh(using(session.pair.refresh_token))
    new = refresh_tokens.committed_token(pair.refresh_token)
    assert new is not None
    assert (new.family_id, new.user_id) == (session.family_id, session.user.id)
    assert new.expires_at == clock.now() + timedelta(seconds=REFRESH_SECONDS)
    assert not new.was_used


async def test_the_new_refresh_token_can_be_used_in_turn(
    refresh: RefreshSession, session: LoggedIn
) -> None:
    second = await refresh(using(session.pair.refresh_token))
    third = await refresh(using(second.refresh_token))
    assert third.refresh_token not in {session.pair.refresh_token, second.refresh_token}


async def test_presenting_a_rotated_refresh_token_is_refused(
    refresh: RefreshSession, session: LoggedIn
) -> None:
    await refresh(using(session.pair.refresh_token))
    with pytest.raises(InvalidRefreshToken):
        await refresh(using(session.pair.refresh_token))


async def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(
    refresh: RefreshSession,
    session: LoggedIn,
    refresh_tokens: FakeRefreshTokenRepository,
    clock: FixedClock,
) -> None:
    await refresh(using(session.pair.refresh_token))
    with pytest.raises(InvalidRefreshToken):
        await refresh(using(session.pair.refresh_token))
    family = refresh_tokens.staged_family(session.family_id)
    assert len(family) == 2
    assert all(token.revoked_at == clock.now() for token in family)


async def test_the_revocation_after_a_reused_refresh_token_is_committed(
    refresh: RefreshSession,
    session: LoggedIn,
    refresh_tokens: FakeRefreshTokenRepository,
) -> None:
    await refresh(using(session.pair.refresh_token))
    with pytest.raises(InvalidRefreshToken):
        await refresh(using(session.pair.refresh_token))
    family = refresh_tokens.committed_family(session.family_id)
    assert len(family) == 2
    assert all(token.revoked_at is not None for token in family)


async def test_reusing_a_rotated_refresh_token_denylists_the_session_for_an_access_lifetime(
    refresh: RefreshSession, session: LoggedIn, denylist: FakeDenylist, clock: FixedClock
) -> None:
    await refresh(using(session.pair.refresh_token))
    with pytest.raises(InvalidRefreshToken):
        await refresh(using(session.pair.refresh_token))
    assert denylist.sessions == {session.family_id: clock.now() + timedelta(seconds=ACCESS_SECONDS)}


async def test_after_a_reuse_the_access_tokens_of_the_family_are_refused(
    refresh: RefreshSession,
    session: LoggedIn,
    codec: FakeAccessTokenCodec,
    denylist: FakeDenylist,
) -> None:
    latest = await refresh(using(session.pair.refresh_token))
    with pytest.raises(InvalidRefreshToken):
        await refresh(using(session.pair.refresh_token))
    claims = codec.decode(latest.access_token)
    assert await denylist.is_revoked(claims.token_id, claims.session_id)


async def test_the_session_is_denylisted_only_after_the_revocation_is_committed(
    refresh: RefreshSession, session: LoggedIn, journal: list[str]
) -> None:
    await refresh(using(session.pair.refresh_token))
    journal.clear()
    with pytest.raises(InvalidRefreshToken):
        await refresh(using(session.pair.refresh_token))
    assert journal == ["commit", f"revoke_sessions {session.family_id}"]


async def test_a_reuse_while_the_denylist_is_unavailable_is_still_refused_and_revoked(
    refresh: RefreshSession,
    session: LoggedIn,
    denylist: FakeDenylist,
    refresh_tokens: FakeRefreshTokenRepository,
) -> None:
    await refresh(using(session.pair.refresh_token))
    denylist.unavailable = True
    with pytest.raises(InvalidRefreshToken):
        await refresh(using(session.pair.refresh_token))
    family = refresh_tokens.committed_family(session.family_id)
    assert all(token.revoked_at is not None for token in family)


async def test_a_normal_refresh_denylists_nothing(
    refresh: RefreshSession, session: LoggedIn, denylist: FakeDenylist
) -> None:
    await refresh(using(session.pair.refresh_token))
    assert (denylist.tokens, denylist.sessions) == ({}, {})


async def test_after_a_reuse_the_latest_refresh_token_of_the_family_is_refused_too(
    refresh: RefreshSession, session: LoggedIn
) -> None:
    latest = await refresh(using(session.pair.refresh_token))
    with pytest.raises(InvalidRefreshToken):
        await refresh(using(session.pair.refresh_token))
    with pytest.raises(InvalidRefreshToken):
        await refresh(using(latest.refresh_token))


async def test_a_reuse_leaves_the_users_other_sessions_alone(
    refresh: RefreshSession,
    session: LoggedIn,
    issuer: TokenPairIssuer,
    uow: FakeUnitOfWork,
    codec: FakeAccessTokenCodec,
) -> None:
    other_family = uuid4()
    other_device = await issuer.issue(session.user.id, family_id=other_family)
    await uow.commit()
    await refresh(using(session.pair.refresh_token))
    with pytest.raises(InvalidRefreshToken):
        await refresh(using(session.pair.refresh_token))
    pair = await refresh(using(other_device.refresh_token))
    assert codec.decode(pair.access_token).session_id == other_family


async def test_a_reuse_denylists_none_of_the_users_other_sessions(
    refresh: RefreshSession,
    session: LoggedIn,
    issuer: TokenPairIssuer,
    uow: FakeUnitOfWork,
    denylist: FakeDenylist,
) -> None:
    await issuer.issue(session.user.id, family_id=uuid4())
    await uow.commit()
    await refresh(using(session.pair.refresh_token))
    with pytest.raises(InvalidRefreshToken):
        await refresh(using(session.pair.refresh_token))
    assert list(denylist.sessions) == [session.family_id]


async def test_an_expired_refresh_token_is_refused(
    refresh: RefreshSession, session: LoggedIn, clock: FixedClock
) -> None:
    clock.advance(timedelta(seconds=REFRESH_SECONDS))
    with pytest.raises(InvalidRefreshToken):
        await refresh(using(session.pair.refresh_token))


async def test_a_refresh_token_is_refused_from_the_instant_it_expires(
    refresh: RefreshSession, session: LoggedIn, clock: FixedClock
) -> None:
    # The session fixture already moved the clock 20 minutes past the login.
    clock.advance(timedelta(seconds=REFRESH_SECONDS) - timedelta(minutes=20))
    with pytest.raises(InvalidRefreshToken):
        await refresh(using(session.pair.refresh_token))


async def test_a_refresh_token_still_works_a_second_before_it_expires(
    refresh: RefreshSession, session: LoggedIn, clock: FixedClock
) -> None:
    # The session fixture already moved the clock 20 minutes past the login.
    clock.advance(timedelta(seconds=REFRESH_SECONDS) - timedelta(minutes=20, seconds=1))
    pair = await refresh(using(session.pair.refresh_token))
    assert pair.refresh_token != session.pair.refresh_token


async def test_an_expired_refresh_token_is_not_rotated(
    refresh: RefreshSession,
    session: LoggedIn,
    refresh_tokens: FakeRefreshTokenRepository,
    clock: FixedClock,
) -> None:
    clock.advance(timedelta(seconds=REFRESH_SECONDS))
    with pytest.raises(InvalidRefreshToken):
        await refresh(using(session.pair.refresh_token))
    stored = refresh_tokens.committed_token(session.pair.refresh_token)
    assert stored is not None
    assert stored.rotated_at is None
    assert len(refresh_tokens.staged_tokens()) == 1


async def test_an_unknown_refresh_token_is_refused(
    refresh: RefreshSession, session: LoggedIn
) -> None:
    with pytest.raises(InvalidRefreshToken):
        await refresh(using(session.pair.refresh_token + "x"))


async def test_a_refresh_token_of_a_logged_out_session_is_refused(
    refresh: RefreshSession,
    session: LoggedIn,
    refresh_tokens: FakeRefreshTokenRepository,
    clock: FixedClock,
) -> None:
    await refresh_tokens.revoke_family(session.family_id, clock.now())
    with pytest.raises(InvalidRefreshToken):
        await refresh(using(session.pair.refresh_token))


async def test_a_refresh_token_of_a_disabled_account_is_refused_and_not_rotated(
    refresh: RefreshSession,
    session: LoggedIn,
    users: FakeUserRepository,
    refresh_tokens: FakeRefreshTokenRepository,
) -> None:
    await users.save(replace(session.user, is_active=False))
    with pytest.raises(InvalidRefreshToken):
        await refresh(using(session.pair.refresh_token))
    stored = refresh_tokens.staged_family(session.family_id)
    assert [token.rotated_at for token in stored] == [None]
