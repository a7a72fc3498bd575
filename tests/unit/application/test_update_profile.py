"""UpdateProfile: renaming the account and changing its password."""

from dataclasses import dataclass, replace
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from swiftpaste.application.auth.authenticate import AuthenticatedUser
from swiftpaste.application.auth.credentials import session_caller
from swiftpaste.application.auth.revocation import SessionRevoker
from swiftpaste.application.auth.tokens import TokenPairIssuer
from swiftpaste.application.auth.update_profile import UpdateProfile, UpdateProfileCommand
from swiftpaste.application.errors import (
    CurrentPasswordIncorrect,
    NotAuthenticated,
    NothingToUpdate,
    UsernameTaken,
)
from swiftpaste.domain.errors import InvalidUsername, WeakPassword
from swiftpaste.domain.users import User
from tests.unit.conftest import ACCESS_SECONDS
from tests.unit.fakes import (
    FakeAccessTokenCodec,
    FakeDenylist,
    FakePasswordHasher,
    FakeRefreshTokenRepository,
    FakeUnitOfWork,
    FakeUserRepository,
    FixedClock,
    a_user,
    access_claims,
)

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new passphrase"


@dataclass(frozen=True)
class Sessions:
    """Alice is signed in on two devices; `caller` is the one making the request."""

    caller: AuthenticatedUser
    other_family: UUID


@pytest.fixture
def update_profile(
    users: FakeUserRepository,
    refresh_tokens: FakeRefreshTokenRepository,
    uow: FakeUnitOfWork,
    hasher: FakePasswordHasher,
    clock: FixedClock,
    revoker: SessionRevoker,
) -> UpdateProfile:
    return UpdateProfile(users, refresh_tokens, uow, hasher, clock, revoker)


@pytest.fixture
def alice(users: FakeUserRepository) -> User:
    return users.seed(
        a_user(email="alice@example.com", username="alice", hashed_password=f"hashed:{PASSWORD}")
    )


@pytest.fixture
async def sessions(
    alice: User,
    users: FakeUserRepository,
    issuer: TokenPairIssuer,
    codec: FakeAccessTokenCodec,
    uow: FakeUnitOfWork,
) -> Sessions:
    this_device = await issuer.issue(alice.id, family_id=uuid4())
    other_family = uuid4()
    await issuer.issue(alice.id, family_id=other_family)
    await uow.commit()
    loaded = await users.get(alice.id)
    assert loaded is not None
    claims = codec.decode(this_device.access_token)
    caller = AuthenticatedUser(user=loaded, caller=session_caller(claims))
    return Sessions(caller=caller, other_family=other_family)


@pytest.fixture
def caller(sessions: Sessions) -> AuthenticatedUser:
    return sessions.caller


@pytest.fixture
def commits_before(sessions: Sessions, uow: FakeUnitOfWork) -> int:
    return uow.commits


def change_password(
    new: str = NEW_PASSWORD, current: str | None = PASSWORD
) -> UpdateProfileCommand:
    return UpdateProfileCommand(password=new, current_password=current)


def committed(users: FakeUserRepository, user_id: UUID) -> User:
    stored = users.committed_user(user_id)
    assert stored is not None
    return stored


@pytest.mark.parametrize("new_name", ["alice_2", "ALICE"], ids=["new-name", "own-name-recased"])
async def test_renaming_commits_and_returns_the_renamed_account(
    update_profile: UpdateProfile,
    caller: AuthenticatedUser,
    users: FakeUserRepository,
    new_name: str,
) -> None:
    user = await update_profile(caller, UpdateProfileCommand(username=new_name))
    assert (user.id, user.username) == (caller.user.id, new_name)
    assert committed(users, caller.user.id).username == new_name


async def test_renaming_does_not_sign_out_other_sessions(
    update_profile: UpdateProfile,
    sessions: Sessions,
    refresh_tokens: FakeRefreshTokenRepository,
) -> None:
    await update_profile(sessions.caller, UpdateProfileCommand(username="alice_2"))
    assert not await refresh_tokens.is_family_revoked(sessions.other_family)


async def test_changing_the_password_with_the_right_current_one_commits_the_new_hash(
    update_profile: UpdateProfile, caller: AuthenticatedUser, users: FakeUserRepository
) -> None:
    await update_profile(caller, change_password())
    assert committed(users, caller.user.id).hashed_password == f"hashed:{NEW_PASSWORD}"


# --- refused updates ----------------------------------------------------------------


WRONG = "not my password"
REFUSED: dict[str, tuple[str | None, UpdateProfileCommand, type[Exception]]] = {
    # (how bob holds his name, the update, the refusal)
    "username-taken-as-bob": ("seeded", UpdateProfileCommand(username="bob"), UsernameTaken),
    "username-taken-as-BOB": ("seeded", UpdateProfileCommand(username="BOB"), UsernameTaken),
    "username-taken-as-Bob": ("seeded", UpdateProfileCommand(username="Bob"), UsernameTaken),
    "username-taken-by-a-racing-rename": (
        "committed concurrently",
        UpdateProfileCommand(username="bob"),
        UsernameTaken,
    ),
    "invalid-username": (None, UpdateProfileCommand(username="al ice"), InvalidUsername),
    "wrong-current-password": (None, change_password(current=WRONG), CurrentPasswordIncorrect),
    "no-current-password": (None, change_password(current=None), CurrentPasswordIncorrect),
    "wrong-current-password-with-a-rename": (
        None,
        UpdateProfileCommand(username="alice_2", password=NEW_PASSWORD, current_password=WRONG),
        CurrentPasswordIncorrect,
    ),
    "too-short-new-password": (None, change_password(new="short"), WeakPassword),
}


@pytest.mark.parametrize(("bob", "command", "error"), REFUSED.values(), ids=REFUSED.keys())
async def test_a_refused_update_saves_commits_and_signs_out_nothing(
    update_profile: UpdateProfile,
    sessions: Sessions,
    users: FakeUserRepository,
    uow: FakeUnitOfWork,
    refresh_tokens: FakeRefreshTokenRepository,
    denylist: FakeDenylist,
    commits_before: int,
    bob: str | None,
    command: UpdateProfileCommand,
    error: type[Exception],
) -> None:
    bob_account = a_user(email="bob@example.com", username="bob")
    if bob == "seeded":
        users.seed(bob_account)
    elif bob == "committed concurrently":
        users.commit_concurrently(bob_account)
    with pytest.raises(error):
        await update_profile(sessions.caller, command)
    stored = users.staged_user(sessions.caller.user.id)
    assert stored is not None
    assert (stored.username, stored.hashed_password) == ("alice", f"hashed:{PASSWORD}")
    assert uow.commits == commits_before
    assert not await refresh_tokens.is_family_revoked(sessions.other_family)
    assert denylist.sessions == {}


# --- the other sessions of a password change ------------------------------------------


async def test_changing_the_password_commits_the_revocation_of_the_other_sessions(
    update_profile: UpdateProfile,
    sessions: Sessions,
    refresh_tokens: FakeRefreshTokenRepository,
    clock: FixedClock,
) -> None:
    await update_profile(sessions.caller, change_password())
    other = refresh_tokens.committed_family(sessions.other_family)
    assert [token.revoked_at for token in other] == [clock.now()]


async def test_changing_the_password_keeps_the_callers_own_session(
    update_profile: UpdateProfile,
    sessions: Sessions,
    refresh_tokens: FakeRefreshTokenRepository,
) -> None:
    await update_profile(sessions.caller, change_password())
    own = refresh_tokens.committed_family(sessions.caller.claims.session_id)
    assert [token.revoked_at for token in own] == [None]


async def test_changing_the_password_leaves_other_accounts_signed_in(
    update_profile: UpdateProfile,
    sessions: Sessions,
    users: FakeUserRepository,
    issuer: TokenPairIssuer,
    refresh_tokens: FakeRefreshTokenRepository,
) -> None:
    bob = users.seed(a_user(email="bob@example.com", username="bob"))
    bobs_family = uuid4()
    await issuer.issue(bob.id, family_id=bobs_family)
    await update_profile(sessions.caller, change_password())
    assert not await refresh_tokens.is_family_revoked(bobs_family)


@pytest.mark.parametrize(
    "command",
    [UpdateProfileCommand(), UpdateProfileCommand(current_password=PASSWORD)],
    ids=["no-field", "current-password-alone"],
)
async def test_an_update_with_no_field_to_change_is_nothing_to_update(
    update_profile: UpdateProfile, caller: AuthenticatedUser, command: UpdateProfileCommand
) -> None:
    with pytest.raises(NothingToUpdate):
        await update_profile(caller, command)


# --- stopping the other sessions' access tokens -------------------------------------


async def test_changing_the_password_denylists_the_other_sessions_for_an_access_lifetime(
    update_profile: UpdateProfile,
    sessions: Sessions,
    denylist: FakeDenylist,
    clock: FixedClock,
) -> None:
    await update_profile(sessions.caller, change_password())
    assert denylist.sessions == {
        sessions.other_family: clock.now() + timedelta(seconds=ACCESS_SECONDS)
    }


async def test_changing_the_password_does_not_denylist_the_callers_session(
    update_profile: UpdateProfile, sessions: Sessions, denylist: FakeDenylist
) -> None:
    await update_profile(sessions.caller, change_password())
    claims = sessions.caller.claims
    assert not await denylist.is_revoked(claims.token_id, claims.session_id)


async def test_changing_the_password_denylists_each_other_session_once(
    update_profile: UpdateProfile,
    sessions: Sessions,
    issuer: TokenPairIssuer,
    uow: FakeUnitOfWork,
    journal: list[str],
) -> None:
    # A refreshed session has several live rows in its family, and a third device.
    await issuer.issue(sessions.caller.user.id, family_id=sessions.other_family)
    third = uuid4()
    await issuer.issue(sessions.caller.user.id, family_id=third)
    await uow.commit()
    journal.clear()
    await update_profile(sessions.caller, change_password())
    assert journal == [
        "commit",
        f"revoke_sessions {','.join(map(str, sorted([sessions.other_family, third])))}",
    ]


async def test_the_other_sessions_are_denylisted_only_after_the_commit(
    update_profile: UpdateProfile, sessions: Sessions, journal: list[str]
) -> None:
    journal.clear()
    await update_profile(sessions.caller, change_password())
    assert journal == ["commit", f"revoke_sessions {sessions.other_family}"]


async def test_renaming_denylists_no_session(
    update_profile: UpdateProfile, caller: AuthenticatedUser, denylist: FakeDenylist
) -> None:
    await update_profile(caller, UpdateProfileCommand(username="alice_2"))
    assert (denylist.tokens, denylist.sessions) == ({}, {})


async def test_a_password_change_succeeds_while_the_denylist_is_unavailable(
    update_profile: UpdateProfile,
    sessions: Sessions,
    users: FakeUserRepository,
    refresh_tokens: FakeRefreshTokenRepository,
    denylist: FakeDenylist,
) -> None:
    # The revocation is committed already: the other access tokens lapse on expiry.
    denylist.unavailable = True
    await update_profile(sessions.caller, change_password())
    stored = committed(users, sessions.caller.user.id)
    assert stored.hashed_password == f"hashed:{NEW_PASSWORD}"
    assert all(
        t.revoked_at is not None for t in refresh_tokens.committed_family(sessions.other_family)
    )


# --- working on a fresh, locked copy -----------------------------------------------


async def test_the_update_locks_the_callers_row(
    update_profile: UpdateProfile, caller: AuthenticatedUser, users: FakeUserRepository
) -> None:
    await update_profile(caller, UpdateProfileCommand(username="alice_2"))
    assert users.locked == [caller.user.id]


async def test_a_rename_keeps_and_returns_a_disabling_committed_after_authentication(
    update_profile: UpdateProfile,
    caller: AuthenticatedUser,
    users: FakeUserRepository,
    alice: User,
) -> None:
    users.update_committed(replace(alice, is_active=False))
    user = await update_profile(caller, UpdateProfileCommand(username="alice_2"))
    stored = committed(users, alice.id)
    assert (stored.username, stored.is_active) == ("alice_2", False)
    assert not user.is_active  # the returned account is the fresh copy


async def test_a_password_change_keeps_a_rename_committed_after_authentication(
    update_profile: UpdateProfile,
    caller: AuthenticatedUser,
    users: FakeUserRepository,
    alice: User,
) -> None:
    users.update_committed(replace(alice, username="alice_elsewhere"))
    await update_profile(caller, change_password())
    stored = committed(users, alice.id)
    assert (stored.username, stored.hashed_password) == (
        "alice_elsewhere",
        f"hashed:{NEW_PASSWORD}",
    )


async def test_the_current_password_is_checked_against_a_change_committed_after_authentication(
    update_profile: UpdateProfile,
    caller: AuthenticatedUser,
    users: FakeUserRepository,
    alice: User,
) -> None:
    users.update_committed(replace(alice, hashed_password="hashed:changed on another device"))
    with pytest.raises(CurrentPasswordIncorrect):
        await update_profile(caller, change_password(current=PASSWORD))


async def test_an_account_deleted_after_authentication_is_not_authenticated(
    update_profile: UpdateProfile,
    alice: User,
    uow: FakeUnitOfWork,
) -> None:
    ghost = replace(alice, id=uuid4())
    claims = access_claims(user_id=ghost.id)
    with pytest.raises(NotAuthenticated):
        await update_profile(
            AuthenticatedUser(user=ghost, caller=session_caller(claims)),
            UpdateProfileCommand(username="ghost"),
        )
    assert uow.commits == 0
