"""UpdateProfile: renaming the account and changing its password."""

from dataclasses import dataclass, replace
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from swiftpaste.application.auth.authenticate import AuthenticatedUser
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
    caller = AuthenticatedUser(user=loaded, claims=codec.decode(this_device.access_token))
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


async def test_renaming_commits_the_new_username(
    update_profile: UpdateProfile, caller: AuthenticatedUser, users: FakeUserRepository
) -> None:
    await update_profile(caller, UpdateProfileCommand(username="alice_2"))
    stored = users.committed_user(caller.user.id)
    assert stored is not None
    assert stored.username == "alice_2"


async def test_renaming_returns_the_renamed_account(
    update_profile: UpdateProfile, caller: AuthenticatedUser
) -> None:
    user = await update_profile(caller, UpdateProfileCommand(username="alice_2"))
    assert (user.id, user.username) == (caller.user.id, "alice_2")


async def test_changing_only_the_case_of_ones_own_username_is_allowed(
    update_profile: UpdateProfile, caller: AuthenticatedUser, users: FakeUserRepository
) -> None:
    await update_profile(caller, UpdateProfileCommand(username="ALICE"))
    stored = users.committed_user(caller.user.id)
    assert stored is not None
    assert stored.username == "ALICE"


@pytest.mark.parametrize("taken", ["bob", "BOB", "Bob"])
async def test_renaming_to_a_username_taken_in_any_case_is_refused(
    update_profile: UpdateProfile,
    caller: AuthenticatedUser,
    users: FakeUserRepository,
    taken: str,
) -> None:
    users.seed(a_user(email="bob@example.com", username="bob"))
    with pytest.raises(UsernameTaken):
        await update_profile(caller, UpdateProfileCommand(username=taken))


async def test_a_refused_rename_saves_and_commits_nothing(
    update_profile: UpdateProfile,
    caller: AuthenticatedUser,
    users: FakeUserRepository,
    uow: FakeUnitOfWork,
    commits_before: int,
) -> None:
    users.seed(a_user(email="bob@example.com", username="bob"))
    with pytest.raises(UsernameTaken):
        await update_profile(caller, UpdateProfileCommand(username="Bob"))
    stored = users.staged_user(caller.user.id)
    assert stored is not None
    assert stored.username == "alice"
    assert uow.commits == commits_before


async def test_a_rename_racing_another_to_the_same_name_is_refused_without_commit(
    update_profile: UpdateProfile,
    caller: AuthenticatedUser,
    users: FakeUserRepository,
    uow: FakeUnitOfWork,
    commits_before: int,
) -> None:
    users.commit_concurrently(a_user(email="bob@example.com", username="bob"))
    with pytest.raises(UsernameTaken):
        await update_profile(caller, UpdateProfileCommand(username="bob"))
    assert uow.commits == commits_before


async def test_renaming_to_an_invalid_username_is_refused_without_commit(
    update_profile: UpdateProfile,
    caller: AuthenticatedUser,
    uow: FakeUnitOfWork,
    commits_before: int,
) -> None:
    with pytest.raises(InvalidUsername):
        await update_profile(caller, UpdateProfileCommand(username="al ice"))
    assert uow.commits == commits_before


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
    stored = users.committed_user(caller.user.id)
    assert stored is not None
    assert stored.hashed_password == f"hashed:{NEW_PASSWORD}"


async def test_changing_the_password_with_a_wrong_current_one_is_refused(
    update_profile: UpdateProfile, caller: AuthenticatedUser
) -> None:
    with pytest.raises(CurrentPasswordIncorrect):
        await update_profile(caller, change_password(current="not my password"))


async def test_changing_the_password_without_the_current_one_is_refused(
    update_profile: UpdateProfile, caller: AuthenticatedUser
) -> None:
    with pytest.raises(CurrentPasswordIncorrect):
        await update_profile(caller, change_password(current=None))


async def test_a_refused_password_change_saves_and_commits_nothing(
    update_profile: UpdateProfile,
    caller: AuthenticatedUser,
    users: FakeUserRepository,
    uow: FakeUnitOfWork,
    commits_before: int,
) -> None:
    with pytest.raises(CurrentPasswordIncorrect):
        await update_profile(caller, change_password(current="not my password"))
    stored = users.staged_user(caller.user.id)
    assert stored is not None
    assert stored.hashed_password == f"hashed:{PASSWORD}"
    assert uow.commits == commits_before


async def test_a_refused_password_change_also_drops_a_rename_sent_with_it(
    update_profile: UpdateProfile, caller: AuthenticatedUser, users: FakeUserRepository
) -> None:
    command = UpdateProfileCommand(
        username="alice_2", password=NEW_PASSWORD, current_password="not my password"
    )
    with pytest.raises(CurrentPasswordIncorrect):
        await update_profile(caller, command)
    stored = users.staged_user(caller.user.id)
    assert stored is not None
    assert stored.username == "alice"


async def test_a_refused_password_change_signs_out_no_session(
    update_profile: UpdateProfile,
    sessions: Sessions,
    refresh_tokens: FakeRefreshTokenRepository,
) -> None:
    with pytest.raises(CurrentPasswordIncorrect):
        await update_profile(sessions.caller, change_password(current="not my password"))
    assert not await refresh_tokens.is_family_revoked(sessions.other_family)


async def test_a_too_short_new_password_is_refused_without_commit(
    update_profile: UpdateProfile,
    caller: AuthenticatedUser,
    uow: FakeUnitOfWork,
    commits_before: int,
) -> None:
    with pytest.raises(WeakPassword):
        await update_profile(caller, change_password(new="short"))
    assert uow.commits == commits_before


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


async def test_an_update_with_no_field_to_change_is_refused(
    update_profile: UpdateProfile, caller: AuthenticatedUser
) -> None:
    with pytest.raises(NothingToUpdate):
        await update_profile(caller, UpdateProfileCommand())


async def test_a_current_password_alone_is_nothing_to_update(
    update_profile: UpdateProfile, caller: AuthenticatedUser
) -> None:
    with pytest.raises(NothingToUpdate):
        await update_profile(caller, UpdateProfileCommand(current_password=PASSWORD))


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


async def test_a_refused_password_change_denylists_no_session(
    update_profile: UpdateProfile, caller: AuthenticatedUser, denylist: FakeDenylist
) -> None:
    with pytest.raises(CurrentPasswordIncorrect):
        await update_profile(caller, change_password(current="not my password"))
    assert denylist.sessions == {}


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
    stored = users.committed_user(sessions.caller.user.id)
    assert stored is not None
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


async def test_a_rename_keeps_a_disabling_committed_after_authentication(
    update_profile: UpdateProfile,
    caller: AuthenticatedUser,
    users: FakeUserRepository,
    alice: User,
) -> None:
    users.update_committed(replace(alice, is_active=False))
    await update_profile(caller, UpdateProfileCommand(username="alice_2"))
    stored = users.committed_user(alice.id)
    assert stored is not None
    assert (stored.username, stored.is_active) == ("alice_2", False)


async def test_a_password_change_keeps_a_rename_committed_after_authentication(
    update_profile: UpdateProfile,
    caller: AuthenticatedUser,
    users: FakeUserRepository,
    alice: User,
) -> None:
    users.update_committed(replace(alice, username="alice_elsewhere"))
    await update_profile(caller, change_password())
    stored = users.committed_user(alice.id)
    assert stored is not None
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


async def test_the_returned_account_is_the_fresh_copy(
    update_profile: UpdateProfile,
    caller: AuthenticatedUser,
    users: FakeUserRepository,
    alice: User,
) -> None:
    users.update_committed(replace(alice, is_active=False))
    user = await update_profile(caller, UpdateProfileCommand(username="alice_2"))
    assert not user.is_active


async def test_an_account_deleted_after_authentication_is_not_authenticated(
    update_profile: UpdateProfile,
    alice: User,
    uow: FakeUnitOfWork,
) -> None:
    ghost = replace(alice, id=uuid4())
    claims = access_claims(user_id=ghost.id)
    with pytest.raises(NotAuthenticated):
        await update_profile(
            AuthenticatedUser(user=ghost, claims=claims), UpdateProfileCommand(username="ghost")
        )
    assert uow.commits == 0
