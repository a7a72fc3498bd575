"""CreateSnippet: paste new content and get a short link."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from swiftpaste.application.errors import ContentTooLarge, DependencyUnavailable
from swiftpaste.application.ports.persistence import UnitOfWork
from swiftpaste.application.ports.security import PasswordHasher
from swiftpaste.application.ports.snippets import (
    ShortIdGenerator,
    ShortIdTaken,
    SnippetRepository,
)
from swiftpaste.application.ports.system import Clock
from swiftpaste.domain.errors import InvalidSnippet
from swiftpaste.domain.snippets import Snippet, Visibility, expires_at_for

SHORT_ID_ATTEMPTS = 5
SNIPPET_PASSWORD_MIN_LENGTH = 8
SNIPPET_PASSWORD_MAX_LENGTH = 128


@dataclass(frozen=True, slots=True)
class SnippetLimits:
    max_content_bytes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateSnippetCommand:
    owner_id: UUID
    title: str
    content: str
    visibility: Visibility = Visibility.PUBLIC
    language: str | None = None
    expires_at: datetime | None = None
    expires_in: str | None = None
    """A preset (`10m` ... `1y`, `never`), instead of `expires_at`."""
    burn_after_reading: bool = False
    max_views: int | None = None
    password: str | None = None


def check_content_size(content: str, limits: SnippetLimits) -> None:
    size = len(content.encode())
    if size > limits.max_content_bytes:
        raise ContentTooLarge(
            f"content is {size} bytes; the limit is {limits.max_content_bytes} bytes of UTF-8",
        )


def expiry(expires_at: datetime | None, expires_in: str | None, now: datetime) -> datetime | None:
    """The version's end of life from either form; both at once is refused."""
    if expires_in is None:
        return expires_at
    if expires_at is not None:
        raise InvalidSnippet("give expires_at or expires_in, not both")
    return expires_at_for(expires_in, now)


def password_hash(password: str, hasher: PasswordHasher) -> str:
    """The stored form of a snippet's password (argon2id); its length is checked first."""
    if not SNIPPET_PASSWORD_MIN_LENGTH <= len(password) <= SNIPPET_PASSWORD_MAX_LENGTH:
        raise InvalidSnippet(
            f"password must be {SNIPPET_PASSWORD_MIN_LENGTH} to"
            f" {SNIPPET_PASSWORD_MAX_LENGTH} characters"
        )
    return hasher.hash(password)


class CreateSnippet:
    """Create a snippet with its first version under a fresh random short id."""

    def __init__(
        self,
        snippets: SnippetRepository,
        uow: UnitOfWork,
        short_ids: ShortIdGenerator,
        clock: Clock,
        limits: SnippetLimits,
        hasher: PasswordHasher,
    ) -> None:
        self._snippets = snippets
        self._uow = uow
        self._short_ids = short_ids
        self._clock = clock
        self._limits = limits
        self._hasher = hasher

    async def __call__(self, command: CreateSnippetCommand) -> Snippet:
        check_content_size(command.content, self._limits)
        now = self._clock.now()
        expires_at = expiry(command.expires_at, command.expires_in, now)
        hashed = None if command.password is None else password_hash(command.password, self._hasher)
        snippet_id = uuid4()
        # The unique constraint decides; a collision is rare, so a few draws suffice.
        for _ in range(SHORT_ID_ATTEMPTS):
            snippet = Snippet.create(
                snippet_id=snippet_id,
                short_id=self._short_ids.new(),
                owner_id=command.owner_id,
                title=command.title,
                content=command.content,
                visibility=command.visibility,
                language=command.language,
                expires_at=expires_at,
                now=now,
                burn_after_reading=command.burn_after_reading,
                max_views=command.max_views,
                password_hash=hashed,
            )
            try:
                await self._snippets.add(snippet)
            except ShortIdTaken:
                continue
            await self._uow.commit()
            return snippet
        raise DependencyUnavailable("could not allocate a short id; try again")
