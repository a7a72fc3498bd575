"""Response and request bodies shared by the account routes."""

from uuid import UUID

from pydantic import BaseModel, ConfigDict

from swiftpaste.domain.users import User


class UserRead(BaseModel):
    """A user as its owner sees it; the password hash is never part of it."""

    model_config = ConfigDict(frozen=True)

    id: UUID
    email: str
    username: str
    is_active: bool
    is_verified: bool
    is_superuser: bool

    @classmethod
    def of(cls, user: User) -> "UserRead":
        return cls(
            id=user.id,
            email=user.email,
            username=user.username,
            is_active=user.is_active,
            is_verified=user.is_verified,
            is_superuser=user.is_superuser,
        )
