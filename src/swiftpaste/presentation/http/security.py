"""Bearer-token authentication for routes: the current user, resolved through the use case."""

from typing import Annotated

from dishka.integrations.fastapi import FromDishka, inject
from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer

from swiftpaste.application.auth.authenticate import Authenticate, AuthenticatedUser
from swiftpaste.application.errors import NotAuthenticated

# tokenUrl makes Swagger UI's "Authorize" button log in through the password form.
bearer_token = OAuth2PasswordBearer(tokenUrl="/auth/jwt/login", auto_error=False)


@inject
async def current_user(
    token: Annotated[str | None, Depends(bearer_token)],
    authenticate: FromDishka[Authenticate],
) -> AuthenticatedUser:
    if not token:
        raise NotAuthenticated("authentication required: send 'Authorization: Bearer <token>'")
    return await authenticate(token)


CurrentUser = Annotated[AuthenticatedUser, Depends(current_user)]
