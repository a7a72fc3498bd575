"""IssueAccessToken: give a program a personal access token, shown this once."""

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID, uuid4

from swiftpaste.application.auth.credentials import new_personal_access_token, secret_digest
from swiftpaste.application.ports.persistence import PersonalAccessTokenRepository, UnitOfWork
from swiftpaste.application.ports.system import Clock
from swiftpaste.domain.access_tokens import PersonalAccessToken


@dataclass(frozen=True, slots=True, kw_only=True)
class IssueAccessTokenCommand:
    user_id: UUID
    name: str
    scopes: Sequence[str]
    expires_in_days: int | None = None


@dataclass(frozen=True, slots=True)
class IssuedAccessToken:
    token: PersonalAccessToken
    secret: str
    """The bearer token itself: only its digest is stored, so it cannot be shown again."""


class IssueAccessToken:
    def __init__(
        self, tokens: PersonalAccessTokenRepository, uow: UnitOfWork, clock: Clock
    ) -> None:
        self._tokens = tokens
        self._uow = uow
        self._clock = clock

    async def __call__(self, command: IssueAccessTokenCommand) -> IssuedAccessToken:
        secret = new_personal_access_token()
        token = PersonalAccessToken.issue(
            token_id=uuid4(),
            user_id=command.user_id,
            name=command.name,
            scopes=command.scopes,
            token_digest=secret_digest(secret),
            lifetime_days=command.expires_in_days,
            now=self._clock.now(),
        )
        await self._tokens.add(token)
        await self._uow.commit()
        return IssuedAccessToken(token, secret)
