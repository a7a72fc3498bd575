"""Bearer-token authentication for routes: the current user, resolved through the use case."""

from typing import Annotated
from uuid import UUID

from dishka import AsyncContainer
from dishka.integrations.fastapi import FromDishka, inject
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from starlette.requests import HTTPConnection

from swiftpaste.application.auth.authenticate import Authenticate, AuthenticatedUser
from swiftpaste.application.errors import NotAuthenticated
from swiftpaste.presentation.http.rate_limit import bearer_token


class BearerToken(OAuth2PasswordBearer):
    """The `Authorization: Bearer` token, read as every route reads it (`bearer_token`);
    as an OAuth2 password flow, Swagger UI's "Authorize" button logs in through the form."""

    async def __call__(self, request: HTTPConnection) -> str | None:
        return bearer_token(request.headers.get("authorization"))


access_token = BearerToken(
    tokenUrl="/auth/jwt/login", scheme_name="OAuth2PasswordBearer", auto_error=False
)
AccessToken = Annotated[str | None, Depends(access_token)]


@inject
async def current_user(
    token: AccessToken, authenticate: FromDishka[Authenticate]
) -> AuthenticatedUser:
    if not token:
        raise NotAuthenticated("authentication required: send 'Authorization: Bearer <token>'")
    return await authenticate(token)


CurrentUser = Annotated[AuthenticatedUser, Depends(current_user)]


async def optional_reader(request: Request, token: AccessToken) -> UUID | None:
    """The reader's user id when a token is sent; None for anonymous readers.

    A token that is sent but invalid or logged out is refused; the account is not loaded.
    """
    if not token:
        return None
    container: AsyncContainer = request.state.dishka_container
    authenticate = await container.get(Authenticate)
    return (await authenticate.identify(token)).user_id


ReaderId = Annotated[UUID | None, Depends(optional_reader)]
