"""RegisterUser: opening an account."""

from dataclasses import dataclass

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


# --- refused registrations ---------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    command: RegisterUserCommand
    error: type[Exception]
    alice: str | None = None  # how alice@example.com / "alice" is already registered
    before_hashing: bool = False  # refused before the password is hashed


def email_taken(email: str) -> Refusal:
    return Refusal(command(email=email, username="someone_else"), EmailAlreadyRegistered, "seeded")


def username_taken(username: str) -> Refusal:
    return Refusal(command(email="other@example.com", username=username), UsernameTaken, "seeded")


REFUSALS = {
    "email-taken": email_taken("alice@example.com"),
    "email-taken-in-upper-case": email_taken("ALICE@EXAMPLE.COM"),
    "email-taken-padded": email_taken(" Alice@example.com"),
    "email-taken-in-mixed-case": email_taken("ALICE@example.com"),
    "username-taken": username_taken("alice"),
    "username-taken-in-upper-case": username_taken("ALICE"),
    "username-taken-in-mixed-case": username_taken("aLiCe"),
    "username-taken-capitalised": username_taken("Alice"),
    "email-taken-by-a-racing-registration": Refusal(
        command(email="alice@example.com", username="second"),
        EmailAlreadyRegistered,
        "committed concurrently",
    ),
    "invalid-username": Refusal(
        command(username="no spaces allowed"), InvalidUsername, before_hashing=True
    ),
    "too-short-password": Refusal(command(password="1234567"), WeakPassword),
    "too-long-password": Refusal(command(password="x" * 1025), WeakPassword, before_hashing=True),
}


@pytest.mark.parametrize("refusal", REFUSALS.values(), ids=REFUSALS.keys())
async def test_a_refused_registration_commits_nothing(
    register: RegisterUser,
    users: FakeUserRepository,
    uow: FakeUnitOfWork,
    hasher: FakePasswordHasher,
    refusal: Refusal,
) -> None:
    if refusal.alice == "seeded":
        users.seed(a_user(email="alice@example.com", username="alice"))
    elif refusal.alice == "committed concurrently":
        users.commit_concurrently(a_user(email="alice@example.com", username="first"))
    committed_before = users.committed_users()
    with pytest.raises(refusal.error):
        await register(refusal.command)
    assert (uow.committed, uow.commits) == (False, 0)
    assert users.committed_users() == committed_before
    if refusal.before_hashing:
        assert hasher.hash_calls == 0
