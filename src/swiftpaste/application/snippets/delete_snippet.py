"""DeleteSnippet: soft-delete a snippet; it disappears from every read at once."""

from dataclasses import dataclass
from uuid import UUID

from swiftpaste.application.auth.credentials import secret_digest
from swiftpaste.application.ports.persistence import UnitOfWork
from swiftpaste.application.ports.snippets import SnippetCache, SnippetRepository
from swiftpaste.application.ports.system import Clock
from swiftpaste.application.snippets.etags import IfMatch, current_etags
from swiftpaste.domain.errors import SnippetNotFound


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteSnippetCommand:
    snippet_id: UUID
    deleter_id: UUID | None = None
    """The signed-in caller; the owner may delete."""
    delete_token: str | None = None
    """An anonymous snippet's delete token, which deletes it without credentials."""
    if_match: IfMatch | None = None


class DeleteSnippet:
    """Delete as the owner, or with an anonymous snippet's delete token, unless the snippet
    changed since the caller's `if_match`."""

    def __init__(
        self,
        snippets: SnippetRepository,
        uow: UnitOfWork,
        cache: SnippetCache,
        clock: Clock,
    ) -> None:
        self._snippets = snippets
        self._uow = uow
        self._cache = cache
        self._clock = clock

    async def __call__(self, command: DeleteSnippetCommand) -> None:
        snippet = await self._snippets.get_for_update(command.snippet_id)
        if snippet is None:
            raise SnippetNotFound("snippet not found")
        seen = current_etags(snippet) if command.if_match is not None else frozenset()
        token_digest = secret_digest(command.delete_token) if command.delete_token else None
        snippet.delete(
            deleter_id=command.deleter_id, delete_token_digest=token_digest, now=self._clock.now()
        )
        if command.if_match is not None:  # checked after who may delete: a 403 comes first
            command.if_match.check(seen)
        await self._snippets.save(snippet)
        await self._uow.commit()
        await self._cache.invalidate(snippet.short_id, snippet.latest_version)
