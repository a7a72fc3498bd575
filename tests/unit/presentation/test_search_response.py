"""The search response: JSON written directly, exactly as its documented schema writes it."""

import json
from datetime import UTC, datetime
from uuid import uuid4

from swiftpaste.application.search.search_snippets import SearchResult
from swiftpaste.application.snippets.read_models import Author, Page
from swiftpaste.presentation.http.search import SearchPage, search_page_json


def result(**changes: object) -> SearchResult:
    values: dict[str, object] = {
        "short_id": "aB3dE5fG",
        "title": 'fibonacci — «schnell» "fast" <b>',
        "author": Author(id=uuid4(), username="ada"),
        "language": "python",
        "latest_version": 2,
        "views": 17,
        "created_at": datetime(2026, 11, 21, 23, 18, 29, 549370, tzinfo=UTC),
        "score": 1.4,
        "highlights": ("<mark>fibonacci</mark>", "def <mark>fib</mark>(n): # ✓\\n"),
    }
    return SearchResult(**(values | changes))  # type: ignore[arg-type]


def test_the_json_is_what_the_schema_writes() -> None:
    page = Page(
        (result(), result(language=None, score=0.4, highlights=()), result(score=2.8)),
        total=41,
        page=2,
        size=3,
    )
    written = search_page_json(page)
    assert written == SearchPage.model_validate(json.loads(written)).model_dump_json().encode()
    assert json.loads(written)["pages"] == 14
    assert json.loads(written)["items"][0]["created_at"] == "2026-11-21T23:18:29.549370Z"


def test_an_empty_page() -> None:
    assert json.loads(search_page_json(Page((), total=0, page=1, size=20))) == {
        "items": [],
        "total": 0,
        "page": 1,
        "size": 20,
        "pages": 0,
    }
