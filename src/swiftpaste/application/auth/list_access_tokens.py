"""ListAccessTokens: a user's personal access tokens, without their secrets."""

from collections.abc import Sequence
from uuid import UUID

from swiftpaste.application.ports.persistence import PersonalAccessTokenRepository
from swiftpaste.domain.access_tokens import PersonalAccessToken


class ListAccessTokens:
    def __init__(self, tokens: PersonalAccessTokenRepository) -> None:
        self._tokens = tokens

    async def __call__(self, user_id: UUID) -> Sequence[PersonalAccessToken]:
        return await self._tokens.owned_by(user_id)
