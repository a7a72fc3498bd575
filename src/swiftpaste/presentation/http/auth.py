"""Account routes under /auth: register, log in, refresh, log out."""

from typing import Annotated

from dishka.integrations.fastapi import FromDishka
from fastapi import APIRouter, Depends, Form, Response, status
from pydantic import AfterValidator, BaseModel, Field

from swiftpaste.application.auth.log_in import LogIn, LogInCommand
from swiftpaste.application.auth.log_out import LogOut
from swiftpaste.application.auth.refresh_session import RefreshSession, RefreshSessionCommand
from swiftpaste.application.auth.register_user import RegisterUser, RegisterUserCommand
from swiftpaste.application.auth.tokens import TokenPair
from swiftpaste.domain.users import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from swiftpaste.presentation.http.emails import EmailAddress, login_identifier
from swiftpaste.presentation.http.errors import error_responses
from swiftpaste.presentation.http.rate_limit import rate_limit
from swiftpaste.presentation.http.request_models import RequestModel
from swiftpaste.presentation.http.routing import RequestScopedRoute
from swiftpaste.presentation.http.security import AccountHolder
from swiftpaste.presentation.http.users_schemas import UserRead

router = APIRouter(prefix="/auth", tags=["auth"], route_class=RequestScopedRoute)

# Credential endpoints spend the write budget: it also slows password guessing.
_guarded = [Depends(rate_limit("write"))]

# Tokens must not be kept by browsers or proxies.
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class RegisterRequest(RequestModel):
    email: EmailAddress
    username: str = Field(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    password: str = Field(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH)


class RefreshRequest(RequestModel):
    refresh_token: str = Field(min_length=1, max_length=512)


class LoginForm(RequestModel):
    """The OAuth2 password form, as Swagger UI's *Authorize* button sends it."""

    username: Annotated[str, AfterValidator(login_identifier)] = Field(
        description="The account's email or username."
    )
    password: str
    grant_type: str | None = Field(default=None, pattern="^password$")


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    refresh_token: str
    expires_in: int

    @classmethod
    def of(cls, pair: TokenPair) -> "TokenResponse":
        return cls(
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            expires_in=pair.expires_in,
        )


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    dependencies=_guarded,
    responses=error_responses(409, 413, 422, 429, 503),
)
async def register(body: RegisterRequest, register_user: FromDishka[RegisterUser]) -> UserRead:
    """Open an account. Email and username must be unused (case-insensitively)."""
    user = await register_user(
        RegisterUserCommand(email=body.email, username=body.username, password=body.password),
    )
    return UserRead.of(user)


@router.post(
    "/jwt/login", dependencies=_guarded, responses=error_responses(401, 403, 413, 422, 429, 503)
)
async def login(
    form: Annotated[LoginForm, Form()],
    log_in: FromDishka[LogIn],
    response: Response,
) -> TokenResponse:
    """Log in with the OAuth2 password form; `username` may be the email or the username."""
    pair = await log_in(LogInCommand(identifier=form.username, password=form.password))
    response.headers.update(_NO_STORE)
    return TokenResponse.of(pair)


@router.post(
    "/jwt/refresh", dependencies=_guarded, responses=error_responses(401, 413, 422, 429, 503)
)
async def refresh(
    body: RefreshRequest, refresh_session: FromDishka[RefreshSession], response: Response
) -> TokenResponse:
    """Trade a refresh token for a new pair. Each refresh token works once."""
    pair = await refresh_session(RefreshSessionCommand(refresh_token=body.refresh_token))
    response.headers.update(_NO_STORE)
    return TokenResponse.of(pair)


@router.post(
    "/jwt/logout", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(401, 503)
)
async def logout(caller: AccountHolder, log_out: FromDishka[LogOut]) -> None:
    """End this login: the access token stops working at once, its refresh tokens too."""
    await log_out(caller.claims)
