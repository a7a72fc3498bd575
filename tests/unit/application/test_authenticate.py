"""Authenticate: a bearer access token in (identified by `BearerCredentials`), the active user
it speaks for out."""

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from uuid import uuid4

import pytest

from swiftpaste.application.auth.authenticate import Authenticate, AuthenticatedUser
from swiftpaste.application.auth.credentials import BearerCredentials
from swiftpaste.application.auth.log_out import LogOut
from swiftpaste.application.auth.tokens import TokenLifetimes, TokenPair, TokenPairIssuer
from swiftpaste.application.errors import NotAuthenticated
from swiftpaste.domain.users import User
from tests.unit.conftest import ACCESS_SECONDS
from tests.unit.fakes import (
    FakeAccessTokenCodec,
    FakeDenylist,
    FakeRefreshTokenRepository,
    FakeSessionRevocations,
    FakeUnitOfWork,
    FakeUserRepository,
    FixedClock,
    a_user,
)

SignIn = Callable[[str], Awaitable[AuthenticatedUser]]


@pytest.fixture
def authenticate(
    credentials: BearerCredentials,
    denylist: FakeDenylist,
    users: FakeUserRepository,
    session_revocations: FakeSessionRevocations,
) -> SignIn:
    """What a route does with a bearer token: identify it, then authenticate its caller."""
    use_case = Authenticate(denylist, session_revocations, users)

    async def sign_in(token: str) -> AuthenticatedUser:
        return await use_case(await credentials.identify(token))

    return sign_in


@pytest.fixture
def user(users: FakeUserRepository) -> User:
    return users.seed(a_user())


@pytest.fixture
async def pair(user: User, issuer: TokenPairIssuer, uow: FakeUnitOfWork) -> TokenPair:
    issued = await issuer.issue(user.id, family_id=uuid4())
    await uow.commit()
    return issued


async def test_a_valid_access_token_authenticates_its_user(
    authenticate: SignIn, pair: TokenPair, user: User
) -> None:
    authenticated = await authenticate(pair.access_token)
    assert authenticated.user == user


async def test_the_authenticated_user_carries_the_tokens_claims(
    authenticate: SignIn, pair: TokenPair, codec: FakeAccessTokenCodec
) -> None:
    authenticated = await authenticate(pair.access_token)
    assert authenticated.claims == codec.decode(pair.access_token)


async def test_a_tampered_access_token_is_refused(authenticate: SignIn, pair: TokenPair) -> None:
    with pytest.raises(NotAuthenticated, match="invalid or expired"):
        await authenticate(pair.access_token + "x")


async def test_an_expired_access_token_is_refused(
    authenticate: SignIn, pair: TokenPair, clock: FixedClock
) -> None:
    clock.advance(timedelta(seconds=ACCESS_SECONDS))
    with pytest.raises(NotAuthenticated, match="invalid or expired"):
        await authenticate(pair.access_token)


async def test_a_denylisted_access_token_is_refused(
    authenticate: SignIn, pair: TokenPair, codec: FakeAccessTokenCodec, denylist: FakeDenylist
) -> None:
    claims = codec.decode(pair.access_token)
    await denylist.revoke_token(claims.token_id, claims.expires_at)
    with pytest.raises(NotAuthenticated, match="revoked"):
        await authenticate(pair.access_token)


async def test_denylisting_one_access_token_does_not_refuse_another_of_the_same_user(
    authenticate: SignIn,
    pair: TokenPair,
    user: User,
    issuer: TokenPairIssuer,
    codec: FakeAccessTokenCodec,
    denylist: FakeDenylist,
) -> None:
    other = await issuer.issue(user.id, family_id=uuid4())
    claims = codec.decode(pair.access_token)
    await denylist.revoke_token(claims.token_id, claims.expires_at)
    assert (await authenticate(other.access_token)).user.id == user.id


async def test_every_access_token_of_a_denylisted_session_is_refused(
    authenticate: SignIn,
    user: User,
    issuer: TokenPairIssuer,
    denylist: FakeDenylist,
    clock: FixedClock,
) -> None:
    session_id = uuid4()
    first = await issuer.issue(user.id, family_id=session_id)
    second = await issuer.issue(user.id, family_id=session_id)
    await denylist.revoke_sessions([session_id], clock.now() + timedelta(seconds=ACCESS_SECONDS))
    for pair in (first, second):
        with pytest.raises(NotAuthenticated, match="revoked"):
            await authenticate(pair.access_token)


async def test_denylisting_a_session_does_not_refuse_the_users_other_sessions(
    authenticate: SignIn,
    pair: TokenPair,
    user: User,
    denylist: FakeDenylist,
    clock: FixedClock,
) -> None:
    await denylist.revoke_sessions([uuid4()], clock.now() + timedelta(seconds=ACCESS_SECONDS))
    assert (await authenticate(pair.access_token)).user.id == user.id


async def test_with_the_denylist_unavailable_a_token_of_a_revoked_session_is_refused(
    authenticate: SignIn,
    pair: TokenPair,
    codec: FakeAccessTokenCodec,
    denylist: FakeDenylist,
    refresh_tokens: FakeRefreshTokenRepository,
    uow: FakeUnitOfWork,
    clock: FixedClock,
) -> None:
    await refresh_tokens.revoke_family(codec.decode(pair.access_token).session_id, clock.now())
    await uow.commit()  # a logout, done
    denylist.unavailable = True
    with pytest.raises(NotAuthenticated, match="revoked"):
        await authenticate(pair.access_token)


async def test_with_the_denylist_unavailable_a_token_of_a_live_session_is_accepted(
    authenticate: SignIn, pair: TokenPair, user: User, denylist: FakeDenylist
) -> None:
    denylist.unavailable = True
    assert (await authenticate(pair.access_token)).user.id == user.id


async def test_a_token_of_a_disabled_account_is_refused(
    authenticate: SignIn, pair: TokenPair, user: User, users: FakeUserRepository
) -> None:
    await users.save(replace(user, is_active=False))
    with pytest.raises(NotAuthenticated):
        await authenticate(pair.access_token)


async def test_a_token_of_a_deleted_account_is_refused(
    authenticate: SignIn, codec: FakeAccessTokenCodec, issuer: TokenPairIssuer
) -> None:
    pair = await issuer.issue(uuid4(), family_id=uuid4())
    with pytest.raises(NotAuthenticated):
        await authenticate(pair.access_token)


async def test_after_logout_an_access_token_from_before_the_last_refresh_is_refused(
    authenticate: SignIn,
    user: User,
    issuer: TokenPairIssuer,
    codec: FakeAccessTokenCodec,
    denylist: FakeDenylist,
    refresh_tokens: FakeRefreshTokenRepository,
    uow: FakeUnitOfWork,
    clock: FixedClock,
    lifetimes: TokenLifetimes,
) -> None:
    session_id = uuid4()
    earlier = await issuer.issue(user.id, family_id=session_id)
    clock.advance(timedelta(minutes=10))
    latest = await issuer.issue(user.id, family_id=session_id)  # what a refresh hands out
    await uow.commit()
    log_out = LogOut(denylist, refresh_tokens, uow, clock, lifetimes)
    await log_out(codec.decode(latest.access_token))
    with pytest.raises(NotAuthenticated, match="revoked"):
        await authenticate(earlier.access_token)


async def test_after_logout_the_access_token_used_to_log_out_is_refused(
    authenticate: SignIn,
    pair: TokenPair,
    codec: FakeAccessTokenCodec,
    denylist: FakeDenylist,
    refresh_tokens: FakeRefreshTokenRepository,
    uow: FakeUnitOfWork,
    clock: FixedClock,
    lifetimes: TokenLifetimes,
) -> None:
    await LogOut(denylist, refresh_tokens, uow, clock, lifetimes)(codec.decode(pair.access_token))
    with pytest.raises(NotAuthenticated, match="revoked"):
        await authenticate(pair.access_token)
