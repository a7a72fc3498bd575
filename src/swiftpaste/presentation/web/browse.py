"""The visitor's own snippets and the search page, and the static assets pages link."""

import html
from typing import Annotated

from dishka.integrations.fastapi import FromDishka
from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import RedirectResponse
from markupsafe import Markup, escape

from swiftpaste.application.errors import InvalidQuery
from swiftpaste.application.search.highlight import MARK_END, MARK_START
from swiftpaste.application.search.search_snippets import (
    MAX_PAGE_SIZE,
    MAX_RESULT_WINDOW,
    SearchSnippets,
    SearchSnippetsQuery,
)
from swiftpaste.application.snippets.list_my_snippets import ListMySnippets
from swiftpaste.presentation.http.rate_limit import rate_limit
from swiftpaste.presentation.web.errors import PageRoute
from swiftpaste.presentation.web.layout import Layout, html_response
from swiftpaste.presentation.web.sessions import Visitor, visitor_of
from swiftpaste.presentation.web.snippet_pages import ANONYMOUS, display_time
from swiftpaste.presentation.web.templating import StaticAssets

router = APIRouter(route_class=PageRoute, include_in_schema=False)
CurrentVisitor = Annotated[Visitor, Depends(visitor_of)]
_reads = [Depends(rate_limit("read"))]
MINE_PAGE_SIZE = 50
SEARCH_PAGE_SIZE = 20


@router.get("/mine", dependencies=_reads)
async def my_snippets(
    visitor: CurrentVisitor,
    list_mine: FromDishka[ListMySnippets],
    layout: FromDishka[Layout],
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """The visitor's snippets, newest first, with their views."""
    if visitor.signed_in is None:
        return RedirectResponse("/signin?next=/mine", status_code=303)
    mine = await list_mine(visitor.signed_in.user.id, page, MINE_PAGE_SIZE)
    body = layout.render(
        "mine.html",
        visitor,
        snippets=[
            {
                "short_id": s.short_id,
                "title": s.title,
                "latest_version": s.latest_version,
                "views": s.views,
                "updated": display_time(s.updated_at),
            }
            for s in mine.items
        ],
        page=mine.page,
        pages=mine.pages,
        total=mine.total,
    )
    return html_response(body, visitor)


def marked(fragment: str) -> Markup:
    """A search highlight as HTML: its text escaped anew, its `<mark>` tags kept, so no
    other markup can reach the page whatever the fragment holds."""
    pieces = []
    rest = fragment
    while True:
        before, start, after = rest.partition(MARK_START)
        pieces.append(escape(html.unescape(before)))
        if not start:
            break
        inside, end, rest = after.partition(MARK_END)
        pieces.append(Markup("<mark>{}</mark>").format(html.unescape(inside)))
        if not end:
            break
    return Markup("").join(pieces)


@router.get("/search", dependencies=_reads)
async def search_page(
    visitor: CurrentVisitor,
    search: FromDishka[SearchSnippets],
    layout: FromDishka[Layout],
    q: Annotated[str, Query(max_length=256)] = "",
    page: Annotated[int, Query(ge=1, le=MAX_RESULT_WINDOW)] = 1,
) -> Response:
    """Search everything the visitor may see, with the matches marked."""
    results, error, total, pages = [], None, 0, 0
    if q.strip():
        try:
            found = await search(
                SearchSnippetsQuery(
                    text=q,
                    reader_id=visitor.user_id,
                    page=page,
                    size=min(SEARCH_PAGE_SIZE, MAX_PAGE_SIZE),
                )
            )
        except InvalidQuery as refused:
            error = str(refused)
        else:
            total, pages = found.total, found.pages
            results = [
                {
                    "short_id": r.short_id,
                    "title": r.title,
                    "author": r.author.username if r.author else ANONYMOUS,
                    "language": r.language,
                    "views": r.views,
                    "created": display_time(r.created_at),
                    "highlights": [marked(h) for h in r.highlights],
                }
                for r in found.items
            ]
    body = layout.render(
        "search.html",
        visitor,
        query=q,
        results=results,
        error=error,
        total=total,
        page=page,
        pages=pages,
    )
    return html_response(body, visitor, 422 if error else 200)


@router.get("/static/{name}")
async def static_asset(name: str, assets: FromDishka[StaticAssets]) -> Response:
    asset = assets.get(name)
    if asset is None:
        return Response(status_code=404)
    # The URL carries the content's digest: a new content is a new URL.
    headers = {"Cache-Control": "public, max-age=31536000, immutable", "ETag": f'"{asset.etag}"'}
    return Response(asset.body, media_type=asset.media_type, headers=headers)
