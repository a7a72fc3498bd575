"""ListSnippetVersions: the versions of a snippet the caller may see."""

from uuid import UUID

from swiftpaste.application.ports.snippets import SnippetQueries
from swiftpaste.application.ports.system import Clock
from swiftpaste.application.snippets.read_models import VersionSummary
from swiftpaste.domain.errors import SnippetNotFound


class ListSnippetVersions:
    """Every version for the owner; public, unexpired ones for everyone else.

    A reader who may see none of them is told the snippet does not exist.
    """

    def __init__(self, queries: SnippetQueries, clock: Clock) -> None:
        self._queries = queries
        self._clock = clock

    async def __call__(self, short_id: str, reader_id: UUID | None) -> tuple[VersionSummary, ...]:
        listing = await self._queries.listing(short_id)
        if listing is None or listing.snippet.is_deleted:
            raise SnippetNotFound("snippet not found")
        now = self._clock.now()
        visible = tuple(
            version
            for version in listing.versions
            if listing.snippet.lists_version_for(
                reader_id, version.visibility, version.expires_at, now
            )
        )
        if not visible:
            raise SnippetNotFound("snippet not found")
        return visible
