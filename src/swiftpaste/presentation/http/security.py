"""Bearer authentication for routes: the caller a request's credential speaks for, admitted
for the scope its route needs, through `Authenticate`.

A bearer is an access token of a login session or a personal access token; both are
identified once per request (`identified_caller`), the rate limit spends from the same.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated
from uuid import UUID

from dishka import AsyncContainer
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from starlette.requests import HTTPConnection

from swiftpaste.application.auth.authenticate import Authenticate, AuthenticatedUser
from swiftpaste.application.auth.credentials import Caller
from swiftpaste.application.errors import NotAuthenticated
from swiftpaste.domain.access_tokens import Scope
from swiftpaste.presentation.http.rate_limit import Identified, IdentifiedCaller, bearer_token


class BearerToken(OAuth2PasswordBearer):
    """The `Authorization: Bearer` token, read as every route reads it (`bearer_token`);
    as an OAuth2 password flow, Swagger UI's "Authorize" button logs in through the form."""

    async def __call__(self, request: HTTPConnection) -> str | None:
        return bearer_token(request.headers.get("authorization"))


access_token = BearerToken(
    tokenUrl="/auth/jwt/login", scheme_name="OAuth2PasswordBearer", auto_error=False
)
AccessToken = Annotated[str | None, Depends(access_token)]


def _caller(identified: Identified) -> Caller | None:
    """The caller of a request that sent a usable credential, None for one that sent none."""
    if identified.refusal is not None:
        raise identified.refusal
    return identified.caller


async def _authenticate(request: Request) -> Authenticate:
    container: AsyncContainer = request.state.dishka_container
    return await container.get(Authenticate)


def _signed_in(needs: Scope | None) -> Callable[..., Awaitable[AuthenticatedUser]]:
    async def current_user(
        request: Request, _: AccessToken, identified: IdentifiedCaller
    ) -> AuthenticatedUser:
        caller = _caller(identified)
        if caller is None:
            raise NotAuthenticated("authentication required: send 'Authorization: Bearer <token>'")
        return await (await _authenticate(request))(caller, needs)

    return current_user


def _maybe_signed_in(needs: Scope) -> Callable[..., Awaitable[AuthenticatedUser | None]]:
    async def optional_user(
        request: Request, _: AccessToken, identified: IdentifiedCaller
    ) -> AuthenticatedUser | None:
        caller = _caller(identified)
        if caller is None:
            return None
        return await (await _authenticate(request))(caller, needs)

    return optional_user


CurrentUser = Annotated[AuthenticatedUser, Depends(_signed_in(None))]
"""Any credential: a login session or a personal access token of any scope."""
SnippetReader = Annotated[AuthenticatedUser, Depends(_signed_in(Scope.SNIPPETS_READ))]
SnippetWriter = Annotated[AuthenticatedUser, Depends(_signed_in(Scope.SNIPPETS_WRITE))]
AccountHolder = Annotated[AuthenticatedUser, Depends(_signed_in(Scope.ACCOUNT))]
"""A login session: managing tokens and the account is not for personal access tokens."""
OptionalWriter = Annotated[
    AuthenticatedUser | None, Depends(_maybe_signed_in(Scope.SNIPPETS_WRITE))
]
"""A writer, or None without credentials (anonymous pastes, delete tokens)."""


async def optional_reader(
    request: Request, _: AccessToken, identified: IdentifiedCaller
) -> UUID | None:
    """The reader's user id when a credential is sent; None for anonymous readers.

    A credential that is sent but invalid, logged out or without `snippets:read` is
    refused; the account is not loaded.
    """
    caller = _caller(identified)
    if caller is None:
        return None
    await (await _authenticate(request)).admit(caller, Scope.SNIPPETS_READ)
    return caller.user_id


ReaderId = Annotated[UUID | None, Depends(optional_reader)]
