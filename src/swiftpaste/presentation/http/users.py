"""Profile routes under /users: read and update the caller's own account."""

from dishka.integrations.fastapi import FromDishka
from fastapi import APIRouter
from pydantic import Field

from swiftpaste.application.auth.update_profile import UpdateProfile, UpdateProfileCommand
from swiftpaste.domain.users import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from swiftpaste.presentation.http.errors import error_responses
from swiftpaste.presentation.http.request_models import RequestModel
from swiftpaste.presentation.http.routing import RequestScopedRoute
from swiftpaste.presentation.http.security import AccountHolder, CurrentUser
from swiftpaste.presentation.http.users_schemas import UserRead

router = APIRouter(prefix="/users", tags=["users"], route_class=RequestScopedRoute)


class ProfileUpdate(RequestModel):
    username: str | None = Field(
        default=None, min_length=3, max_length=32, pattern=r"^[A-Za-z0-9_-]+$"
    )
    password: str | None = Field(
        default=None, min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH
    )
    current_password: str | None = Field(default=None, max_length=PASSWORD_MAX_LENGTH)


@router.get("/me", responses=error_responses(401, 503))
async def read_me(caller: CurrentUser) -> UserRead:
    """The account behind the access token (or personal access token)."""
    return UserRead.of(caller.user)


@router.patch("/me", responses=error_responses(401, 403, 409, 413, 422, 503))
async def update_me(
    body: ProfileUpdate, caller: AccountHolder, update_profile: FromDishka[UpdateProfile]
) -> UserRead:
    """Change the username, or the password (which needs `current_password`)."""
    user = await update_profile(
        caller,
        UpdateProfileCommand(
            username=body.username,
            password=body.password,
            current_password=body.current_password,
        ),
    )
    return UserRead.of(user)
