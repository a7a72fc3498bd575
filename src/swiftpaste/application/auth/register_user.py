"""RegisterUser: open a new account."""

from dataclasses import dataclass
from uuid import uuid4

from swiftpaste.application.errors import EmailAlreadyRegistered, UsernameTaken
from swiftpaste.application.ports.persistence import UnitOfWork, UserRepository
from swiftpaste.application.ports.security import PasswordHasher
from swiftpaste.application.ports.system import Clock
from swiftpaste.domain.users import User, normalize_email, validate_password, validate_username


@dataclass(frozen=True, slots=True)
class RegisterUserCommand:
    email: str
    username: str
    password: str


class RegisterUser:
    """Create an account with a unique email and username; the password is stored hashed."""

    def __init__(
        self,
        users: UserRepository,
        uow: UnitOfWork,
        hasher: PasswordHasher,
        clock: Clock,
    ) -> None:
        self._users = users
        self._uow = uow
        self._hasher = hasher
        self._clock = clock

    async def __call__(self, command: RegisterUserCommand) -> User:
        username = validate_username(command.username)
        password = validate_password(command.password)
        email = normalize_email(command.email)
        if await self._users.get_by_email(email) is not None:
            raise EmailAlreadyRegistered
        if await self._users.get_by_username(username) is not None:
            raise UsernameTaken
        user = User(
            id=uuid4(),
            email=email,
            username=username,
            hashed_password=self._hasher.hash(password),
            created_at=self._clock.now(),
        )
        # The unique constraints stay the truth: a concurrent registration that slipped
        # past the checks above surfaces from add() as the same errors.
        await self._users.add(user)
        await self._uow.commit()
        return user
