"""ShareSnippet: open a version for a limited time, with a link to hand out."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from swiftpaste.application.errors import InvalidShare
from swiftpaste.application.ports.persistence import UnitOfWork
from swiftpaste.application.ports.snippets import ShareTokens, SnippetCache, SnippetRepository
from swiftpaste.application.ports.system import Clock
from swiftpaste.domain.errors import SnippetNotFound
from swiftpaste.domain.snippets import EXPIRY_PRESETS, Visibility


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
    expires_in: str | None = None
    """A preset (`10m` ... `30d`), instead of `ttl_seconds`."""


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
        ttl = self._ttl(command)
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

    def _ttl(self, command: ShareSnippetCommand) -> timedelta:
        policy = self._policy
        seconds = policy.default_ttl_seconds if command.ttl_seconds is None else command.ttl_seconds
        if command.expires_in is not None:
            if command.ttl_seconds is not None:
                raise InvalidShare("give ttl_seconds or expires_in, not both")
            preset = EXPIRY_PRESETS.get(command.expires_in)
            if preset is None:
                raise InvalidShare("a share window ends: expires_in must be a duration preset")
            seconds = int(preset.total_seconds())
        if not policy.min_ttl_seconds <= seconds <= policy.max_ttl_seconds:
            asked = "ttl_seconds" if command.expires_in is None else "the expires_in window"
            raise InvalidShare(
                f"{asked} must be between {policy.min_ttl_seconds} "
                f"and {policy.max_ttl_seconds} seconds",
            )
        return timedelta(seconds=seconds)
