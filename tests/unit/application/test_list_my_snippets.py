"""ListMySnippets: the caller's snippets, a page at a time, straight from the queries."""

from datetime import timedelta

import pytest

from swiftpaste.application.snippets.list_my_snippets import ListMySnippets
from swiftpaste.domain.users import User
from tests.unit.fakes import FakeSnippetQueries, FakeSnippetRepository, FixedClock, a_snippet


@pytest.fixture
def list_mine(snippet_queries: FakeSnippetQueries) -> ListMySnippets:
    return ListMySnippets(snippet_queries)


@pytest.fixture
def five_snippets(snippets: FakeSnippetRepository, owner: User, clock: FixedClock) -> list[str]:
    """Five snippets created a minute apart; their short ids, oldest first."""
    short_ids = [f"mine{n:04d}" for n in range(1, 6)]
    for minutes, short_id in enumerate(short_ids):
        snippets.seed(
            a_snippet(
                owner_id=owner.id,
                short_id=short_id,
                now=clock.now() + timedelta(minutes=minutes),
            )
        )
    return short_ids


async def test_the_asked_page_is_returned_with_its_paging(
    list_mine: ListMySnippets, five_snippets: list[str], owner: User
) -> None:
    page = await list_mine(owner.id, 2, 2)
    assert [item.short_id for item in page.items] == ["mine0003", "mine0002"]
    assert (page.total, page.page, page.size, page.pages) == (5, 2, 2, 3)


async def test_the_first_page_holds_the_newest_snippets(
    list_mine: ListMySnippets, five_snippets: list[str], owner: User
) -> None:
    page = await list_mine(owner.id, 1, 3)
    assert [item.short_id for item in page.items] == ["mine0005", "mine0004", "mine0003"]


async def test_a_page_past_the_end_is_empty_but_keeps_the_total(
    list_mine: ListMySnippets, five_snippets: list[str], owner: User
) -> None:
    page = await list_mine(owner.id, 4, 2)
    assert (page.items, page.total, page.page) == ((), 5, 4)


async def test_another_users_snippets_are_not_listed(
    list_mine: ListMySnippets, five_snippets: list[str], stranger: User
) -> None:
    page = await list_mine(stranger.id, 1, 10)
    assert (page.items, page.total, page.pages) == ((), 0, 0)


async def test_the_owner_page_and_size_are_passed_through_unchanged(
    list_mine: ListMySnippets, snippet_queries: FakeSnippetQueries, owner: User
) -> None:
    await list_mine(owner.id, 7, 13)
    assert snippet_queries.owned_by_args == [(owner.id, 7, 13)]
