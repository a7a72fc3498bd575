"""Personal access token routes under /users/me/tokens: issue, list, revoke.

They need a login session: a personal access token cannot manage tokens (403).
"""

from datetime import datetime
from uuid import UUID

from dishka.integrations.fastapi import FromDishka
from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel, ConfigDict, Field

from swiftpaste.application.auth.issue_access_token import (
    IssueAccessToken,
    IssueAccessTokenCommand,
)
from swiftpaste.application.auth.list_access_tokens import ListAccessTokens
from swiftpaste.application.auth.revoke_access_token import RevokeAccessToken
from swiftpaste.domain.access_tokens import (
    TOKEN_MAX_LIFETIME_DAYS,
    TOKEN_NAME_MAX_LENGTH,
    TOKEN_SCOPES,
    PersonalAccessToken,
)
from swiftpaste.presentation.http.errors import error_responses
from swiftpaste.presentation.http.rate_limit import rate_limit
from swiftpaste.presentation.http.request_models import RequestModel
from swiftpaste.presentation.http.routing import RequestScopedRoute
from swiftpaste.presentation.http.security import AccountHolder

router = APIRouter(prefix="/users/me/tokens", tags=["users"], route_class=RequestScopedRoute)

# The answer that carries the secret must not be kept by browsers or proxies.
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class AccessTokenRequest(RequestModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1, max_length=TOKEN_NAME_MAX_LENGTH, description="What the token is for."
    )
    scopes: list[str] = Field(
        min_length=1,
        max_length=len(TOKEN_SCOPES),
        description=f"Any of {sorted(scope.value for scope in TOKEN_SCOPES)}.",
    )
    expires_in_days: int | None = Field(
        default=None,
        ge=1,
        le=TOKEN_MAX_LIFETIME_DAYS,
        description="Lifetime in days; without it the token works until it is revoked.",
    )


class AccessTokenOut(BaseModel):
    id: UUID
    name: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, token: PersonalAccessToken) -> "AccessTokenOut":
        return cls(
            id=token.id,
            name=token.name,
            scopes=sorted(scope.value for scope in token.scopes),
            created_at=token.created_at,
            expires_at=token.expires_at,
            last_used_at=token.last_used_at,
        )


class IssuedAccessTokenOut(AccessTokenOut):
    token: str = Field(description="The bearer token. Shown this once: it is stored as a digest.")


class AccessTokenList(BaseModel):
    items: list[AccessTokenOut]


_writes = [Depends(rate_limit("write"))]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    dependencies=_writes,
    responses=error_responses(401, 403, 413, 422, 429, 503),
)
async def issue_access_token(
    body: AccessTokenRequest,
    caller: AccountHolder,
    issue: FromDishka[IssueAccessToken],
    response: Response,
) -> IssuedAccessTokenOut:
    """A new personal access token for programs: `Authorization: Bearer <token>`."""
    issued = await issue(
        IssueAccessTokenCommand(
            user_id=caller.user.id,
            name=body.name,
            scopes=body.scopes,
            expires_in_days=body.expires_in_days,
        )
    )
    response.headers.update(_NO_STORE)
    listed = AccessTokenOut.of(issued.token)
    return IssuedAccessTokenOut(**listed.model_dump(), token=issued.secret)


@router.get("", responses=error_responses(401, 403, 503))
async def list_access_tokens(
    caller: AccountHolder, list_tokens: FromDishka[ListAccessTokens]
) -> AccessTokenList:
    """The caller's personal access tokens, newest first, without their secrets."""
    return AccessTokenList(items=[AccessTokenOut.of(t) for t in await list_tokens(caller.user.id)])


@router.delete(
    "/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=_writes,
    responses=error_responses(401, 403, 404, 422, 429, 503),
)
async def revoke_access_token(
    token_id: UUID, caller: AccountHolder, revoke: FromDishka[RevokeAccessToken]
) -> None:
    """Revoke a token: it stops working with the next request."""
    await revoke(caller.user.id, token_id)
