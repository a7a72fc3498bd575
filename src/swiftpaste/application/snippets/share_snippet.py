"""ShareSnippet: open a version for a limited time, with a link to hand out."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from swiftpaste.application.errors import InvalidShare
from swiftpaste.application.ports.persistence import UnitOfWork
from swiftpaste.application.ports.snippets import ShareTokens, SnippetCache, SnippetRepository
from swiftpaste.application.ports.system import Clock
from swiftpaste.domain.errors import SnippetNotFound
from swiftpaste.domain.snippets import Visibility


@dataclass(frozen=True, slots=True)
class SharePolicy:
    default_ttl_seconds: int
    min_ttl_seconds: int
    max_ttl_seconds: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ShareSnippetCommand:
    snippet_id: UUID
    sharer_id: UUID
    version: int | None = None
    ttl_seconds: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ShareLink:
    short_id: str
    version: int
    expires_at: datetime
    token: str | None
    """Set for a private version: whoever holds it may read that version until expiry."""


class ShareSnippet:
    """Set a version's expiry to now + ttl and return what its share link needs."""

    def __init__(
        self,
        snippets: SnippetRepository,
        uow: UnitOfWork,
        cache: SnippetCache,
        share_tokens: ShareTokens,
        clock: Clock,
        policy: SharePolicy,
    ) -> None:
        self._snippets = snippets
        self._uow = uow
        self._cache = cache
        self._share_tokens = share_tokens
        self._clock = clock
        self._policy = policy

    async def __call__(self, command: ShareSnippetCommand) -> ShareLink:
        ttl = self._ttl(command.ttl_seconds)
        snippet = await self._snippets.get_for_update(command.snippet_id, command.version)
        if snippet is None:
            raise SnippetNotFound("snippet not found")
        number = snippet.latest_version if command.version is None else command.version
        shared = snippet.share(
            sharer_id=command.sharer_id, number=number, ttl=ttl, now=self._clock.now()
        )
        await self._snippets.save(snippet)
        await self._uow.commit()
        await self._cache.invalidate(snippet.short_id, snippet.latest_version)
        assert shared.expires_at is not None  # sharing always sets it
        token = (
            self._share_tokens.issue(snippet.id, shared.number, shared.expires_at)
            if shared.visibility is Visibility.PRIVATE
            else None
        )
        return ShareLink(
            short_id=snippet.short_id,
            version=shared.number,
            expires_at=shared.expires_at,
            token=token,
        )

    def _ttl(self, ttl_seconds: int | None) -> timedelta:
        seconds = self._policy.default_ttl_seconds if ttl_seconds is None else ttl_seconds
        if not self._policy.min_ttl_seconds <= seconds <= self._policy.max_ttl_seconds:
            raise InvalidShare(
                f"ttl_seconds must be between {self._policy.min_ttl_seconds} "
                f"and {self._policy.max_ttl_seconds}",
            )
        return timedelta(seconds=seconds)
