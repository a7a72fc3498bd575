"""CreateSnippet: paste new content and get a short link."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from swiftpaste.application.errors import ContentTooLarge, DependencyUnavailable
from swiftpaste.application.ports.persistence import UnitOfWork
from swiftpaste.application.ports.snippets import (
    LanguageDetector,
    ShortIdGenerator,
    ShortIdTaken,
    SnippetRepository,
)
from swiftpaste.application.ports.system import Clock
from swiftpaste.domain.snippets import (
    Snippet,
    Visibility,
    validate_filename,
    validate_language,
)

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
    """None: taken from `filename`, else guessed from the content when the guess is sure."""
    expires_at: datetime | None = None
    filename: str | None = None


def check_content_size(content: str, limits: SnippetLimits) -> None:
    size = len(content.encode())
    if size > limits.max_content_bytes:
        raise ContentTooLarge(
            f"content is {size} bytes; the limit is {limits.max_content_bytes} bytes of UTF-8",
        )


class CreateSnippet:
    """Create a snippet with its first version under a fresh random short id.

    A snippet created without a language gets the one its file name or content tells.
    """

    def __init__(
        self,
        snippets: SnippetRepository,
        uow: UnitOfWork,
        short_ids: ShortIdGenerator,
        clock: Clock,
        limits: SnippetLimits,
        languages: LanguageDetector,
    ) -> None:
        self._snippets = snippets
        self._uow = uow
        self._short_ids = short_ids
        self._clock = clock
        self._limits = limits
        self._languages = languages

    async def __call__(self, command: CreateSnippetCommand) -> Snippet:
        check_content_size(command.content, self._limits)
        filename = validate_filename(command.filename)
        language = validate_language(command.language) or self._languages.detect(
            command.content, filename
        )
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
                language=language,
                expires_at=command.expires_at,
                now=now,
                filename=filename,
            )
            try:
                await self._snippets.add(snippet)
            except ShortIdTaken:
                continue
            await self._uow.commit()
            return snippet
        raise DependencyUnavailable("could not allocate a short id; try again")
