"""RegisterUser: opening an account."""

import pytest

from swiftpaste.application.auth.register_user import RegisterUser, RegisterUserCommand
from swiftpaste.application.errors import EmailAlreadyRegistered, UsernameTaken
from swiftpaste.domain.errors import InvalidUsername, WeakPassword
from tests.unit.fakes import (
    FakePasswordHasher,
    FakeUnitOfWork,
    FakeUserRepository,
    FixedClock,
    a_user,
)

PASSWORD = "correct horse battery staple"


@pytest.fixture
def register(
    users: FakeUserRepository, uow: FakeUnitOfWork, hasher: FakePasswordHasher, clock: FixedClock
) -> RegisterUser:
    return RegisterUser(users, uow, hasher, clock)


def command(
    email: str = "alice@example.com", username: str = "alice", password: str = PASSWORD
) -> RegisterUserCommand:
    return RegisterUserCommand(email=email, username=username, password=password)


async def test_registering_commits_the_new_account(
    register: RegisterUser, users: FakeUserRepository
) -> None:
    user = await register(command())
    assert users.committed_user(user.id) == user


async def test_registering_stores_only_a_hash_of_the_password(
    register: RegisterUser, users: FakeUserRepository
) -> None:
    user = await register(command())
    stored = users.committed_user(user.id)
    assert stored is not None
    assert stored.hashed_password == f"hashed:{PASSWORD}"


async def test_registering_stores_the_email_trimmed_and_lower_case(
    register: RegisterUser,
) -> None:
    user = await register(command(email="  Alice@Example.COM "))
    assert user.email == "alice@example.com"


async def test_registering_keeps_the_username_as_typed(register: RegisterUser) -> None:
    user = await register(command(username="Alice_B"))
    assert user.username == "Alice_B"


async def test_a_new_account_is_created_at_the_clock_time(
    register: RegisterUser, clock: FixedClock
) -> None:
    user = await register(command())
    assert user.created_at == clock.now()


async def test_a_new_account_is_active_and_unverified(register: RegisterUser) -> None:
    user = await register(command())
    assert (user.is_active, user.is_verified, user.is_superuser) == (True, False, False)


@pytest.mark.parametrize("email", ["alice@example.com", "ALICE@EXAMPLE.COM", " Alice@example.com"])
async def test_registering_an_email_already_registered_in_any_case_is_refused(
    register: RegisterUser, users: FakeUserRepository, email: str
) -> None:
    users.seed(a_user(email="alice@example.com", username="alice"))
    with pytest.raises(EmailAlreadyRegistered):
        await register(command(email=email, username="someone_else"))


async def test_a_refused_duplicate_email_commits_nothing(
    register: RegisterUser, users: FakeUserRepository, uow: FakeUnitOfWork
) -> None:
    users.seed(a_user(email="alice@example.com", username="alice"))
    with pytest.raises(EmailAlreadyRegistered):
        await register(command(email="ALICE@example.com", username="someone_else"))
    assert not uow.committed
    assert len(users.committed_users()) == 1


@pytest.mark.parametrize("username", ["alice", "ALICE", "aLiCe"])
async def test_registering_a_username_already_taken_in_any_case_is_refused(
    register: RegisterUser, users: FakeUserRepository, username: str
) -> None:
    users.seed(a_user(email="alice@example.com", username="alice"))
    with pytest.raises(UsernameTaken):
        await register(command(email="other@example.com", username=username))


async def test_a_refused_taken_username_commits_nothing(
    register: RegisterUser, users: FakeUserRepository, uow: FakeUnitOfWork
) -> None:
    users.seed(a_user(email="alice@example.com", username="alice"))
    with pytest.raises(UsernameTaken):
        await register(command(email="other@example.com", username="Alice"))
    assert not uow.committed


async def test_a_registration_racing_another_for_the_same_email_is_refused_without_commit(
    register: RegisterUser, users: FakeUserRepository, uow: FakeUnitOfWork
) -> None:
    users.commit_concurrently(a_user(email="alice@example.com", username="first"))
    with pytest.raises(EmailAlreadyRegistered):
        await register(command(email="alice@example.com", username="second"))
    assert not uow.committed


async def test_an_invalid_username_is_refused_before_anything_is_hashed_or_committed(
    register: RegisterUser, hasher: FakePasswordHasher, uow: FakeUnitOfWork
) -> None:
    with pytest.raises(InvalidUsername):
        await register(command(username="no spaces allowed"))
    assert (hasher.hash_calls, uow.commits) == (0, 0)


async def test_a_too_short_password_is_refused_without_commit(
    register: RegisterUser, uow: FakeUnitOfWork
) -> None:
    with pytest.raises(WeakPassword):
        await register(command(password="1234567"))
    assert not uow.committed


async def test_a_too_long_password_is_refused_before_it_is_hashed(
    register: RegisterUser, hasher: FakePasswordHasher
) -> None:
    with pytest.raises(WeakPassword):
        await register(command(password="x" * 1025))
    assert hasher.hash_calls == 0
