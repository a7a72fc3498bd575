"""CreateSnippet: paste new content and get a short link."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from swiftpaste.application.errors import ContentTooLarge, DependencyUnavailable
from swiftpaste.application.ports.persistence import UnitOfWork
from swiftpaste.application.ports.snippets import (
    ShortIdGenerator,
    ShortIdTaken,
    SnippetRepository,
)
from swiftpaste.application.ports.system import Clock
from swiftpaste.domain.snippets import Snippet, Visibility

SHORT_ID_ATTEMPTS = 5


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


def check_content_size(content: str, limits: SnippetLimits) -> None:
    size = len(content.encode())
    if size > limits.max_content_bytes:
        raise ContentTooLarge(
            f"content is {size} bytes; the limit is {limits.max_content_bytes} bytes of UTF-8",
        )


class CreateSnippet:
    """Create a snippet with its first version under a fresh random short id."""

    def __init__(
        self,
        snippets: SnippetRepository,
        uow: UnitOfWork,
        short_ids: ShortIdGenerator,
        clock: Clock,
        limits: SnippetLimits,
    ) -> None:
        self._snippets = snippets
        self._uow = uow
        self._short_ids = short_ids
        self._clock = clock
        self._limits = limits

    async def __call__(self, command: CreateSnippetCommand) -> Snippet:
        check_content_size(command.content, self._limits)
        now = self._clock.now()
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
                expires_at=command.expires_at,
                now=now,
            )
            try:
                await self._snippets.add(snippet)
            except ShortIdTaken:
                continue
            await self._uow.commit()
            return snippet
        raise DependencyUnavailable("could not allocate a short id; try again")
