"""CreateSnippet: a new snippet under a fresh short id, within the content limit."""

from datetime import timedelta

import pytest

from swiftpaste.application.errors import ContentTooLarge, DependencyUnavailable
from swiftpaste.application.snippets.create_snippet import (
    SHORT_ID_ATTEMPTS,
    CreateSnippet,
    CreateSnippetCommand,
    SnippetLimits,
)
from swiftpaste.domain.errors import InvalidSnippet
from swiftpaste.domain.events import SnippetCreated
from swiftpaste.domain.snippets import Visibility
from swiftpaste.domain.users import User
from tests.unit.conftest import MAX_CONTENT_BYTES
from tests.unit.fakes import (
    FakeLanguageDetector,
    FakeSnippetRepository,
    FakeUnitOfWork,
    FixedClock,
    SequenceShortIds,
    a_snippet,
)


@pytest.fixture
def create(
    snippets: FakeSnippetRepository,
    uow: FakeUnitOfWork,
    short_ids: SequenceShortIds,
    clock: FixedClock,
    snippet_limits: SnippetLimits,
    languages: FakeLanguageDetector,
) -> CreateSnippet:
    return CreateSnippet(snippets, uow, short_ids, clock, snippet_limits, languages)


@pytest.fixture
def languages() -> FakeLanguageDetector:
    return FakeLanguageDetector()


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
    create: CreateSnippet, owner: User, snippets: FakeSnippetRepository, clock: FixedClock
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
    create: CreateSnippet, owner: User, short_ids: SequenceShortIds
) -> None:
    created = await create(command(owner))
    assert [created.short_id] == short_ids.drawn


async def test_creating_hands_one_snippet_created_event_to_the_repository(
    create: CreateSnippet, owner: User, snippets: FakeSnippetRepository
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
    create: CreateSnippet,
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
    create: CreateSnippet, owner: User, snippets: FakeSnippetRepository
) -> None:
    snippets.taken_short_ids = {"gen00001", "gen00002"}
    created = await create(command(owner))
    assert [s.id for s in snippets.committed_snippets()] == [created.id]
    assert [type(event) for event in snippets.saved_events] == [SnippetCreated]


async def test_a_creation_succeeds_on_the_last_allowed_attempt(
    create: CreateSnippet, snippets: FakeSnippetRepository, owner: User
) -> None:
    snippets.taken_short_ids = {f"gen{n:05d}" for n in range(1, SHORT_ID_ATTEMPTS)}
    created = await create(command(owner))
    assert created.short_id == f"gen{SHORT_ID_ATTEMPTS:05d}"


async def test_after_five_collisions_creation_gives_up_as_unavailable(
    create: CreateSnippet,
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


async def test_content_of_exactly_the_byte_limit_is_accepted(
    create: CreateSnippet, owner: User
) -> None:
    created = await create(command(owner, content="é" * (MAX_CONTENT_BYTES // 2)))
    assert created.version(1).size_bytes == MAX_CONTENT_BYTES


async def test_content_over_the_byte_limit_counted_in_utf8_is_refused(
    create: CreateSnippet,
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
    create: CreateSnippet, owner: User, snippets: FakeSnippetRepository, uow: FakeUnitOfWork
) -> None:
    with pytest.raises(InvalidSnippet):
        await create(command(owner, title="  "))
    assert (snippets.committed_snippets(), uow.commits) == ([], 0)


async def test_a_past_expiry_is_refused_without_commit(
    create: CreateSnippet, owner: User, clock: FixedClock, uow: FakeUnitOfWork
) -> None:
    past = CreateSnippetCommand(
        owner_id=owner.id, title="t", content="c", expires_at=clock.now() - timedelta(seconds=1)
    )
    with pytest.raises(InvalidSnippet):
        await create(past)
    assert uow.commits == 0


async def test_a_snippet_is_public_without_language_or_expiry_by_default(
    create: CreateSnippet, owner: User
) -> None:
    created = await create(CreateSnippetCommand(owner_id=owner.id, title="t", content="c"))
    first = created.version(1)
    assert (first.visibility, first.language, first.expires_at) == (Visibility.PUBLIC, None, None)


async def test_a_given_language_wins_and_nothing_is_guessed(
    create: CreateSnippet, owner: User, languages: FakeLanguageDetector
) -> None:
    created = await create(
        CreateSnippetCommand(
            owner_id=owner.id, title="t", content="lang: go\n", language="Ruby", filename="a.py"
        )
    )
    assert (created.version(1).language, created.filename) == ("ruby", "a.py")
    assert languages.asked == []


async def test_without_a_language_the_file_name_then_the_content_name_it(
    create: CreateSnippet, owner: User, languages: FakeLanguageDetector
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
    create: CreateSnippet, owner: User, uow: FakeUnitOfWork, filename: str
) -> None:
    with pytest.raises(InvalidSnippet, match="filename"):
        await create(
            CreateSnippetCommand(owner_id=owner.id, title="t", content="c", filename=filename)
        )
    assert uow.commits == 0
