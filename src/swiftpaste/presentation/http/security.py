"""Bearer-token authentication for routes: the current user, resolved through the use case."""

from typing import Annotated
from uuid import UUID

from dishka import AsyncContainer
from dishka.integrations.fastapi import FromDishka, inject
from fastapi import Depends, Request
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


async def optional_reader(
    request: Request, token: Annotated[str | None, Depends(bearer_token)]
) -> UUID | None:
    """The reader's user id when a token is sent; None for anonymous readers.

    Reads skip loading the account, and anonymous reads resolve nothing at all, so a
    cached read costs no query. A token that is sent but invalid is still refused.
    """
    if not token:
        return None
    container: AsyncContainer = request.state.dishka_container
    authenticate = await container.get(Authenticate)
    return (await authenticate.identify(token)).user_id


ReaderId = Annotated[UUID | None, Depends(optional_reader)]
