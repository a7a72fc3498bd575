"""ReviseSnippet: change a snippet's title, or make a new version of it."""

from dataclasses import dataclass
from uuid import UUID

from swiftpaste.application.ports.persistence import UnitOfWork
from swiftpaste.application.ports.snippets import SnippetCache, SnippetRepository
from swiftpaste.application.ports.system import Clock
from swiftpaste.application.snippets.create_snippet import SnippetLimits, check_content_size
from swiftpaste.application.snippets.etags import IfMatch, current_etags
from swiftpaste.domain.errors import SnippetNotFound
from swiftpaste.domain.snippets import Snippet, Visibility


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviseSnippetCommand:
    snippet_id: UUID
    editor_id: UUID
    title: str | None = None
    content: str | None = None
    visibility: Visibility | None = None
    language: str | None = None
    if_match: IfMatch | None = None


class ReviseSnippet:
    """Apply an owner's edit, unless the snippet changed since the caller's `if_match`; the
    cache forgets the snippet once the edit is committed."""

    def __init__(
        self,
        snippets: SnippetRepository,
        uow: UnitOfWork,
        cache: SnippetCache,
        clock: Clock,
        limits: SnippetLimits,
    ) -> None:
        self._snippets = snippets
        self._uow = uow
        self._cache = cache
        self._clock = clock
        self._limits = limits

    async def __call__(self, command: ReviseSnippetCommand) -> Snippet:
        if command.content is not None:
            check_content_size(command.content, self._limits)
        snippet = await self._snippets.get_for_update(command.snippet_id)
        if snippet is None:
            raise SnippetNotFound("snippet not found")
        # The locked row as it was: of two editors who read the same state, the second waits
        # for the first one's commit, then finds the snippet changed.
        seen = current_etags(snippet) if command.if_match is not None else frozenset()
        snippet.revise(
            editor_id=command.editor_id,
            now=self._clock.now(),
            title=command.title,
            content=command.content,
            visibility=command.visibility,
            language=command.language,
        )
        if command.if_match is not None:  # checked after the owner's rules: a 403 comes first
            command.if_match.check(seen)
        await self._snippets.save(snippet)
        await self._uow.commit()
        await self._cache.invalidate(snippet.short_id, snippet.latest_version)
        return snippet
