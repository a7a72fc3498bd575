"""The Snippet aggregate: a titled paste with immutable, numbered versions."""

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from typing import Any, Final, Literal, TypeAlias, TypeVar
from uuid import UUID

from swiftpaste.domain.errors import (
    InvalidDeleteToken,
    InvalidSnippet,
    NotSnippetOwner,
    ShareExpired,
    SnippetBurned,
    SnippetNotFound,
    VersionNotFound,
    ViewLimitReached,
)
from swiftpaste.domain.events import (
    DomainEvent,
    SnippetCreated,
    SnippetDeleted,
    SnippetExpired,
    SnippetRevised,
    SnippetShared,
    SnippetViewLimitReached,
)
from swiftpaste.domain.events import (
    SnippetBurned as SnippetBurnedEvent,
)

# URL-safe and free of look-alikes (0/O/o, 1/l/I), so a link read aloud or retyped works.
SHORT_ID_ALPHABET = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
SHORT_ID_LENGTH = 8
TITLE_MAX_LENGTH = 1000
LANGUAGE_MAX_LENGTH = 32
MAX_VIEWS_LIMIT = 1_000_000

ExpiryPreset = Literal["10m", "1h", "1d", "1w", "30d", "1y", "never"]
EXPIRY_PRESETS: Final[Mapping[str, timedelta | None]] = {
    "10m": timedelta(minutes=10),
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
    "1w": timedelta(weeks=1),
    "30d": timedelta(days=30),
    "1y": timedelta(days=365),
    "never": None,
}
"""How long a version may be read from now; `never` keeps it until it is deleted."""
FILENAME_MAX_LENGTH = 255


class Visibility(StrEnum):
    PUBLIC = "public"
    UNLISTED = "unlisted"
    """Anyone with the link reads it; nobody else's search finds it."""
    PRIVATE = "private"


class _Keep(Enum):
    KEEP = "keep"


KEEP: Final = _Keep.KEEP
"""A revision's "not given": the new version inherits the latest one's value."""

_T = TypeVar("_T")
Kept: TypeAlias = _T | Literal[_Keep.KEEP]


@dataclass(frozen=True, slots=True, kw_only=True)
class SnippetVersion:
    """One immutable state of a snippet's content. Only the share window can move."""

    number: int
    content: str
    visibility: Visibility
    language: str | None
    expires_at: datetime | None
    created_at: datetime
    expired_at: datetime | None = None
    """When the end of the share window was announced (`snippet.expired`); None before."""
    burn_after_reading: bool = False
    """The first read by anyone but the owner is the last: the content is erased."""
    max_views: int | None = None
    """Reads by others than the owner allowed; None: no limit."""
    views_used: int = 0
    """Reads by others than the owner so far (counted when the version has a limit)."""
    password_hash: str | None = None
    """argon2id hash of the password readers other than the owner must give."""
    burned_at: datetime | None = None

    @property
    def size_bytes(self) -> int:
        return len(self.content.encode())

    @property
    def counts_reads(self) -> bool:
        """Whether each read by someone else changes the version (burn, or a view limit)."""
        return self.burn_after_reading or self.max_views is not None

    @property
    def is_guarded(self) -> bool:
        """Read with a condition (once, a number of times, a password): never cached, and
        found by nobody's search but its owner's."""
        return self.counts_reads or self.password_hash is not None

    @property
    def views_left(self) -> int | None:
        return views_left(
            burn_after_reading=self.burn_after_reading,
            burned=self.burned_at is not None,
            max_views=self.max_views,
            views_used=self.views_used,
        )

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at


@dataclass(frozen=True, slots=True)
class ShareGrant:
    """Proof, from a genuine share token, that the holder may read one private version.

    It names the share window it was issued for: sharing the version again (a new
    window) retires the links of the old one.
    """

    snippet_id: UUID
    version: int
    expires_at: datetime

    def opens(self, snippet_id: UUID, version: SnippetVersion) -> bool:
        return (
            self.snippet_id == snippet_id
            and self.version == version.number
            and self.expires_at == version.expires_at
        )


def views_left(
    *, burn_after_reading: bool, burned: bool, max_views: int | None, views_used: int
) -> int | None:
    """Reads by others than the owner a version still allows; None: no limit."""
    if burn_after_reading:
        return 0 if burned else 1
    if max_views is None:
        return None
    return max(0, max_views - views_used)


def is_short_id(candidate: str) -> bool:
    # strip() removes every alphabet character from both ends: only a foreign one stays.
    return len(candidate) == SHORT_ID_LENGTH and not candidate.strip(SHORT_ID_ALPHABET)


def validate_title(title: str) -> str:
    if not title.strip():
        raise InvalidSnippet("title must not be empty")
    if len(title) > TITLE_MAX_LENGTH:
        raise InvalidSnippet(f"title must be at most {TITLE_MAX_LENGTH} characters")
    return title


def validate_content(content: str) -> str:
    if not content:
        raise InvalidSnippet("content must not be empty")
    return content


def validate_max_views(max_views: int | None) -> int | None:
    if max_views is not None and not 1 <= max_views <= MAX_VIEWS_LIMIT:
        raise InvalidSnippet(f"max_views must be between 1 and {MAX_VIEWS_LIMIT}")
    return max_views


def expires_at_for(preset: str, now: datetime) -> datetime | None:
    """The end of a version's life for an `expires_in` preset, from `now`."""
    if preset not in EXPIRY_PRESETS:
        raise InvalidSnippet(f"expires_in must be one of {', '.join(EXPIRY_PRESETS)}")
    lifetime = EXPIRY_PRESETS[preset]
    return None if lifetime is None else now + lifetime


def validate_language(language: str | None) -> str | None:
    if language is None:
        return None
    language = language.strip().lower()
    if not language:
        return None
    if len(language) > LANGUAGE_MAX_LENGTH:
        raise InvalidSnippet(f"language must be at most {LANGUAGE_MAX_LENGTH} characters")
    return language


def validate_filename(filename: str | None) -> str | None:
    """A file's name alone (no folders): what a download is saved as."""
    if filename is None or not filename.strip():
        return None
    filename = filename.strip()
    if len(filename) > FILENAME_MAX_LENGTH:
        raise InvalidSnippet(f"filename must be at most {FILENAME_MAX_LENGTH} characters")
    if filename in {".", ".."} or any(c in filename for c in "/\\") or not filename.isprintable():
        raise InvalidSnippet("filename must be a name without folders or control characters")
    return filename


@dataclass(slots=True, kw_only=True)
class Snippet:
    """The aggregate root. Versions hold the content; the snippet holds identity and title.

    Only the versions a use case needs are loaded (`versions`); `latest_version`
    always names the newest one. Every change bumps `aggregate_version` and records a
    domain event, in order.

    An anonymous snippet has no owner: it is never private, nobody may revise or share
    it, and whoever holds its delete token (kept as a digest) may delete it.
    """

    id: UUID
    short_id: str
    title: str
    owner_id: UUID | None
    latest_version: int
    views: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
    delete_token_digest: str | None = None
    """Anonymous snippets only: the digest of the token that deletes it."""
    filename: str | None = None
    """The name given on create, if any: downloads are saved under it."""
    aggregate_version: int = 0
    versions: dict[int, SnippetVersion] = field(default_factory=dict)
    events: list[DomainEvent] = field(default_factory=list)

    @classmethod
    def create(
        cls,
        *,
        snippet_id: UUID,
        short_id: str,
        owner_id: UUID | None,
        title: str,
        content: str,
        visibility: Visibility,
        language: str | None,
        expires_at: datetime | None,
        now: datetime,
        burn_after_reading: bool = False,
        max_views: int | None = None,
        password_hash: str | None = None,
        delete_token_digest: str | None = None,
        filename: str | None = None,
    ) -> "Snippet":
        """A new snippet; without an owner, an anonymous one, which needs a delete token."""
        if expires_at is not None and expires_at <= now:
            raise InvalidSnippet("expires_at must be in the future")
        if (owner_id is None) != (delete_token_digest is not None):
            raise ValueError("a snippet has an owner or, when anonymous, a delete token")
        if owner_id is None and visibility is Visibility.PRIVATE:
            raise InvalidSnippet("an anonymous snippet cannot be private: nobody could read it")
        first = SnippetVersion(
            number=1,
            content=validate_content(content),
            visibility=visibility,
            language=validate_language(language),
            expires_at=expires_at,
            created_at=now,
            burn_after_reading=burn_after_reading,
            max_views=validate_max_views(max_views),
            password_hash=password_hash,
        )
        snippet = cls(
            id=snippet_id,
            short_id=short_id,
            title=validate_title(title),
            owner_id=owner_id,
            latest_version=1,
            views=0,
            created_at=now,
            updated_at=now,
            delete_token_digest=delete_token_digest,
            filename=validate_filename(filename),
            versions={1: first},
        )
        snippet._record(
            SnippetCreated(
                **snippet._event_fields(now),
                title=snippet.title,
                visibility=first.visibility.value,
                language=first.language,
                expires_at=first.expires_at,
            ),
        )
        return snippet

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def version(self, number: int | None = None) -> SnippetVersion:
        """The loaded version `number` (default: the latest)."""
        wanted = self.latest_version if number is None else number
        found = self.versions.get(wanted)
        if found is None:
            raise VersionNotFound(f"version {wanted} does not exist")
        return found

    def is_owned_by(self, user_id: UUID | None) -> bool:
        return user_id is not None and user_id == self.owner_id

    def read(
        self,
        number: int | None,
        *,
        reader_id: UUID | None,
        grant: ShareGrant | None,
        now: datetime,
    ) -> SnippetVersion:
        """The version a reader asked for, if they may see it.

        Private versions exist only for their owner or the holder of a share grant for
        exactly that version; anyone else is told it does not exist. A burned version is
        gone for everyone. Expired versions, and versions read as often as their limit
        allows, answer so to everyone but the owner.
        """
        if self.is_deleted:
            raise SnippetNotFound("snippet not found")
        try:
            version = self.version(number)
        except VersionNotFound:
            if self.is_owned_by(reader_id):
                raise
            raise SnippetNotFound("snippet not found") from None
        if version.burned_at is not None:
            raise SnippetBurned("this snippet was burned after reading: it is gone")
        if self.is_owned_by(reader_id):
            return version
        granted = grant is not None and grant.opens(self.id, version)
        if version.visibility is Visibility.PRIVATE and not granted:
            raise SnippetNotFound("snippet not found")
        if version.is_expired(now):
            raise ShareExpired("this version's share link has expired")
        if version.views_left == 0:
            raise ViewLimitReached("this version was read as many times as its limit allows")
        return version

    def consume_read(
        self,
        number: int | None,
        *,
        reader_id: UUID | None,
        grant: ShareGrant | None,
        now: datetime,
    ) -> SnippetVersion:
        """`read`, and count it when the version counts reads by others: the returned
        version is the one read (with its content); a burn-after-reading version is
        erased, and a version that reached its limit says so, each with its event.

        Call it with the snippet locked, so concurrent readers are counted one by one.
        """
        version = self.read(number, reader_id=reader_id, grant=grant, now=now)
        if self.is_owned_by(reader_id) or not version.counts_reads:
            return version
        read = replace(version, views_used=version.views_used + 1)
        if read.burn_after_reading:
            read = replace(read, burned_at=now)
            self.versions[read.number] = replace(read, content="")
            self._record(SnippetBurnedEvent(**self._event_fields(now), version=read.number))
            return read
        self.versions[read.number] = read
        if read.max_views is not None and read.views_used >= read.max_views:
            self._record(
                SnippetViewLimitReached(
                    **self._event_fields(now), version=read.number, max_views=read.max_views
                ),
            )
        return read

    def lists_version_for(
        self,
        reader_id: UUID | None,
        visibility: Visibility,
        expires_at: datetime | None,
        now: datetime,
    ) -> bool:
        """Whether a version belongs in the version list shown to this reader."""
        if self.is_owned_by(reader_id):
            return True
        expired = expires_at is not None and now >= expires_at
        return visibility is not Visibility.PRIVATE and not expired

    def revise(
        self,
        *,
        editor_id: UUID,
        now: datetime,
        title: str | None = None,
        content: str | None = None,
        visibility: Visibility | None = None,
        language: str | None = None,
        expires_at: Kept[datetime | None] = KEEP,
        burn_after_reading: bool | None = None,
        max_views: Kept[int | None] = KEEP,
        password_hash: Kept[str | None] = KEEP,
    ) -> None:
        """Change the title in place; any other change is a new version.

        The new version starts from the latest one: what the request does not set is
        inherited (visibility, language, share window, burn after reading, view limit,
        password), so a private snippet never turns public and a protected one never
        turns open by omission. Its count of reads starts afresh. Every field is checked
        before anything changes.
        """
        self._check_owner(editor_id)
        settings = (expires_at, max_views, password_hash)
        new_version = (
            content is not None
            or visibility is not None
            or language is not None
            or burn_after_reading is not None
            or any(value is not KEEP for value in settings)
        )
        if title is None and not new_version:
            raise InvalidSnippet("give at least one field to change")
        new_title = validate_title(title) if title is not None else self.title
        latest = self.version()
        if content is not None:
            validate_content(content)
        elif new_version and latest.burned_at is not None:
            raise InvalidSnippet("the latest version was burned: give the new content")
        if expires_at is not KEEP and expires_at is not None and expires_at <= now:
            raise InvalidSnippet("expires_at must be in the future")
        if max_views is not KEEP:
            validate_max_views(max_views)
        new_language = validate_language(language) if language is not None else None
        self.title = new_title
        if new_version:
            new = SnippetVersion(
                number=self.latest_version + 1,
                content=latest.content if content is None else content,
                visibility=latest.visibility if visibility is None else visibility,
                language=latest.language if language is None else new_language,
                expires_at=_kept(expires_at, latest.expires_at),
                created_at=now,
                burn_after_reading=(
                    latest.burn_after_reading if burn_after_reading is None else burn_after_reading
                ),
                max_views=_kept(max_views, latest.max_views),
                password_hash=_kept(password_hash, latest.password_hash),
            )
            self.versions[new.number] = new
            self.latest_version = new.number
        self.updated_at = now
        current = self.version()
        self._record(
            SnippetRevised(
                **self._event_fields(now),
                title=self.title,
                visibility=current.visibility.value,
                language=current.language,
                expires_at=current.expires_at,
                title_changed=title is not None,
                new_version=new_version,
            ),
        )

    def share(
        self, *, sharer_id: UUID, number: int, ttl: timedelta, now: datetime
    ) -> SnippetVersion:
        """Open (or re-open) a version for `ttl`: its expires_at becomes now + ttl."""
        self._check_owner(sharer_id)
        # Whole seconds: share tokens carry the window's end at that precision.
        # A new window is a new expiry to announce when it ends.
        shared = replace(
            self.version(number),
            expires_at=(now + ttl).replace(microsecond=0),
            expired_at=None,
        )
        self.versions[number] = shared
        self.updated_at = now
        assert shared.expires_at is not None  # just set
        self._record(
            SnippetShared(
                **self._event_fields(now),
                version=shared.number,
                visibility=shared.visibility.value,
                expires_at=shared.expires_at,
            ),
        )
        return shared

    def expire_due_versions(self, now: datetime) -> list[SnippetVersion]:
        """Announce, once each, the loaded versions whose share window has ended.

        A version already announced is left alone, so running this again (or on a
        second scheduler) records nothing new. A deleted snippet announces nothing.
        """
        if self.is_deleted:
            return []
        expired = []
        for number in sorted(self.versions):
            version = self.versions[number]
            if version.expires_at is None or version.expired_at is not None:
                continue
            if not version.is_expired(now):
                continue
            announced = replace(version, expired_at=now)
            self.versions[number] = announced
            expired.append(announced)
            self._record(
                SnippetExpired(
                    **self._event_fields(now),
                    version=number,
                    visibility=version.visibility.value,
                    expires_at=version.expires_at,
                ),
            )
        return expired

    @property
    def is_anonymous(self) -> bool:
        return self.owner_id is None

    def delete(
        self,
        *,
        now: datetime,
        deleter_id: UUID | None = None,
        delete_token_digest: str | None = None,
    ) -> None:
        """Deleted by its owner or, for an anonymous snippet, with its delete token."""
        if delete_token_digest is None:
            self._check_owner(deleter_id)
        elif self.is_deleted:
            raise SnippetNotFound("snippet not found")
        elif self.delete_token_digest is None or not hmac.compare_digest(
            self.delete_token_digest, delete_token_digest
        ):
            raise InvalidDeleteToken("the delete token does not match this snippet")
        self.deleted_at = now
        self.updated_at = now
        self._record(SnippetDeleted(**self._event_fields(now)))

    def _check_owner(self, user_id: UUID | None) -> None:
        if self.is_deleted:
            raise SnippetNotFound("snippet not found")
        if self.is_anonymous:
            raise NotSnippetOwner(
                "an anonymous snippet has no owner: it cannot be changed, only deleted"
                " with its delete token"
            )
        if not self.is_owned_by(user_id):
            raise NotSnippetOwner("only the snippet's owner may change it")

    def pull_events(self) -> list[DomainEvent]:
        """The events recorded since the last pull, oldest first; the list is emptied."""
        events, self.events = self.events, []
        return events

    def _event_fields(self, now: datetime) -> dict[str, Any]:
        return {
            "snippet_id": self.id,
            "short_id": self.short_id,
            "owner_id": self.owner_id,
            "occurred_at": now,
            "latest_version": self.latest_version,
        }

    def _record(self, event: DomainEvent) -> None:
        self.aggregate_version += 1
        self.events.append(replace(event, aggregate_version=self.aggregate_version))


def _kept(value: "Kept[_T]", inherited: _T) -> _T:
    return inherited if value is KEEP else value
