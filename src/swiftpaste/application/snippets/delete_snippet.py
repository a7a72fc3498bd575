"""DeleteSnippet: soft-delete a snippet; it disappears from every read at once."""

from uuid import UUID

from swiftpaste.application.ports.persistence import UnitOfWork
from swiftpaste.application.ports.snippets import SnippetCache, SnippetRepository
from swiftpaste.application.ports.system import Clock
from swiftpaste.domain.errors import SnippetNotFound


class DeleteSnippet:
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

    async def __call__(self, snippet_id: UUID, deleter_id: UUID) -> None:
        snippet = await self._snippets.get_for_update(snippet_id)
        if snippet is None:
            raise SnippetNotFound("snippet not found")
        snippet.delete(deleter_id=deleter_id, now=self._clock.now())
        await self._snippets.save(snippet)
        await self._uow.commit()
        await self._cache.invalidate(snippet.short_id, snippet.latest_version)
