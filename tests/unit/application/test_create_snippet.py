"""CreateSnippet: a new snippet under a fresh short id, within the content limit; anonymous
pastes; idempotency keys."""

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from swiftpaste.application.errors import (
    ContentTooLarge,
    DependencyUnavailable,
    IdempotencyKeyReused,
    NotAuthenticated,
)
from swiftpaste.application.ports.persistence import Reply
from swiftpaste.application.snippets.create_snippet import (
    DELETE_TOKEN_PREFIX,
    SHORT_ID_ATTEMPTS,
    AnonymousPastes,
    CreateSnippet,
    CreateSnippetCommand,
    Idempotency,
    NewSnippet,
    SnippetLimits,
)
from swiftpaste.domain.errors import InvalidSnippet
from swiftpaste.domain.events import SnippetCreated
from swiftpaste.domain.snippets import Snippet, Visibility
from swiftpaste.domain.users import User
from tests.unit.conftest import MAX_CONTENT_BYTES
from tests.unit.fakes import (
    DEFAULT_NOW,
    FakeIdempotencyKeys,
    FakeLanguageDetector,
    FakePasswordHasher,
    FakeSnippetRepository,
    FakeUnitOfWork,
    FixedClock,
    SequenceShortIds,
    a_snippet,
)

ANONYMOUS_MAX_EXPIRY = timedelta(days=7)
Create = Callable[[CreateSnippetCommand], Awaitable[Snippet]]


@pytest.fixture
def anonymous() -> AnonymousPastes:
    return AnonymousPastes(
        enabled=True, max_expiry_seconds=int(ANONYMOUS_MAX_EXPIRY.total_seconds())
    )


@pytest.fixture
def use_case(
    snippets: FakeSnippetRepository,
    uow: FakeUnitOfWork,
    short_ids: SequenceShortIds,
    clock: FixedClock,
    snippet_limits: SnippetLimits,
    anonymous: AnonymousPastes,
    idempotency_keys: FakeIdempotencyKeys,
    hasher: FakePasswordHasher,
    languages: FakeLanguageDetector,
) -> CreateSnippet:
    return CreateSnippet(
        snippets,
        uow,
        short_ids,
        clock,
        snippet_limits,
        anonymous,
        idempotency_keys,
        hasher,
        languages,
    )


@pytest.fixture
def languages() -> FakeLanguageDetector:
    return FakeLanguageDetector()


@pytest.fixture
def written() -> list[NewSnippet]:
    """What the reply writer was given, create after create."""
    return []


def reply_with(written: list[NewSnippet]) -> Callable[[NewSnippet], Reply]:
    def write(new: NewSnippet) -> Reply:
        written.append(new)
        return Reply(201, (("location", new.snippet.short_id),), new.snippet.short_id.encode())

    return write


@pytest.fixture
def create(use_case: CreateSnippet, written: list[NewSnippet]) -> Create:
    """Create, and return the snippet the reply was written for."""

    async def create(command: CreateSnippetCommand) -> Snippet:
        await use_case(command, reply_with(written))
        return written[-1].snippet

    return create


def command(
    owner: User, *, content: str = "print('hi')", title: str = "hi"
) -> CreateSnippetCommand:
    return CreateSnippetCommand(
        owner_id=owner.id,
        title=title,
        content=content,
        visibility=Visibility.PRIVATE,
        language="Python",
    )


async def test_creating_commits_the_snippet_with_its_first_version(
    create: Create, owner: User, snippets: FakeSnippetRepository, clock: FixedClock
) -> None:
    created = await create(command(owner))
    stored = snippets.committed_snippet(created.id)
    assert stored is not None
    assert (stored.owner_id, stored.title, stored.latest_version) == (owner.id, "hi", 1)
    first = stored.version(1)
    assert (first.content, first.visibility, first.language, first.created_at) == (
        "print('hi')",
        Visibility.PRIVATE,
        "python",
        clock.now(),
    )


async def test_creating_uses_the_drawn_short_id(
    create: Create, owner: User, short_ids: SequenceShortIds
) -> None:
    created = await create(command(owner))
    assert [created.short_id] == short_ids.drawn


async def test_creating_hands_one_snippet_created_event_to_the_repository(
    create: Create, owner: User, snippets: FakeSnippetRepository
) -> None:
    created = await create(command(owner))
    assert snippets.saved_events == [
        SnippetCreated(
            snippet_id=created.id,
            short_id=created.short_id,
            owner_id=owner.id,
            occurred_at=created.created_at,
            latest_version=1,
            aggregate_version=1,
            title="hi",
            visibility="private",
            language="python",
            expires_at=None,
        )
    ]


async def test_a_short_id_collision_is_retried_with_a_new_short_id(
    create: Create,
    owner: User,
    snippets: FakeSnippetRepository,
    short_ids: SequenceShortIds,
    uow: FakeUnitOfWork,
) -> None:
    snippets.seed(a_snippet(owner_id=owner.id, short_id="taken001"))
    short_ids.queue("taken001", "free0001")
    created = await create(command(owner))
    assert created.short_id == "free0001"
    assert snippets.add_attempts == ["taken001", "free0001"]
    assert uow.commits == 1


async def test_a_retried_creation_commits_one_snippet_with_one_event(
    create: Create, owner: User, snippets: FakeSnippetRepository
) -> None:
    snippets.taken_short_ids = {"gen00001", "gen00002"}
    created = await create(command(owner))
    assert [s.id for s in snippets.committed_snippets()] == [created.id]
    assert [type(event) for event in snippets.saved_events] == [SnippetCreated]


async def test_a_creation_succeeds_on_the_last_allowed_attempt(
    create: Create, snippets: FakeSnippetRepository, owner: User
) -> None:
    snippets.taken_short_ids = {f"gen{n:05d}" for n in range(1, SHORT_ID_ATTEMPTS)}
    created = await create(command(owner))
    assert created.short_id == f"gen{SHORT_ID_ATTEMPTS:05d}"


async def test_after_five_collisions_creation_gives_up_as_unavailable(
    create: Create,
    owner: User,
    snippets: FakeSnippetRepository,
    short_ids: SequenceShortIds,
    uow: FakeUnitOfWork,
) -> None:
    snippets.taken_short_ids = {f"gen{n:05d}" for n in range(1, 10)}
    with pytest.raises(DependencyUnavailable):
        await create(command(owner))
    assert SHORT_ID_ATTEMPTS == 5
    assert len(short_ids.drawn) == 5
    assert snippets.committed_snippets() == []
    assert uow.commits == 0


async def test_content_of_exactly_the_byte_limit_is_accepted(create: Create, owner: User) -> None:
    created = await create(command(owner, content="é" * (MAX_CONTENT_BYTES // 2)))
    assert created.version(1).size_bytes == MAX_CONTENT_BYTES


async def test_content_over_the_byte_limit_counted_in_utf8_is_refused(
    create: Create,
    owner: User,
    snippets: FakeSnippetRepository,
    short_ids: SequenceShortIds,
    uow: FakeUnitOfWork,
) -> None:
    # Fewer characters than the limit, more bytes: 33 two-byte characters are 66 bytes.
    content = "é" * (MAX_CONTENT_BYTES // 2 + 1)
    assert len(content) < MAX_CONTENT_BYTES
    with pytest.raises(ContentTooLarge, match="bytes"):
        await create(command(owner, content=content))
    assert (snippets.add_attempts, short_ids.drawn, uow.commits) == ([], [], 0)


async def test_an_invalid_title_is_refused_without_commit(
    create: Create, owner: User, snippets: FakeSnippetRepository, uow: FakeUnitOfWork
) -> None:
    with pytest.raises(InvalidSnippet):
        await create(command(owner, title="  "))
    assert (snippets.committed_snippets(), uow.commits) == ([], 0)


async def test_a_past_expiry_is_refused_without_commit(
    create: Create, owner: User, clock: FixedClock, uow: FakeUnitOfWork
) -> None:
    past = CreateSnippetCommand(
        owner_id=owner.id, title="t", content="c", expires_at=clock.now() - timedelta(seconds=1)
    )
    with pytest.raises(InvalidSnippet):
        await create(past)
    assert uow.commits == 0


async def test_a_snippet_is_public_without_language_or_expiry_by_default(
    create: Create, owner: User
) -> None:
    created = await create(CreateSnippetCommand(owner_id=owner.id, title="t", content="c"))
    first = created.version(1)
    assert (first.visibility, first.language, first.expires_at) == (Visibility.PUBLIC, None, None)


# --- read conditions ---------------------------------------------------------------------


async def test_the_conditions_are_stored_with_the_first_version(
    create: Create, owner: User, snippets: FakeSnippetRepository, clock: FixedClock
) -> None:
    created = await create(
        replace(
            command(owner),
            expires_in="1w",
            burn_after_reading=True,
            max_views=3,
            password="open sesame",
        )
    )
    stored = snippets.committed_snippet(created.id)
    assert stored is not None
    first = stored.version(1)
    assert first.expires_at == clock.now() + timedelta(weeks=1)
    assert (first.burn_after_reading, first.max_views) == (True, 3)
    assert first.password_hash == "hashed:open sesame"  # hashed, never kept as given


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"expires_in": "2d"}, "expires_in"),
        ({"expires_in": "1h", "expires_at": DEFAULT_NOW + timedelta(days=1)}, "not both"),
        ({"max_views": 0}, "max_views"),
        ({"password": "short"}, "password"),
        ({"password": "x" * 129}, "password"),
    ],
    ids=["unknown-preset", "both-expiries", "no-views", "short-password", "long-password"],
)
async def test_bad_conditions_are_refused_and_nothing_is_stored(
    create: Create,
    owner: User,
    snippets: FakeSnippetRepository,
    uow: FakeUnitOfWork,
    changes: dict[str, Any],
    message: str,
) -> None:
    with pytest.raises(InvalidSnippet, match=message):
        await create(replace(command(owner), **changes))
    assert snippets.committed_snippets() == []
    assert not uow.committed


# --- anonymous pastes --------------------------------------------------------------


def anonymous_paste(**fields: object) -> CreateSnippetCommand:
    values: dict[str, object] = {"owner_id": None, "title": "t", "content": "c"} | fields
    return CreateSnippetCommand(**values)  # type: ignore[arg-type]


async def test_an_anonymous_paste_has_no_owner_and_a_delete_token_kept_as_a_digest(
    use_case: CreateSnippet, written: list[NewSnippet], snippets: FakeSnippetRepository
) -> None:
    await use_case(anonymous_paste(), reply_with(written))
    (new,) = written
    assert new.delete_token is not None
    assert new.delete_token.startswith(DELETE_TOKEN_PREFIX)
    stored = snippets.committed_snippet(new.snippet.id)
    assert stored is not None
    assert stored.owner_id is None
    digest = hashlib.sha256(new.delete_token.encode()).hexdigest()
    assert stored.delete_token_digest == digest


async def test_a_signed_in_paste_has_no_delete_token(
    create: Create, written: list[NewSnippet], owner: User
) -> None:
    snippet = await create(command(owner))
    assert (written[-1].delete_token, snippet.delete_token_digest) == (None, None)


async def test_an_anonymous_paste_without_expiry_gets_the_longest(
    create: Create, clock: FixedClock
) -> None:
    snippet = await create(anonymous_paste())
    assert snippet.version(1).expires_at == clock.now() + ANONYMOUS_MAX_EXPIRY


async def test_an_anonymous_paste_may_expire_sooner(create: Create, clock: FixedClock) -> None:
    soon = clock.now() + timedelta(hours=1)
    snippet = await create(anonymous_paste(expires_at=soon))
    assert snippet.version(1).expires_at == soon


async def test_an_anonymous_paste_living_longer_than_allowed_is_refused(
    create: Create, clock: FixedClock, uow: FakeUnitOfWork
) -> None:
    later = clock.now() + ANONYMOUS_MAX_EXPIRY + timedelta(seconds=1)
    with pytest.raises(InvalidSnippet, match="expires within"):
        await create(anonymous_paste(expires_at=later))
    assert uow.commits == 0


async def test_an_anonymous_paste_is_never_private(
    create: Create, snippets: FakeSnippetRepository
) -> None:
    with pytest.raises(InvalidSnippet, match="cannot be private"):
        await create(anonymous_paste(visibility=Visibility.PRIVATE))
    assert snippets.committed_snippets() == []


async def test_with_anonymous_pastes_off_a_paste_without_owner_needs_credentials(
    use_case: CreateSnippet,
    anonymous: AnonymousPastes,
    written: list[NewSnippet],
    uow: FakeUnitOfWork,
) -> None:
    object.__setattr__(use_case, "_anonymous", replace(anonymous, enabled=False))
    with pytest.raises(NotAuthenticated, match="authentication required"):
        await use_case(anonymous_paste(), reply_with(written))
    assert (written, uow.commits) == ([], 0)


# --- idempotency keys ----------------------------------------------------------------

KEY = Idempotency(caller="user:ada", key="retry-1", form="json")


async def test_a_key_used_again_with_the_same_request_gets_the_first_reply(
    use_case: CreateSnippet,
    written: list[NewSnippet],
    owner: User,
    snippets: FakeSnippetRepository,
) -> None:
    keyed = replace(command(owner), idempotency=KEY)
    first = await use_case(keyed, reply_with(written))
    again = await use_case(keyed, reply_with(written))
    assert again == first
    assert len(written) == 1
    assert len(snippets.committed_snippets()) == 1


async def test_the_reply_is_committed_with_the_snippet(
    use_case: CreateSnippet,
    written: list[NewSnippet],
    owner: User,
    idempotency_keys: FakeIdempotencyKeys,
) -> None:
    first = await use_case(replace(command(owner), idempotency=KEY), reply_with(written))
    assert idempotency_keys.committed_reply(KEY.caller, KEY.key) == first


async def test_a_key_used_again_with_another_request_is_refused(
    use_case: CreateSnippet, written: list[NewSnippet], owner: User
) -> None:
    await use_case(replace(command(owner), idempotency=KEY), reply_with(written))
    other = replace(command(owner, content="something else"), idempotency=KEY)
    with pytest.raises(IdempotencyKeyReused):
        await use_case(other, reply_with(written))
    assert len(written) == 1


async def test_the_same_key_in_another_form_is_another_request(
    use_case: CreateSnippet, written: list[NewSnippet], owner: User
) -> None:
    await use_case(replace(command(owner), idempotency=KEY), reply_with(written))
    as_text = replace(command(owner), idempotency=replace(KEY, form="text"))
    with pytest.raises(IdempotencyKeyReused):
        await use_case(as_text, reply_with(written))


async def test_keys_of_different_callers_do_not_meet(
    use_case: CreateSnippet, written: list[NewSnippet], owner: User
) -> None:
    await use_case(replace(command(owner), idempotency=KEY), reply_with(written))
    await use_case(
        replace(command(owner), idempotency=replace(KEY, caller="ip:198.51.100.7")),
        reply_with(written),
    )
    assert len(written) == 2


async def test_bad_input_claims_no_key(
    use_case: CreateSnippet,
    written: list[NewSnippet],
    owner: User,
    idempotency_keys: FakeIdempotencyKeys,
) -> None:
    too_large = replace(command(owner, content="x" * (MAX_CONTENT_BYTES + 1)), idempotency=KEY)
    with pytest.raises(ContentTooLarge):
        await use_case(too_large, reply_with(written))
    await use_case(replace(command(owner), idempotency=KEY), reply_with(written))
    assert idempotency_keys.committed_reply(KEY.caller, KEY.key) is not None


async def test_a_given_language_wins_and_nothing_is_guessed(
    create: Create, owner: User, languages: FakeLanguageDetector
) -> None:
    created = await create(
        CreateSnippetCommand(
            owner_id=owner.id, title="t", content="lang: go\n", language="Ruby", filename="a.py"
        )
    )
    assert (created.version(1).language, created.filename) == ("ruby", "a.py")
    assert languages.asked == []


async def test_without_a_language_the_file_name_then_the_content_name_it(
    create: Create, owner: User, languages: FakeLanguageDetector
) -> None:
    by_name = await create(
        CreateSnippetCommand(owner_id=owner.id, title="t", content="lang: go\n", filename="m.rs")
    )
    by_content = await create(
        CreateSnippetCommand(owner_id=owner.id, title="t", content="lang: go\nfunc main()")
    )
    unknown = await create(CreateSnippetCommand(owner_id=owner.id, title="t", content="text"))
    assert [s.version(1).language for s in (by_name, by_content, unknown)] == [
        "rust",
        "go",
        None,
    ]
    assert [s.filename for s in (by_name, by_content, unknown)] == ["m.rs", None, None]
    assert languages.asked[0] == ("lang: go\n", "m.rs")


@pytest.mark.parametrize(
    "filename", ["../etc/passwd", "a/b.py", "a\\b.py", "..", "a\nb", "x" * 256]
)
async def test_a_file_name_with_folders_or_controls_is_refused_without_commit(
    create: Create, owner: User, uow: FakeUnitOfWork, filename: str
) -> None:
    with pytest.raises(InvalidSnippet, match="filename"):
        await create(
            CreateSnippetCommand(owner_id=owner.id, title="t", content="c", filename=filename)
        )
    assert uow.commits == 0
