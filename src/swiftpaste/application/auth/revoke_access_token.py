"""RevokeAccessToken: a personal access token stops working with the next request."""

from uuid import UUID

from swiftpaste.application.errors import AccessTokenNotFound
from swiftpaste.application.ports.persistence import PersonalAccessTokenRepository, UnitOfWork


class RevokeAccessToken:
    """Delete the token. Every request looks its token up, so none is served after the commit."""

    def __init__(self, tokens: PersonalAccessTokenRepository, uow: UnitOfWork) -> None:
        self._tokens = tokens
        self._uow = uow

    async def __call__(self, user_id: UUID, token_id: UUID) -> None:
        if not await self._tokens.remove(user_id, token_id):
            raise AccessTokenNotFound("no personal access token of yours has this id")
        await self._uow.commit()
