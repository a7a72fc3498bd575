"""In-memory fakes of the application ports, for the unit tier (no I/O of any kind).

The repositories model one transaction: what a use case writes is *staged* (visible
to later reads through the same fakes) and only becomes *committed* when the shared
`FakeUnitOfWork` commits. Tests assert on the committed view to check that a change
would really have reached the database, and on the staged view to check that a use
case did not even try to write.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import ClassVar, Protocol
from uuid import UUID, uuid4

from swiftpaste.application.auth.tokens import refresh_token_digest
from swiftpaste.application.errors import (
    EmailAlreadyRegistered,
    IdempotencyKeyReused,
    UsernameTaken,
)
from swiftpaste.application.ports.persistence import IdempotencyClaim, Reply
from swiftpaste.application.ports.rate_limit import (
    Admission,
    Admitted,
    RateLimitDecision,
    RateLimitPolicy,
)
from swiftpaste.application.ports.security import (
    AccessClaims,
    DenylistUnavailable,
    InvalidAccessToken,
)
from swiftpaste.application.ports.snippets import Rendered, Representation, ShortIdTaken
from swiftpaste.application.ports.system import Clock
from swiftpaste.application.snippets.read_models import (
    Author,
    Page,
    SnippetDetails,
    SnippetListing,
    SnippetSummary,
    VersionSummary,
)
from swiftpaste.domain.access_tokens import PersonalAccessToken
from swiftpaste.domain.events import DomainEvent, SnippetViewed
from swiftpaste.domain.sessions import RefreshToken
from swiftpaste.domain.snippets import ShareGrant, Snippet, SnippetVersion, Visibility
from swiftpaste.domain.users import User

DEFAULT_NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


class FixedClock:
    """A clock that only moves when a test moves it."""

    def __init__(self, now: datetime = DEFAULT_NOW) -> None:
        self._now = _aware(now)

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        self._now = _aware(now)

    def advance(self, delta: timedelta) -> None:
        self._now += delta


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        msg = "the clock only tells timezone-aware (UTC) time"
        raise ValueError(msg)
    return moment


class _Participant(Protocol):
    def publish(self) -> None:
        """Make the staged state the committed state."""

    def discard(self) -> None:
        """Throw the staged state away and go back to the committed state."""


class FakeUnitOfWork:
    """Counts commits and rollbacks and publishes the staged state of enlisted repositories.

    With a `journal`, each commit is also written there as "commit", so a test can check
    what happened before and after it (e.g. a cache invalidation).
    """

    def __init__(self, journal: list[str] | None = None) -> None:
        self.commits = 0
        self.rollbacks = 0
        self._participants: list[_Participant] = []
        self._journal = journal

    @property
    def committed(self) -> bool:
        return self.commits > 0

    def enlist(self, participant: _Participant) -> None:
        self._participants.append(participant)

    async def commit(self) -> None:
        for participant in self._participants:
            participant.publish()
        self.commits += 1
        if self._journal is not None:
            self._journal.append("commit")

    async def rollback(self) -> None:
        for participant in self._participants:
            participant.discard()
        self.rollbacks += 1


class FakeUserRepository:
    """Users kept in memory; email and username are unique case-insensitively, as in SQL."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._staged: dict[UUID, User] = {}
        self._committed: dict[UUID, User] = {}
        # Rows another transaction committed after this one read: lookups do not see
        # them, but the unique indexes do (the race the use cases must survive).
        self._concurrent: dict[UUID, User] = {}
        self.locked: list[UUID] = []
        """The ids `get_for_update` was called with, in order."""
        uow.enlist(self)

    # --- test helpers -------------------------------------------------------------

    def seed(self, user: User) -> User:
        """Store the user as already committed before the use case runs."""
        self._staged[user.id] = replace(user)
        self._committed[user.id] = replace(user)
        return user

    def commit_concurrently(self, user: User) -> None:
        """Another request committed this user after our reads but before our write."""
        self._concurrent[user.id] = replace(user)

    def update_committed(self, user: User) -> None:
        """Another transaction changed this existing user and committed, before our lock.

        Whatever this request loaded earlier is now stale; `get_for_update` (and any
        later read) sees the new state.
        """
        if user.id not in self._committed:
            msg = f"user {user.id} was never seeded"
            raise AssertionError(msg)
        self.seed(user)

    def committed_user(self, user_id: UUID) -> User | None:
        user = self._committed.get(user_id)
        return replace(user) if user is not None else None

    def committed_users(self) -> list[User]:
        return [replace(user) for user in self._committed.values()]

    def staged_user(self, user_id: UUID) -> User | None:
        user = self._staged.get(user_id)
        return replace(user) if user is not None else None

    # --- UserRepository -----------------------------------------------------------

    async def add(self, user: User) -> None:
        if user.id in self._staged:
            msg = f"user {user.id} already exists"
            raise AssertionError(msg)
        self._check_unique(user)
        self._staged[user.id] = replace(user)

    async def save(self, user: User) -> None:
        if user.id not in self._staged:
            msg = f"saving user {user.id}, which was never added"
            raise AssertionError(msg)
        self._check_unique(user)
        self._staged[user.id] = replace(user)

    async def get(self, user_id: UUID) -> User | None:
        user = self._staged.get(user_id)
        return replace(user) if user is not None else None

    async def get_for_update(self, user_id: UUID) -> User | None:
        self.locked.append(user_id)
        return await self.get(user_id)

    async def get_by_email(self, email: str) -> User | None:
        return self._find(lambda user: user.email.lower() == email.lower())

    async def get_by_username(self, username: str) -> User | None:
        return self._find(lambda user: user.username.lower() == username.lower())

    # --- _Participant -------------------------------------------------------------

    def publish(self) -> None:
        self._committed = {key: replace(user) for key, user in self._staged.items()}

    def discard(self) -> None:
        self._staged = {key: replace(user) for key, user in self._committed.items()}

    # -----------------------------------------------------------------------------

    def _find(self, matches: Callable[[User], bool]) -> User | None:
        for user in self._staged.values():
            if matches(user):
                return replace(user)
        return None

    def _check_unique(self, user: User) -> None:
        others = [
            other
            for other in (*self._staged.values(), *self._concurrent.values())
            if other.id != user.id
        ]
        if any(other.email.lower() == user.email.lower() for other in others):
            raise EmailAlreadyRegistered
        if any(other.username.lower() == user.username.lower() for other in others):
            raise UsernameTaken


class FakeRefreshTokenRepository:
    """Refresh-token digests kept in memory, with the same update semantics as the SQL one."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._staged: dict[UUID, RefreshToken] = {}
        self._committed: dict[UUID, RefreshToken] = {}
        uow.enlist(self)

    # --- test helpers -------------------------------------------------------------

    def seed(self, token: RefreshToken) -> RefreshToken:
        self._staged[token.id] = replace(token)
        self._committed[token.id] = replace(token)
        return token

    def staged_tokens(self) -> list[RefreshToken]:
        return [replace(token) for token in self._staged.values()]

    def committed_tokens(self) -> list[RefreshToken]:
        return [replace(token) for token in self._committed.values()]

    def staged_family(self, family_id: UUID) -> list[RefreshToken]:
        return [token for token in self.staged_tokens() if token.family_id == family_id]

    def committed_family(self, family_id: UUID) -> list[RefreshToken]:
        return [token for token in self.committed_tokens() if token.family_id == family_id]

    def committed_token(self, raw_token: str) -> RefreshToken | None:
        """The committed record of a refresh token as the client holds it."""
        digest = refresh_token_digest(raw_token)
        for token in self._committed.values():
            if token.token_digest == digest:
                return replace(token)
        return None

    # --- RefreshTokenRepository ---------------------------------------------------

    async def add(self, token: RefreshToken) -> None:
        if any(other.token_digest == token.token_digest for other in self._staged.values()):
            msg = "duplicate refresh-token digest"
            raise AssertionError(msg)
        self._staged[token.id] = replace(token)

    async def get_by_digest_for_update(self, token_digest: str) -> RefreshToken | None:
        for token in self._staged.values():
            if token.token_digest == token_digest:
                return replace(token)
        return None

    async def save(self, token: RefreshToken) -> None:
        stored = self._staged[token.id]
        stored.rotated_at = token.rotated_at
        stored.revoked_at = token.revoked_at

    async def revoke_family(self, family_id: UUID, now: datetime) -> None:
        for token in self._staged.values():
            if token.family_id == family_id and token.revoked_at is None:
                token.revoked_at = now

    async def revoke_user_families(
        self, user_id: UUID, now: datetime, *, keep_family: UUID | None = None
    ) -> list[UUID]:
        revoked: set[UUID] = set()
        for token in self._staged.values():
            if (
                token.user_id == user_id
                and token.revoked_at is None
                and (keep_family is None or token.family_id != keep_family)
            ):
                token.revoked_at = now
                revoked.add(token.family_id)
        # As the SQL one: each family once, in a stable order.
        return sorted(revoked)

    async def is_family_revoked(self, family_id: UUID) -> bool:
        return any(
            token.family_id == family_id and token.revoked_at is not None
            for token in self._staged.values()
        )

    # --- _Participant -------------------------------------------------------------

    def publish(self) -> None:
        self._committed = {key: replace(token) for key, token in self._staged.items()}

    def discard(self) -> None:
        self._staged = {key: replace(token) for key, token in self._committed.items()}


class FakeAccessTokens:
    """Personal access tokens: the repository (staged until the unit of work commits) and
    the lookup, which sees only what was committed, as the read pool does."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._staged: dict[UUID, PersonalAccessToken] = {}
        self._committed: dict[UUID, PersonalAccessToken] = {}
        self.touches: list[tuple[UUID, datetime]] = []
        uow.enlist(self)

    def committed_tokens(self) -> list[PersonalAccessToken]:
        return [replace(token) for token in self._committed.values()]

    # --- PersonalAccessTokenRepository --------------------------------------------

    async def add(self, token: PersonalAccessToken) -> None:
        self._staged[token.id] = replace(token)

    async def owned_by(self, user_id: UUID) -> list[PersonalAccessToken]:
        mine = [replace(t) for t in self._staged.values() if t.user_id == user_id]
        return sorted(mine, key=lambda token: token.created_at, reverse=True)

    async def remove(self, user_id: UUID, token_id: UUID) -> bool:
        token = self._staged.get(token_id)
        if token is None or token.user_id != user_id:
            return False
        del self._staged[token_id]
        return True

    # --- PersonalAccessTokenLookup ------------------------------------------------

    async def find(self, token_digest: str) -> PersonalAccessToken | None:
        for token in self._committed.values():
            if token.token_digest == token_digest:
                return replace(token)
        return None

    async def touch(self, token_id: UUID, now: datetime) -> None:
        self.touches.append((token_id, now))
        for tokens in (self._committed, self._staged):
            if token_id in tokens:
                tokens[token_id].last_used_at = now

    # --- _Participant -------------------------------------------------------------

    def publish(self) -> None:
        self._committed = {key: replace(token) for key, token in self._staged.items()}

    def discard(self) -> None:
        self._staged = {key: replace(token) for key, token in self._committed.items()}


class FakeIdempotencyKeys:
    """Claimed keys and their replies, committed with the unit of work."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._staged: dict[tuple[str, str], tuple[str, Reply | None]] = {}
        self._committed: dict[tuple[str, str], tuple[str, Reply | None]] = {}
        uow.enlist(self)

    def committed_reply(self, caller: str, key: str) -> Reply | None:
        kept = self._committed.get((caller, key))
        return None if kept is None else kept[1]

    async def claim(self, claim: IdempotencyClaim, now: datetime) -> Reply | None:
        kept = self._staged.get((claim.caller, claim.key))
        if kept is None:
            self._staged[(claim.caller, claim.key)] = (claim.fingerprint, None)
            return None
        fingerprint, reply = kept
        if fingerprint != claim.fingerprint:
            raise IdempotencyKeyReused("another request")
        assert reply is not None, "a committed claim always has its reply"
        return reply

    async def remember(self, claim: IdempotencyClaim, reply: Reply) -> None:
        self._staged[(claim.caller, claim.key)] = (claim.fingerprint, reply)

    def publish(self) -> None:
        self._committed = dict(self._staged)

    def discard(self) -> None:
        self._staged = dict(self._committed)


class FakeSessionRevocations:
    """Ended sessions as the committed refresh tokens record them; `asked` counts calls."""

    def __init__(self, refresh_tokens: FakeRefreshTokenRepository) -> None:
        self._refresh_tokens = refresh_tokens
        self.asked = 0

    async def is_revoked(self, session_id: UUID) -> bool:
        self.asked += 1
        return any(
            token.family_id == session_id and token.revoked_at is not None
            for token in self._refresh_tokens.committed_tokens()
        )


class FakePasswordHasher:
    """Deterministic, instant "hashing": `<prefix><password>`.

    `verify` accepts a hash of any prefix, so a hash made under an older prefix still
    verifies; set `rehash_needed` to make `needs_rehash` answer True.
    """

    def __init__(self, prefix: str = "hashed:") -> None:
        if not prefix.endswith(":") or prefix.count(":") != 1:
            msg = "the prefix must contain exactly one ':' at its end"
            raise ValueError(msg)
        self.prefix = prefix
        self.rehash_needed = False
        self.hash_calls = 0
        self.burn_time_calls = 0

    def hash(self, password: str) -> str:
        self.hash_calls += 1
        return f"{self.prefix}{password}"

    def verify(self, hashed_password: str, password: str) -> bool:
        _, separator, hashed = hashed_password.partition(":")
        return bool(separator) and hashed == password

    def needs_rehash(self, hashed_password: str) -> bool:
        return self.rehash_needed

    def burn_time(self, password: str) -> None:
        self.burn_time_calls += 1


class FakeAccessTokenCodec:
    """Opaque tokens that decode only if this codec issued them and they have not expired."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._issued: dict[str, AccessClaims] = {}

    def encode(self, claims: AccessClaims) -> str:
        token = f"access.{claims.token_id}"
        self._issued[token] = claims
        return token

    def decode(self, token: str) -> AccessClaims:
        claims = self._issued.get(token)
        if claims is None:
            raise InvalidAccessToken("unknown or tampered token")
        if self._clock.now() >= claims.expires_at:
            raise InvalidAccessToken("token has expired")
        return claims


class FakeDenylist:
    """Revoked access-token ids and session ids, each kept until its `until`, as in Redis.

    An entry stops counting once the clock reaches its `until`. `unavailable` makes
    every call fail; `unavailable_operations` makes only the named methods fail. With a
    `journal`, each write that went through is noted there ("revoke_token <id>",
    "revoke_sessions <id>,<id>").
    """

    def __init__(self, clock: Clock, journal: list[str] | None = None) -> None:
        self._clock = clock
        self._journal = journal
        self.tokens: dict[str, datetime] = {}
        self.sessions: dict[UUID, datetime] = {}
        self.unavailable = False
        self.unavailable_operations: set[str] = set()

    async def revoke_token(self, token_id: str, until: datetime) -> None:
        self._reachable("revoke_token")
        self.tokens[token_id] = until
        self._note(f"revoke_token {token_id}")

    async def revoke_sessions(self, session_ids: Sequence[UUID], until: datetime) -> None:
        self._reachable("revoke_sessions")
        for session_id in session_ids:
            self.sessions[session_id] = until
        self._note(f"revoke_sessions {','.join(str(session_id) for session_id in session_ids)}")

    async def is_revoked(self, token_id: str, session_id: UUID) -> bool:
        self._reachable("is_revoked")
        now = self._clock.now()
        entries = (self.tokens.get(token_id), self.sessions.get(session_id))
        return any(until is not None and now < until for until in entries)

    def _reachable(self, operation: str) -> None:
        if self.unavailable or operation in self.unavailable_operations:
            raise DenylistUnavailable("connection refused")

    def _note(self, entry: str) -> None:
        if self._journal is not None:
            self._journal.append(entry)


class FakeProbe:
    """A dependency probe that answers after `delay_seconds`, or raises `error`."""

    def __init__(
        self,
        name: str,
        *,
        critical: bool = True,
        delay_seconds: float = 0.0,
        error: Exception | None = None,
        barrier: asyncio.Barrier | None = None,
    ) -> None:
        self.name = name
        self.critical = critical
        self.delay_seconds = delay_seconds
        self.error = error
        self.barrier = barrier
        self.checks = 0

    async def check(self) -> None:
        self.checks += 1
        if self.barrier is not None:
            await self.barrier.wait()
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        if self.error is not None:
            raise self.error


# --- snippets ---------------------------------------------------------------------


def _copy_snippet(snippet: Snippet, versions: dict[int, SnippetVersion] | None = None) -> Snippet:
    """A detached copy, as a fresh load would give: its own version map and no events."""
    return replace(
        snippet,
        versions=dict(snippet.versions if versions is None else versions),
        events=[],
    )


class FakeSnippetRepository:
    """Snippet aggregates in memory, with the SQL repository's load and write semantics.

    Short ids are unique: `add` raises ShortIdTaken for one already staged or listed in
    `taken_short_ids` (snippets other requests committed). `get_for_update` loads only
    the latest version and the one asked for; `lock_with_due_expiries` loads only the
    versions whose share window ended unannounced; `save` inserts new versions and, for
    existing ones, only moves the share window and its announcement (`expired_at`).
    """

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._staged: dict[UUID, Snippet] = {}
        self._committed: dict[UUID, Snippet] = {}
        self.taken_short_ids: set[str] = set()
        self.add_attempts: list[str] = []
        """The short id of every `add`, including refused ones."""
        self.saved_events: list[DomainEvent] = []
        """The events of every saved or added aggregate, in order (what an outbox would get)."""
        self.expiry_locks: list[tuple[datetime, int]] = []
        """The (now, limit) of every `lock_with_due_expiries` call, in order."""
        uow.enlist(self)

    # --- test helpers -------------------------------------------------------------

    def seed(self, snippet: Snippet) -> Snippet:
        """Store the snippet (all its versions) as already committed."""
        self._staged[snippet.id] = _copy_snippet(snippet)
        self._committed[snippet.id] = _copy_snippet(snippet)
        return _copy_snippet(snippet)

    def committed_snippet(self, snippet_id: UUID) -> Snippet | None:
        snippet = self._committed.get(snippet_id)
        return _copy_snippet(snippet) if snippet is not None else None

    def committed_snippets(self) -> list[Snippet]:
        return [_copy_snippet(snippet) for snippet in self._committed.values()]

    def staged_snippet(self, snippet_id: UUID) -> Snippet | None:
        snippet = self._staged.get(snippet_id)
        return _copy_snippet(snippet) if snippet is not None else None

    # --- SnippetRepository --------------------------------------------------------

    async def add(self, snippet: Snippet) -> None:
        self.add_attempts.append(snippet.short_id)
        if snippet.id in self._staged:
            msg = f"snippet {snippet.id} already exists"
            raise AssertionError(msg)
        taken = {other.short_id for other in self._staged.values()} | self.taken_short_ids
        if snippet.short_id in taken:
            raise ShortIdTaken(snippet.short_id)
        self._staged[snippet.id] = _copy_snippet(snippet)
        self.saved_events.extend(snippet.events)

    async def get_for_update(self, snippet_id: UUID, version: int | None = None) -> Snippet | None:
        stored = self._staged.get(snippet_id)
        if stored is None:
            return None
        wanted = {stored.latest_version} | ({version} if version is not None else set())
        loaded = {n: v for n, v in stored.versions.items() if n in wanted}
        return _copy_snippet(stored, loaded)

    async def lock_with_due_expiries(self, now: datetime, limit: int) -> list[Snippet]:
        self.expiry_locks.append((now, limit))
        # In id order and without deleted snippets, as the SQL query picks them.
        found = []
        for snippet_id in sorted(self._staged):
            stored = self._staged[snippet_id]
            if stored.is_deleted:
                continue
            due = {
                number: version
                for number, version in stored.versions.items()
                if version.expires_at is not None
                and version.expires_at <= now
                and version.expired_at is None
            }
            if due:
                found.append(_copy_snippet(stored, due))
        return found[:limit]

    async def save(self, snippet: Snippet) -> None:
        stored = self._staged.get(snippet.id)
        if stored is None:
            msg = f"saving snippet {snippet.id}, which was never added"
            raise AssertionError(msg)
        versions = dict(stored.versions)
        # As the SQL upsert: of a stored version only the share window, the count of
        # reads and, once burned, the content change.
        for number, version in snippet.versions.items():
            existing = versions.get(number)
            versions[number] = (
                version
                if existing is None
                else replace(
                    existing,
                    expires_at=version.expires_at,
                    expired_at=version.expired_at,
                    views_used=version.views_used,
                    burned_at=version.burned_at,
                    content=version.content if version.burned_at else existing.content,
                )
            )
        self._staged[snippet.id] = replace(
            stored,
            title=snippet.title,
            latest_version=snippet.latest_version,
            aggregate_version=snippet.aggregate_version,
            updated_at=snippet.updated_at,
            deleted_at=snippet.deleted_at,
            versions=versions,
            events=[],
        )
        self.saved_events.extend(snippet.events)

    # --- _Participant -------------------------------------------------------------

    def publish(self) -> None:
        self._committed = {key: _copy_snippet(s) for key, s in self._staged.items()}

    def discard(self) -> None:
        self._staged = {key: _copy_snippet(s) for key, s in self._committed.items()}


def summary_of(version: SnippetVersion) -> VersionSummary:
    """A version as the read model lists it."""
    return VersionSummary(
        number=version.number,
        visibility=version.visibility,
        language=version.language,
        expires_at=version.expires_at,
        created_at=version.created_at,
        size_bytes=version.size_bytes,
        burn_after_reading=version.burn_after_reading,
        max_views=version.max_views,
        views_used=version.views_used,
        password_protected=version.password_hash is not None,
        burned=version.burned_at is not None,
    )


class FakeSnippetQueries:
    """The read side over what the repository has *committed*, as a separate session sees it.

    `calls` records every query; `before_find` runs at the start of `find` (to make
    something happen between a cache miss and the put that follows it).
    """

    def __init__(self, snippets: FakeSnippetRepository, users: FakeUserRepository) -> None:
        self._snippets = snippets
        self._users = users
        self.calls: list[str] = []
        self.owned_by_args: list[tuple[UUID, int, int]] = []
        self.before_find: Callable[[], Awaitable[None]] | None = None

    async def find(self, short_id: str, version: int | None) -> SnippetDetails | None:
        self.calls.append("find")
        if self.before_find is not None:
            await self.before_find()
        stored = self._by_short_id(short_id)
        if stored is None:
            return None
        wanted = {stored.latest_version} | ({version} if version is not None else set())
        loaded = {n: v for n, v in stored.versions.items() if n in wanted}
        return SnippetDetails(snippet=_copy_snippet(stored, loaded), author=self._author(stored))

    async def listing(self, short_id: str) -> SnippetListing | None:
        self.calls.append("listing")
        stored = self._by_short_id(short_id)
        if stored is None:
            return None
        summaries = tuple(summary_of(version) for _, version in sorted(stored.versions.items()))
        return SnippetListing(snippet=_copy_snippet(stored, {}), versions=summaries)

    async def owned_by(self, owner_id: UUID, page: int, size: int) -> Page[SnippetSummary]:
        self.calls.append("owned_by")
        self.owned_by_args.append((owner_id, page, size))
        live = sorted(
            (
                snippet
                for snippet in self._snippets.committed_snippets()
                if snippet.owner_id == owner_id and not snippet.is_deleted
            ),
            key=lambda snippet: (snippet.created_at, snippet.id),
            reverse=True,
        )
        start = (page - 1) * size
        items = tuple(
            SnippetSummary(
                id=snippet.id,
                short_id=snippet.short_id,
                title=snippet.title,
                latest_version=snippet.latest_version,
                views=snippet.views,
                created_at=snippet.created_at,
                updated_at=snippet.updated_at,
                latest=summary_of(snippet.version()),
            )
            for snippet in live[start : start + size]
        )
        return Page(items=items, total=len(live), page=page, size=size)

    def _by_short_id(self, short_id: str) -> Snippet | None:
        for snippet in self._snippets.committed_snippets():
            if snippet.short_id == short_id:
                return snippet
        return None

    def _author(self, snippet: Snippet) -> Author | None:
        if snippet.owner_id is None:
            return None
        owner = self._users.committed_user(snippet.owner_id)
        if owner is None:
            msg = f"the owner {snippet.owner_id} of {snippet.short_id} is not a seeded user"
            raise AssertionError(msg)
        return Author(id=owner.id, username=owner.username)


@dataclass(frozen=True, slots=True)
class FakeCachedSnippet:
    admitted: Admitted
    rendered: Rendered | None
    generation: bytes | None
    snippet_id: UUID | None = None
    views: int | None = None
    etag: str | None = None


@dataclass(frozen=True, slots=True)
class CacheEntry:
    rendered: Rendered
    views: int
    ttl_seconds: int
    snippet_id: UUID
    etag: str = "cached-etag"


CacheKey = tuple[str, int | None, Representation]


@dataclass(frozen=True, slots=True)
class CachePut:
    short_id: str
    version: int | None
    representation: Representation
    rendered: Rendered
    views: int
    ttl_seconds: int
    generation: bytes | None
    snippet_id: UUID
    etag: str
    stored: bool
    """False when the generation guard dropped it."""


class FakeSnippetCache:
    """Cached bodies keyed by (short_id, version, representation), a generation per snippet,
    and the admission of the lookup: a bucket per key that never refills, and a denylist.

    `invalidate` drops the snippet's entries and bumps its generation; `put` stores only
    when the generation it carries is still the current one; `live_views` are the counts
    the views consumer published. `unavailable` answers as an unreachable Redis does:
    allowed, nothing checked, nothing found, nothing written back.
    Every call is recorded; with a `journal`, invalidations are also written there as
    "invalidate <short_id>".
    """

    def __init__(
        self, journal: list[str] | None = None, denylist: "FakeDenylist | None" = None
    ) -> None:
        self.entries: dict[CacheKey, CacheEntry] = {}
        self.gets: list[CacheKey] = []
        self.admissions: list[Admission] = []
        self.puts: list[CachePut] = []
        self.invalidations: list[tuple[str, int]] = []
        self.spent: dict[str, int] = {}
        """Requests taken from each budget key."""
        self.live_views: dict[str, int] = {}
        self.unavailable = False
        self._generations: dict[str, int] = {}
        self._journal = journal
        self._denylist = denylist

    def seed(
        self,
        short_id: str,
        version: int | None,
        body: bytes,
        ttl_seconds: int = 60,
        *,
        representation: Representation = Representation.JSON,
        snippet_id: UUID | None = None,
        views: int = 0,
    ) -> UUID:
        """Store an entry as if an earlier read had cached it (`body`, with no view count
        in it); returns its snippet id."""
        if snippet_id is None:
            snippet_id = uuid4()
        entry = CacheEntry(Rendered(body), views, ttl_seconds, snippet_id)
        self.entries[(short_id, version, representation)] = entry
        return snippet_id

    def generation(self, short_id: str) -> bytes:
        return str(self._generations.get(short_id, 0)).encode()

    async def look_up(
        self,
        admission: Admission,
        short_id: str,
        version: int | None,
        representation: Representation,
    ) -> FakeCachedSnippet:
        self.admissions.append(admission)
        policy = admission.policy
        if self.unavailable:
            decision = RateLimitDecision(
                allowed=True,
                limit=policy.capacity,
                remaining=policy.capacity,
                reset_seconds=0,
                retry_after_seconds=0,
            )
            return FakeCachedSnippet(Admitted(decision, None), rendered=None, generation=None)
        spent = self.spent.get(admission.budget_key, 0)
        if spent >= policy.capacity:
            decision = RateLimitDecision(
                allowed=False,
                limit=policy.capacity,
                remaining=0,
                reset_seconds=60,
                retry_after_seconds=60,
            )
            return FakeCachedSnippet(Admitted(decision, None), rendered=None, generation=None)
        self.spent[admission.budget_key] = spent + 1
        decision = RateLimitDecision(
            allowed=True,
            limit=policy.capacity,
            remaining=policy.capacity - spent - 1,
            reset_seconds=1,
            retry_after_seconds=0,
        )
        claims = admission.claims
        revoked = None
        if claims is not None:
            assert self._denylist is not None, "give the fake cache the denylist"
            revoked = await self._denylist.is_revoked(claims.token_id, claims.session_id)
            if revoked:
                admitted = Admitted(decision, revoked)
                return FakeCachedSnippet(admitted, rendered=None, generation=None)
        key = (short_id, version, representation)
        self.gets.append(key)
        entry = self.entries.get(key)
        admitted = Admitted(decision, revoked)
        generation = self.generation(short_id)
        if entry is None:
            return FakeCachedSnippet(admitted, rendered=None, generation=generation)
        views = max(entry.views, self.live_views.get(short_id, 0))
        return FakeCachedSnippet(
            admitted, entry.rendered, generation, entry.snippet_id, views, entry.etag
        )

    async def put(
        self,
        short_id: str,
        version: int | None,
        representation: Representation,
        rendered: Rendered,
        views: int,
        ttl_seconds: int,
        generation: bytes | None,
        snippet_id: UUID,
        etag: str,
    ) -> None:
        stored = generation is not None and generation == self.generation(short_id)
        self.puts.append(
            CachePut(
                short_id,
                version,
                representation,
                rendered,
                views,
                ttl_seconds,
                generation,
                snippet_id,
                etag,
                stored,
            )
        )
        if stored:
            entry = CacheEntry(rendered, views, ttl_seconds, snippet_id, etag)
            self.entries[(short_id, version, representation)] = entry

    async def invalidate(self, short_id: str, latest_version: int) -> None:
        self.invalidations.append((short_id, latest_version))
        if self._journal is not None:
            self._journal.append(f"invalidate {short_id}")
        self._generations[short_id] = self._generations.get(short_id, 0) + 1
        for key in [key for key in self.entries if key[0] == short_id]:
            del self.entries[key]


class FakeRateLimiter:
    """Buckets that never refill: `capacity` requests per key and policy, then refusals."""

    def __init__(self) -> None:
        self.spent: dict[tuple[str, str], int] = {}

    def _decision(self, key: str, policy: RateLimitPolicy, *, spend: bool) -> RateLimitDecision:
        spent = self.spent.get((policy.name, key), 0)
        if spent >= policy.capacity:
            return RateLimitDecision(
                allowed=False,
                limit=policy.capacity,
                remaining=0,
                reset_seconds=60,
                retry_after_seconds=60,
            )
        if spend:
            self.spent[(policy.name, key)] = spent + 1
        return RateLimitDecision(
            allowed=True,
            limit=policy.capacity,
            remaining=policy.capacity - spent - int(spend),
            reset_seconds=1,
            retry_after_seconds=0,
        )

    async def hit(self, key: str, policy: RateLimitPolicy) -> RateLimitDecision:
        return self._decision(key, policy, spend=True)

    async def peek(self, key: str, policy: RateLimitPolicy) -> RateLimitDecision:
        return self._decision(key, policy, spend=False)


@dataclass
class FakeSnippetTransaction:
    snippets: "FakeSnippetRepository"
    uow: FakeUnitOfWork

    async def commit(self) -> None:
        await self.uow.commit()


class FakeSnippetTransactions:
    """Transactions over the fake repository: committed at `commit`, rolled back otherwise."""

    def __init__(self, snippets: "FakeSnippetRepository", uow: FakeUnitOfWork) -> None:
        self._snippets = snippets
        self._uow = uow
        self.begun = 0

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[FakeSnippetTransaction]:
        self.begun += 1
        commits = self._uow.commits
        try:
            yield FakeSnippetTransaction(self._snippets, self._uow)
        finally:
            if self._uow.commits == commits:
                await self._uow.rollback()


class FakeViewRecorder:
    """Keeps every view it is told about, in order."""

    def __init__(self) -> None:
        self.views: list[SnippetViewed] = []

    def record(self, view: SnippetViewed) -> None:
        self.views.append(view)


class FakeShareTokens:
    """Opaque share tokens that verify only if this fake issued them."""

    def __init__(self) -> None:
        self.issued: dict[str, ShareGrant] = {}

    def issue(self, snippet_id: UUID, version: int, expires_at: datetime) -> str:
        token = f"share.{len(self.issued) + 1}"
        self.issued[token] = ShareGrant(snippet_id, version, expires_at)
        return token

    def verify(self, token: str) -> ShareGrant | None:
        return self.issued.get(token)


class SequenceShortIds:
    """Hands out the given short ids in order, then `gen00001`, `gen00002`, ..."""

    def __init__(self, *short_ids: str) -> None:
        self._queued = list(short_ids)
        self._generated = 0
        self.drawn: list[str] = []

    def queue(self, *short_ids: str) -> None:
        """Hand out these next, before any generated one."""
        self._queued.extend(short_ids)

    def new(self) -> str:
        if self._queued:
            short_id = self._queued.pop(0)
        else:
            self._generated += 1
            short_id = f"gen{self._generated:05d}"
        self.drawn.append(short_id)
        return short_id


class FakeLanguageDetector:
    """Knows file names by their extension and content by a first line `lang: <name>`;
    records what it was asked."""

    EXTENSIONS: ClassVar[dict[str, str]] = {".py": "python", ".rs": "rust"}

    def __init__(self) -> None:
        self.asked: list[tuple[str, str | None]] = []

    def detect(self, content: str, filename: str | None) -> str | None:
        self.asked.append((content, filename))
        if filename is not None:
            for extension, language in self.EXTENSIONS.items():
                if filename.endswith(extension):
                    return language
        first = content.split("\n", 1)[0]
        return first.removeprefix("lang: ") if first.startswith("lang: ") else None


class FakeRenderer:
    """Renders `<short_id> v<n> by <author>: <content>` (raw: the content) and counts its
    calls."""

    def __init__(self) -> None:
        self.renders = 0

    def render(
        self,
        details: SnippetDetails,
        version: SnippetVersion,
        representation: Representation = Representation.JSON,
    ) -> Rendered:
        self.renders += 1
        if representation is Representation.RAW:
            return Rendered(version.content.encode())
        author = "nobody" if details.author is None else details.author.username
        return Rendered(
            f"{details.snippet.short_id} v{version.number} by {author}: {version.content}".encode()
        )


# --- builders ---------------------------------------------------------------------


def a_user(
    *,
    email: str = "alice@example.com",
    username: str = "alice",
    hashed_password: str = "hashed:correct horse battery staple",
    is_active: bool = True,
    created_at: datetime = DEFAULT_NOW,
) -> User:
    return User(
        id=uuid4(),
        email=email,
        username=username,
        hashed_password=hashed_password,
        is_active=is_active,
        created_at=created_at,
    )


def a_refresh_token(
    *,
    user_id: UUID | None = None,
    family_id: UUID | None = None,
    raw_token: str = "raw-refresh-token",
    issued_at: datetime = DEFAULT_NOW,
    lifetime: timedelta = timedelta(days=30),
    rotated_at: datetime | None = None,
    revoked_at: datetime | None = None,
) -> RefreshToken:
    return RefreshToken(
        id=uuid4(),
        user_id=user_id or uuid4(),
        family_id=family_id or uuid4(),
        token_digest=refresh_token_digest(raw_token),
        issued_at=issued_at,
        expires_at=issued_at + lifetime,
        rotated_at=rotated_at,
        revoked_at=revoked_at,
    )


def access_claims(
    *,
    user_id: UUID | None = None,
    session_id: UUID | None = None,
    issued_at: datetime = DEFAULT_NOW,
    lifetime: timedelta = timedelta(minutes=15),
) -> AccessClaims:
    return AccessClaims(
        user_id=user_id or uuid4(),
        session_id=session_id or uuid4(),
        token_id=uuid4().hex,
        issued_at=issued_at,
        expires_at=issued_at + lifetime,
    )


def a_snippet(
    *,
    owner_id: UUID | None = None,
    short_id: str = "abc12345",
    title: str = "hello",
    content: str = "print('hello')",
    visibility: Visibility = Visibility.PUBLIC,
    language: str | None = "python",
    expires_at: datetime | None = None,
    now: datetime = DEFAULT_NOW,
) -> Snippet:
    """A freshly created snippet (version 1, with its SnippetCreated event)."""
    return Snippet.create(
        snippet_id=uuid4(),
        short_id=short_id,
        owner_id=owner_id or uuid4(),
        title=title,
        content=content,
        visibility=visibility,
        language=language,
        expires_at=expires_at,
        now=now,
    )


def an_anonymous_snippet(
    *,
    short_id: str = "anon2345",
    delete_token_digest: str = "d" * 64,
    expires_at: datetime | None = None,
    now: datetime = DEFAULT_NOW,
) -> Snippet:
    """A freshly pasted anonymous snippet: no owner, public, with a delete token's digest."""
    return Snippet.create(
        snippet_id=uuid4(),
        short_id=short_id,
        owner_id=None,
        title="anonymous",
        content="c",
        visibility=Visibility.PUBLIC,
        language=None,
        expires_at=expires_at,
        now=now,
        delete_token_digest=delete_token_digest,
    )
