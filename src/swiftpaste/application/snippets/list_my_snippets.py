"""ListMySnippets: the caller's own snippets, newest first, a page at a time."""

from uuid import UUID

from swiftpaste.application.ports.snippets import SnippetQueries
from swiftpaste.application.snippets.read_models import Page, SnippetSummary


class ListMySnippets:
    def __init__(self, queries: SnippetQueries) -> None:
        self._queries = queries

    async def __call__(self, owner_id: UUID, page: int, size: int) -> Page[SnippetSummary]:
        return await self._queries.owned_by(owner_id, page, size)
