"""Personal access tokens: issued once, identified by digest on every request, revoked at once."""

from datetime import timedelta
from uuid import uuid4

import pytest

from swiftpaste.application.auth.authenticate import Authenticate
from swiftpaste.application.auth.credentials import (
    PERSONAL_ACCESS_TOKEN_PREFIX,
    BearerCredentials,
    secret_digest,
)
from swiftpaste.application.auth.issue_access_token import (
    IssueAccessToken,
    IssueAccessTokenCommand,
    IssuedAccessToken,
)
from swiftpaste.application.auth.list_access_tokens import ListAccessTokens
from swiftpaste.application.auth.revoke_access_token import RevokeAccessToken
from swiftpaste.application.errors import AccessTokenNotFound, InsufficientScope, NotAuthenticated
from swiftpaste.domain.access_tokens import Scope
from swiftpaste.domain.errors import InvalidTokenRequest
from swiftpaste.domain.users import User
from tests.unit.fakes import (
    FakeAccessTokenCodec,
    FakeAccessTokens,
    FakeDenylist,
    FakeSessionRevocations,
    FakeUnitOfWork,
    FakeUserRepository,
    FixedClock,
    access_claims,
)


@pytest.fixture
def issue(
    access_tokens: FakeAccessTokens, uow: FakeUnitOfWork, clock: FixedClock
) -> IssueAccessToken:
    return IssueAccessToken(access_tokens, uow, clock)


@pytest.fixture
def revoke(access_tokens: FakeAccessTokens, uow: FakeUnitOfWork) -> RevokeAccessToken:
    return RevokeAccessToken(access_tokens, uow)


async def issued(
    issue: IssueAccessToken,
    user: User,
    *scopes: str,
    days: int | None = None,
) -> IssuedAccessToken:
    return await issue(
        IssueAccessTokenCommand(
            user_id=user.id, name="ci", scopes=scopes or ("snippets:read",), expires_in_days=days
        )
    )


async def test_the_secret_is_recognisable_and_only_its_digest_is_stored(
    issue: IssueAccessToken, owner: User, access_tokens: FakeAccessTokens
) -> None:
    token = await issued(issue, owner)
    assert token.secret.startswith(PERSONAL_ACCESS_TOKEN_PREFIX)
    (stored,) = access_tokens.committed_tokens()
    assert stored.token_digest == secret_digest(token.secret)
    assert token.secret not in repr(stored)


async def test_each_token_has_a_secret_of_its_own(issue: IssueAccessToken, owner: User) -> None:
    first, second = await issued(issue, owner), await issued(issue, owner)
    assert first.secret != second.secret
    assert len(first.secret) >= len(PERSONAL_ACCESS_TOKEN_PREFIX) + 43  # 256 random bits


async def test_a_bad_request_stores_nothing(
    issue: IssueAccessToken, owner: User, uow: FakeUnitOfWork
) -> None:
    with pytest.raises(InvalidTokenRequest):
        await issued(issue, owner, "snippets:delete")
    assert uow.commits == 0


async def test_a_token_identifies_its_user_with_its_scopes(
    issue: IssueAccessToken, owner: User, credentials: BearerCredentials
) -> None:
    token = await issued(issue, owner, "snippets:write")
    caller = await credentials.identify(token.secret)
    assert (caller.user_id, caller.scopes, caller.session) == (
        owner.id,
        frozenset({Scope.SNIPPETS_WRITE}),
        None,
    )
    assert caller.token_id == token.token.id


@pytest.mark.parametrize("bearer", [PERSONAL_ACCESS_TOKEN_PREFIX + "forged", "sp_pat_"])
async def test_an_unknown_token_is_refused(credentials: BearerCredentials, bearer: str) -> None:
    with pytest.raises(NotAuthenticated, match="invalid or revoked"):
        await credentials.identify(bearer)


async def test_a_revoked_token_is_refused_at_the_next_request(
    issue: IssueAccessToken,
    revoke: RevokeAccessToken,
    owner: User,
    credentials: BearerCredentials,
) -> None:
    token = await issued(issue, owner)
    await credentials.identify(token.secret)
    await revoke(owner.id, token.token.id)
    with pytest.raises(NotAuthenticated, match="invalid or revoked"):
        await credentials.identify(token.secret)


async def test_nobody_revokes_a_token_of_someone_else(
    issue: IssueAccessToken,
    revoke: RevokeAccessToken,
    owner: User,
    stranger: User,
    credentials: BearerCredentials,
) -> None:
    token = await issued(issue, owner)
    with pytest.raises(AccessTokenNotFound):
        await revoke(stranger.id, token.token.id)
    with pytest.raises(AccessTokenNotFound):
        await revoke(owner.id, uuid4())
    assert (await credentials.identify(token.secret)).user_id == owner.id


async def test_an_expired_token_is_refused(
    issue: IssueAccessToken, owner: User, credentials: BearerCredentials, clock: FixedClock
) -> None:
    token = await issued(issue, owner, days=1)
    clock.advance(timedelta(days=1))
    with pytest.raises(NotAuthenticated, match="expired"):
        await credentials.identify(token.secret)


async def test_last_use_is_written_at_most_once_a_minute(
    issue: IssueAccessToken,
    owner: User,
    credentials: BearerCredentials,
    access_tokens: FakeAccessTokens,
    clock: FixedClock,
) -> None:
    token = await issued(issue, owner)
    first_use = clock.now()
    await credentials.identify(token.secret)
    clock.advance(timedelta(seconds=59))
    await credentials.identify(token.secret)
    clock.advance(timedelta(seconds=1))
    await credentials.identify(token.secret)
    assert access_tokens.touches == [
        (token.token.id, first_use),
        (token.token.id, first_use + timedelta(minutes=1)),
    ]


async def test_the_list_shows_the_users_tokens_newest_first(
    issue: IssueAccessToken,
    owner: User,
    stranger: User,
    access_tokens: FakeAccessTokens,
    clock: FixedClock,
) -> None:
    older = await issued(issue, owner)
    clock.advance(timedelta(seconds=1))
    newer = await issued(issue, owner)
    await issued(issue, stranger)
    listed = await ListAccessTokens(access_tokens)(owner.id)
    assert [token.id for token in listed] == [newer.token.id, older.token.id]


async def test_an_access_token_of_a_login_session_holds_every_scope(
    credentials: BearerCredentials, codec: FakeAccessTokenCodec, owner: User
) -> None:
    caller = await credentials.identify(codec.encode(access_claims(user_id=owner.id)))
    for scope in Scope:
        caller.require(scope)


@pytest.mark.parametrize(
    ("scopes", "needs", "message"),
    [
        (("snippets:read",), Scope.SNIPPETS_WRITE, "lacks the scope snippets:write"),
        (("snippets:write",), Scope.SNIPPETS_READ, "lacks the scope snippets:read"),
        (("snippets:read", "snippets:write"), Scope.ACCOUNT, "cannot manage tokens"),
    ],
)
async def test_a_token_without_the_scope_is_refused(
    issue: IssueAccessToken,
    owner: User,
    credentials: BearerCredentials,
    denylist: FakeDenylist,
    session_revocations: FakeSessionRevocations,
    users: FakeUserRepository,
    scopes: tuple[str, ...],
    needs: Scope,
    message: str,
) -> None:
    token = await issued(issue, owner, *scopes)
    caller = await credentials.identify(token.secret)
    with pytest.raises(InsufficientScope, match=message):
        await Authenticate(denylist, session_revocations, users)(caller, needs)


async def test_a_token_with_the_scope_authenticates_its_user(
    issue: IssueAccessToken,
    owner: User,
    credentials: BearerCredentials,
    denylist: FakeDenylist,
    session_revocations: FakeSessionRevocations,
    users: FakeUserRepository,
) -> None:
    token = await issued(issue, owner, "snippets:write")
    caller = await credentials.identify(token.secret)
    signed_in = await Authenticate(denylist, session_revocations, users)(
        caller, Scope.SNIPPETS_WRITE
    )
    assert signed_in.user.id == owner.id
    with pytest.raises(InsufficientScope):
        _ = signed_in.claims  # no login session behind it
