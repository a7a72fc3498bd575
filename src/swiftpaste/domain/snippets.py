"""The Snippet aggregate: a titled paste with immutable, numbered versions."""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from swiftpaste.domain.errors import (
    InvalidSnippet,
    NotSnippetOwner,
    ShareExpired,
    SnippetNotFound,
    VersionNotFound,
)
from swiftpaste.domain.events import (
    DomainEvent,
    SnippetCreated,
    SnippetDeleted,
    SnippetExpired,
    SnippetRevised,
    SnippetShared,
)

# URL-safe and free of look-alikes (0/O/o, 1/l/I), so a link read aloud or retyped works.
SHORT_ID_ALPHABET = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
SHORT_ID_LENGTH = 8
TITLE_MAX_LENGTH = 1000
LANGUAGE_MAX_LENGTH = 32
FILENAME_MAX_LENGTH = 255


class Visibility(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


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

    @property
    def size_bytes(self) -> int:
        return len(self.content.encode())

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
    """

    id: UUID
    short_id: str
    title: str
    owner_id: UUID
    latest_version: int
    views: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
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
        owner_id: UUID,
        title: str,
        content: str,
        visibility: Visibility,
        language: str | None,
        expires_at: datetime | None,
        now: datetime,
        filename: str | None = None,
    ) -> "Snippet":
        if expires_at is not None and expires_at <= now:
            raise InvalidSnippet("expires_at must be in the future")
        first = SnippetVersion(
            number=1,
            content=validate_content(content),
            visibility=visibility,
            language=validate_language(language),
            expires_at=expires_at,
            created_at=now,
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
        exactly that version; anyone else is told it does not exist. Expired versions
        answer "expired" to everyone but the owner.
        """
        if self.is_deleted:
            raise SnippetNotFound("snippet not found")
        try:
            version = self.version(number)
        except VersionNotFound:
            if self.is_owned_by(reader_id):
                raise
            raise SnippetNotFound("snippet not found") from None
        if self.is_owned_by(reader_id):
            return version
        granted = grant is not None and grant.opens(self.id, version)
        if version.visibility is Visibility.PRIVATE and not granted:
            raise SnippetNotFound("snippet not found")
        if version.is_expired(now):
            raise ShareExpired("this version's share link has expired")
        return version

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
        return visibility is Visibility.PUBLIC and not expired

    def revise(
        self,
        *,
        editor_id: UUID,
        now: datetime,
        title: str | None = None,
        content: str | None = None,
        visibility: Visibility | None = None,
        language: str | None = None,
    ) -> None:
        """Change the title in place; a change of content, visibility or language is a new version.

        The new version starts from the latest one: what the request does not set is
        inherited (its share window too), so a private snippet never turns public and
        an expiring paste never turns permanent by omission. Every field is checked
        before anything changes.
        """
        self._check_owner(editor_id)
        if title is None and content is None and visibility is None and language is None:
            raise InvalidSnippet("give at least one of title, content, visibility, language")
        new_title = validate_title(title) if title is not None else self.title
        if content is not None:
            validate_content(content)
        new_language = validate_language(language) if language is not None else None
        self.title = new_title
        new_version = content is not None or visibility is not None or language is not None
        if new_version:
            latest = self.version()
            new = SnippetVersion(
                number=self.latest_version + 1,
                content=latest.content if content is None else content,
                visibility=latest.visibility if visibility is None else visibility,
                language=latest.language if language is None else new_language,
                expires_at=latest.expires_at,
                created_at=now,
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

    def delete(self, *, deleter_id: UUID, now: datetime) -> None:
        self._check_owner(deleter_id)
        self.deleted_at = now
        self.updated_at = now
        self._record(SnippetDeleted(**self._event_fields(now)))

    def _check_owner(self, user_id: UUID) -> None:
        if self.is_deleted:
            raise SnippetNotFound("snippet not found")
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
