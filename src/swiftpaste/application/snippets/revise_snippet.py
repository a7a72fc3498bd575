"""ReviseSnippet: change a snippet's title, or make a new version of it."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from swiftpaste.application.ports.persistence import UnitOfWork
from swiftpaste.application.ports.security import PasswordHasher
from swiftpaste.application.ports.snippets import SnippetCache, SnippetRepository
from swiftpaste.application.ports.system import Clock
from swiftpaste.application.snippets.create_snippet import (
    SnippetLimits,
    check_content_size,
    expiry,
    password_hash,
)
from swiftpaste.application.snippets.etags import IfMatch, current_etags
from swiftpaste.domain.errors import SnippetNotFound
from swiftpaste.domain.snippets import KEEP, Kept, Snippet, Visibility


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviseSnippetCommand:
    """What the edit sets; a field left out (None, or KEEP where None means "none") is
    inherited from the latest version."""

    snippet_id: UUID
    editor_id: UUID
    title: str | None = None
    content: str | None = None
    visibility: Visibility | None = None
    language: str | None = None
    expires_at: Kept[datetime | None] = KEEP
    expires_in: str | None = None
    burn_after_reading: bool | None = None
    max_views: Kept[int | None] = KEEP
    password: Kept[str | None] = KEEP
    """None removes the password."""
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
        hasher: PasswordHasher,
    ) -> None:
        self._snippets = snippets
        self._uow = uow
        self._cache = cache
        self._clock = clock
        self._limits = limits
        self._hasher = hasher

    async def __call__(self, command: ReviseSnippetCommand) -> Snippet:
        if command.content is not None:
            check_content_size(command.content, self._limits)
        now = self._clock.now()
        expires_at: Kept[datetime | None] = command.expires_at
        if command.expires_in is not None:
            given = None if command.expires_at is KEEP else command.expires_at
            expires_at = expiry(given, command.expires_in, now)
        hashed: Kept[str | None] = command.password
        if isinstance(command.password, str):
            hashed = password_hash(command.password, self._hasher)
        snippet = await self._snippets.get_for_update(command.snippet_id)
        if snippet is None:
            raise SnippetNotFound("snippet not found")
        # The locked row as it was: of two editors who read the same state, the second waits
        # for the first one's commit, then finds the snippet changed.
        seen = current_etags(snippet) if command.if_match is not None else frozenset()
        snippet.revise(
            editor_id=command.editor_id,
            now=now,
            title=command.title,
            content=command.content,
            visibility=command.visibility,
            language=command.language,
            expires_at=expires_at,
            burn_after_reading=command.burn_after_reading,
            max_views=command.max_views,
            password_hash=hashed,
        )
        if command.if_match is not None:  # checked after the owner's rules: a 403 comes first
            command.if_match.check(seen)
        await self._snippets.save(snippet)
        await self._uow.commit()
        await self._cache.invalidate(snippet.short_id, snippet.latest_version)
        return snippet
