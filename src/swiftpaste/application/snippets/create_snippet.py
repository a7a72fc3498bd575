"""CreateSnippet: paste new content and get a short link, signed in or anonymously."""

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from swiftpaste.application.auth.credentials import secret_digest
from swiftpaste.application.errors import ContentTooLarge, DependencyUnavailable, NotAuthenticated
from swiftpaste.application.ports.persistence import (
    IdempotencyClaim,
    IdempotencyKeys,
    Reply,
    UnitOfWork,
)
from swiftpaste.application.ports.security import PasswordHasher
from swiftpaste.application.ports.snippets import (
    LanguageDetector,
    ShortIdGenerator,
    ShortIdTaken,
    SnippetRepository,
)
from swiftpaste.application.ports.system import Clock
from swiftpaste.domain.errors import InvalidSnippet
from swiftpaste.domain.snippets import (
    Snippet,
    Visibility,
    expires_at_for,
    validate_filename,
    validate_language,
)

SHORT_ID_ATTEMPTS = 5
SNIPPET_PASSWORD_MIN_LENGTH = 8
SNIPPET_PASSWORD_MAX_LENGTH = 128
DELETE_TOKEN_PREFIX = "sp_del_"  # noqa: S105 - a prefix, not a secret


@dataclass(frozen=True, slots=True)
class SnippetLimits:
    max_content_bytes: int


@dataclass(frozen=True, slots=True)
class AnonymousPastes:
    """Whether callers without credentials may paste, and how long their pastes may live."""

    enabled: bool
    max_expiry_seconds: int


@dataclass(frozen=True, slots=True)
class Idempotency:
    """The caller's `Idempotency-Key`: the same key and request within a day get the first
    reply again, and nothing new is created."""

    caller: str
    """Whose key: a user (`user:…`), or the client address of an anonymous caller."""
    key: str
    form: str
    """The form the reply takes (JSON, plain text): another form is another request."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateSnippetCommand:
    owner_id: UUID | None
    """None: an anonymous paste."""
    title: str
    content: str
    visibility: Visibility = Visibility.PUBLIC
    language: str | None = None
    """None: taken from `filename`, else guessed from the content when the guess is sure."""
    expires_at: datetime | None = None
    expires_in: str | None = None
    """A preset (`10m` ... `1y`, `never`), instead of `expires_at`."""
    burn_after_reading: bool = False
    max_views: int | None = None
    password: str | None = None
    filename: str | None = None
    idempotency: Idempotency | None = None


@dataclass(frozen=True, slots=True)
class NewSnippet:
    snippet: Snippet
    delete_token: str | None
    """Anonymous pastes only: the token that deletes it. Stored as a digest: shown once."""


ReplyWriter = Callable[[NewSnippet], Reply]
"""Writes the reply to a create; it is kept with an idempotency key, in the same commit."""


def check_content_size(content: str, limits: SnippetLimits) -> None:
    size = len(content.encode())
    if size > limits.max_content_bytes:
        raise ContentTooLarge(
            f"content is {size} bytes; the limit is {limits.max_content_bytes} bytes of UTF-8",
        )


def expiry(expires_at: datetime | None, expires_in: str | None, now: datetime) -> datetime | None:
    """The version's end of life from either form; both at once is refused."""
    if expires_in is None:
        return expires_at
    if expires_at is not None:
        raise InvalidSnippet("give expires_at or expires_in, not both")
    return expires_at_for(expires_in, now)


def password_hash(password: str, hasher: PasswordHasher) -> str:
    """The stored form of a snippet's password (argon2id); its length is checked first."""
    if not SNIPPET_PASSWORD_MIN_LENGTH <= len(password) <= SNIPPET_PASSWORD_MAX_LENGTH:
        raise InvalidSnippet(
            f"password must be {SNIPPET_PASSWORD_MIN_LENGTH} to"
            f" {SNIPPET_PASSWORD_MAX_LENGTH} characters"
        )
    return hasher.hash(password)


def request_fingerprint(command: CreateSnippetCommand) -> str:
    """A digest of everything the command asks for (every field but the key itself)."""
    asked = {
        field.name: getattr(command, field.name)
        for field in fields(command)
        if field.name != "idempotency"
    }
    if command.idempotency is not None:
        asked["form"] = command.idempotency.form
    canonical = json.dumps(asked, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class CreateSnippet:
    """Create a snippet with its first version under a fresh random short id.

    Without an owner the paste is anonymous: allowed only when anonymous pastes are on,
    never private, never living past the longest anonymous expiry (which it gets when it
    names none), and deleted with a token given once. With an idempotency key, the key is
    claimed and the reply kept in the transaction of the create, so a retry (even a
    concurrent one) gets that reply and creates nothing. A snippet created without a
    language gets the one its file name or content tells.
    """

    def __init__(
        self,
        snippets: SnippetRepository,
        uow: UnitOfWork,
        short_ids: ShortIdGenerator,
        clock: Clock,
        limits: SnippetLimits,
        anonymous: AnonymousPastes,
        idempotency_keys: IdempotencyKeys,
        hasher: PasswordHasher,
        languages: LanguageDetector,
    ) -> None:
        self._snippets = snippets
        self._uow = uow
        self._short_ids = short_ids
        self._clock = clock
        self._limits = limits
        self._anonymous = anonymous
        self._keys = idempotency_keys
        self._hasher = hasher
        self._languages = languages

    async def __call__(self, command: CreateSnippetCommand, reply: ReplyWriter) -> Reply:
        now = self._clock.now()
        expires_at = self._expiry(command, now)
        check_content_size(command.content, self._limits)
        validate_filename(command.filename)  # refused before a key is claimed
        hashed = None if command.password is None else password_hash(command.password, self._hasher)
        claim = None
        if command.idempotency is not None:
            claim = IdempotencyClaim(
                command.idempotency.caller,
                command.idempotency.key,
                request_fingerprint(command),
            )
            replayed = await self._keys.claim(claim, now)
            if replayed is not None:
                return replayed
        delete_token = None
        if command.owner_id is None:
            delete_token = DELETE_TOKEN_PREFIX + secrets.token_urlsafe(32)
        snippet = await self._add(command, expires_at, delete_token, hashed, now)
        answer = reply(NewSnippet(snippet, delete_token))
        if claim is not None:
            await self._keys.remember(claim, answer)
        await self._uow.commit()
        return answer

    def _language(self, command: CreateSnippetCommand) -> str | None:
        given = validate_language(command.language)
        if given is not None:
            return given
        return self._languages.detect(command.content, validate_filename(command.filename))

    def _expiry(self, command: CreateSnippetCommand, now: datetime) -> datetime | None:
        asked = expiry(command.expires_at, command.expires_in, now)
        if command.owner_id is not None:
            return asked
        if not self._anonymous.enabled:
            raise NotAuthenticated(
                "authentication required: send 'Authorization: Bearer <token>'"
                " (anonymous pastes are turned off)"
            )
        longest = self._anonymous.max_expiry_seconds
        latest = now + timedelta(seconds=longest)
        if asked is None and command.expires_in is None:
            return latest.replace(microsecond=0)
        if asked is None or asked > latest:
            raise InvalidSnippet(f"an anonymous snippet expires within {longest} seconds")
        return asked

    async def _add(
        self,
        command: CreateSnippetCommand,
        expires_at: datetime | None,
        delete_token: str | None,
        hashed: str | None,
        now: datetime,
    ) -> Snippet:
        snippet_id = uuid4()
        # The unique constraint decides; a collision is rare, so a few draws suffice.
        for _ in range(SHORT_ID_ATTEMPTS):
            snippet = Snippet.create(
                snippet_id=snippet_id,
                short_id=self._short_ids.new(),
                owner_id=command.owner_id,
                title=command.title,
                content=command.content,
                visibility=command.visibility,
                language=self._language(command),
                expires_at=expires_at,
                now=now,
                delete_token_digest=secret_digest(delete_token) if delete_token else None,
                burn_after_reading=command.burn_after_reading,
                max_views=command.max_views,
                password_hash=hashed,
                filename=command.filename,
            )
            try:
                await self._snippets.add(snippet)
            except ShortIdTaken:
                continue
            return snippet
        raise DependencyUnavailable("could not allocate a short id; try again")
