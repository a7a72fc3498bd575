"""Search route: `GET /v1/api/snippet/search`.

A router of its own, included before the snippet routes: their `GET /{short_id}` would
otherwise take `search` for a short id.

The response is written straight from the use case's results as JSON (`search_page_json`);
`SearchPage` describes that JSON (OpenAPI, tests) but a search builds no pydantic model:
validating twenty items again would cost more than everything else the route does.
"""

from datetime import datetime
from typing import Annotated

from dishka.integrations.fastapi import FromDishka
from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from pydantic_core import to_json

from swiftpaste.application.search.search_snippets import (
    MAX_PAGE_SIZE,
    MAX_RESULT_WINDOW,
    SearchResult,
    SearchSnippets,
    SearchSnippetsQuery,
)
from swiftpaste.application.snippets.read_models import Page
from swiftpaste.presentation.http.errors import error_responses
from swiftpaste.presentation.http.rate_limit import rate_limit
from swiftpaste.presentation.http.request_models import RequestModel
from swiftpaste.presentation.http.routing import RequestScopedRoute
from swiftpaste.presentation.http.security import ReaderId
from swiftpaste.presentation.http.snippet_schemas import AuthorOut

router = APIRouter(prefix="/v1/api/snippet", tags=["search"], route_class=RequestScopedRoute)


class SearchItem(BaseModel):
    short_id: str
    title: str
    author: AuthorOut | None
    language: str | None
    latest_version: int
    views: int
    created_at: datetime
    score: float
    highlights: list[str]


class SearchPage(BaseModel):
    items: list[SearchItem]
    total: int
    page: int
    size: int
    pages: int


def search_page_json(page: Page[SearchResult]) -> bytes:
    """The `SearchPage` JSON of a page of results, as `SearchPage.model_dump_json` writes it."""
    items = [
        {
            "short_id": result.short_id,
            "title": result.title,
            "author": (
                None
                if result.author is None
                else {"id": result.author.id, "username": result.author.username}
            ),
            "language": result.language,
            "latest_version": result.latest_version,
            "views": result.views,
            "created_at": result.created_at,
            "score": result.score,
            "highlights": result.highlights,
        }
        for result in page.items
    ]
    return to_json(
        {
            "items": items,
            "total": page.total,
            "page": page.page,
            "size": page.size,
            "pages": page.pages,
        }
    )


class SearchParams(RequestModel):
    """The query of a search."""

    query: str = Field(
        description=(
            'Words (all must match), "quoted phrases", `a or b`, `-excluded`;'
            " at most 256 characters."
        ),
    )
    page: int = Field(default=1, ge=1, le=MAX_RESULT_WINDOW)
    size: int = Field(default=20, ge=1, le=MAX_PAGE_SIZE)
    author: str | None = Field(default=None, description="Username of the author.")
    language: str | None = Field(default=None, description="Language, e.g. python.")
    created_after: datetime | None = Field(
        default=None, description="ISO 8601; without a zone, UTC."
    )
    created_before: datetime | None = Field(
        default=None, description="ISO 8601; without a zone, UTC."
    )


@router.get(
    "/search",
    response_model=SearchPage,
    response_class=JSONResponse,
    dependencies=[Depends(rate_limit("read"))],
    responses=error_responses(401, 403, 422, 429, 503),
)
async def search_snippets(
    reader: ReaderId,
    search: FromDishka[SearchSnippets],
    response: Response,
    params: Annotated[SearchParams, Query()],
) -> Response:
    """Snippets the caller may see that match the query, best first, with highlights.

    Anonymous callers search public snippets (not past a share window); signed-in
    callers also their own, whatever their visibility. Highlights are HTML-escaped
    fragments with the matches in `<mark>`…`</mark>`.
    """
    found = await search(
        SearchSnippetsQuery(
            text=params.query,
            reader_id=reader,
            page=params.page,
            size=params.size,
            author=params.author,
            language=params.language,
            created_after=params.created_after,
            created_before=params.created_before,
        ),
    )
    # Headers set by dependencies (rate limits) live on `response`.
    return Response(
        search_page_json(found), media_type="application/json", headers=response.headers
    )
