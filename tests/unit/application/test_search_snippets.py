"""SearchSnippets: the query and filters checked, the port asked, highlights added."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from swiftpaste.application.errors import InvalidQuery
from swiftpaste.application.ports.search import SearchCriteria, SearchHit, SearchHits
from swiftpaste.application.search.query import Word
from swiftpaste.application.search.search_snippets import SearchSnippets, SearchSnippetsQuery
from swiftpaste.application.snippets.read_models import Author


@dataclass
class FakeSearchQueries:
    hits: tuple[SearchHit, ...] = ()
    total: int = 0
    asked: list[SearchCriteria] = field(default_factory=list)

    async def search(self, criteria: SearchCriteria) -> SearchHits:
        self.asked.append(criteria)
        return SearchHits(self.hits, self.total)


def a_hit(title: str, content: str) -> SearchHit:
    return SearchHit(
        snippet_id=uuid4(),
        short_id="aB3dE5fG",
        title=title,
        author=Author(uuid4(), "ada"),
        language="python",
        latest_version=2,
        views=7,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        score=1.0,
        content_excerpt=content,
    )


@pytest.fixture
def queries() -> FakeSearchQueries:
    return FakeSearchQueries()


@pytest.fixture
def search(queries: FakeSearchQueries) -> SearchSnippets:
    return SearchSnippets(queries)


async def test_the_page_carries_the_hits_with_highlights(
    search: SearchSnippets, queries: FakeSearchQueries
) -> None:
    queries.hits, queries.total = (a_hit("fibonacci", "def fib(n): ..."),), 41
    page = await search(SearchSnippetsQuery(text="fib", reader_id=None, page=3, size=20))
    (result,) = page.items
    assert result.highlights == ("<mark>fibonacci</mark>", "def <mark>fib</mark>(n): ...")
    assert result.author is not None
    assert (result.short_id, result.author.username, result.views) == ("aB3dE5fG", "ada", 7)
    assert (page.total, page.page, page.size, page.pages) == (41, 3, 20, 3)
    (criteria,) = queries.asked
    assert (criteria.offset, criteria.limit) == (40, 20)
    assert criteria.query.required == (Word("fib", prefix=True),)


async def test_filters_are_normalized(search: SearchSnippets, queries: FakeSearchQueries) -> None:
    reader = uuid4()
    await search(
        SearchSnippetsQuery(
            text="fib",
            reader_id=reader,
            author=" Ada ",
            language=" Python ",
            created_after=datetime(2026, 1, 1),  # noqa: DTZ001 - no zone: taken as UTC
        ),
    )
    (criteria,) = queries.asked
    assert (criteria.reader_id, criteria.author, criteria.language) == (reader, "Ada", "python")
    assert criteria.created_after == datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "request_",
    [
        SearchSnippetsQuery(text="", reader_id=None),
        SearchSnippetsQuery(text="fib", reader_id=None, size=101),
        SearchSnippetsQuery(text="fib", reader_id=None, page=0),
        SearchSnippetsQuery(text="fib", reader_id=None, page=501, size=20),
        SearchSnippetsQuery(text="fib", reader_id=None, author="a b"),
        SearchSnippetsQuery(text="fib", reader_id=None, author="ada\x00"),
        SearchSnippetsQuery(text="fib", reader_id=None, language="py\x00thon"),
        SearchSnippetsQuery(text="fib", reader_id=None, language="x" * 33),
        SearchSnippetsQuery(
            text="fib",
            reader_id=None,
            created_after=datetime(2026, 2, 1, tzinfo=UTC),
            created_before=datetime(2026, 1, 1, tzinfo=UTC),
        ),
    ],
)
async def test_unusable_requests_are_refused_before_any_search(
    search: SearchSnippets, queries: FakeSearchQueries, request_: SearchSnippetsQuery
) -> None:
    with pytest.raises(InvalidQuery):
        await search(request_)
    assert queries.asked == []
