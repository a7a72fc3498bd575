"""The snippet's pages: a version (`/{short_id}`, `/{short_id}/v/{n}`), the embed, and
the changes between two versions. Every one reads through the read path's use cases."""

import re
from typing import Annotated
from urllib.parse import quote

from dishka.integrations.fastapi import FromDishka
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from markupsafe import Markup, escape

from swiftpaste.application.errors import InvalidQuery
from swiftpaste.application.ports.snippets import Representation
from swiftpaste.application.snippets.diff_versions import DiffSnippetVersions
from swiftpaste.application.snippets.read_snippet import ReadSnippet
from swiftpaste.application.snippets.share_snippet import SharePolicy
from swiftpaste.presentation.http.rate_limit import rate_limit_headers
from swiftpaste.presentation.http.snippet_schemas import MAX_VERSION
from swiftpaste.presentation.web.errors import PageRoute
from swiftpaste.presentation.web.highlighting import highlight_diff
from swiftpaste.presentation.web.layout import (
    PRIVATE_PAGE,
    REVALIDATED_PAGE,
    Layout,
    html_response,
)
from swiftpaste.presentation.web.presets import share_windows
from swiftpaste.presentation.web.reading import (
    ShareToken,
    entity_tag,
    not_modified,
    not_modified_response,
    page_query,
)
from swiftpaste.presentation.web.sessions import Visitor, visitor_of
from swiftpaste.presentation.web.snippet_pages import PageFacts, fill_slots, split_page
from swiftpaste.presentation.web.templating import EMBED_CSP, PAGE_CSP

router = APIRouter(route_class=PageRoute, include_in_schema=False)

CurrentVisitor = Annotated[Visitor, Depends(visitor_of)]
VersionNumber = Annotated[int, Path(ge=1, le=MAX_VERSION)]
_SPAN = re.compile(r"(\d{1,10})\.\.(\d{1,10})")


@router.get("/{short_id}")
async def latest_page(
    request: Request,
    short_id: str,
    visitor: CurrentVisitor,
    read: FromDishka[ReadSnippet],
    layout: FromDishka[Layout],
    policy: FromDishka[SharePolicy],
    token: ShareToken = None,
) -> Response:
    """The latest version of a snippet, as a page."""
    return await _page(request, short_id, None, token, visitor, read, layout, policy)


@router.get("/{short_id}/v/{number}")
async def version_page(
    request: Request,
    short_id: str,
    number: VersionNumber,
    visitor: CurrentVisitor,
    read: FromDishka[ReadSnippet],
    layout: FromDishka[Layout],
    policy: FromDishka[SharePolicy],
    token: ShareToken = None,
) -> Response:
    """One version of a snippet, as a page."""
    return await _page(request, short_id, number, token, visitor, read, layout, policy)


async def _page(
    request: Request,
    short_id: str,
    number: int | None,
    token: str | None,
    visitor: Visitor,
    read: ReadSnippet,
    layout: Layout,
    policy: SharePolicy,
) -> Response:
    query = await page_query(request, visitor, short_id, number, Representation.PAGE, token)
    found = await read(query)
    facts, html = split_page(found.body)
    body = fill_slots(
        html,
        session=layout.session_nav(visitor),
        owner=_owner_controls(layout, visitor, short_id, facts, policy),
        token=str(escape(f"&token={quote(token, safe='')}")) if token else "",
    )
    return _answer(request, body, facts, visitor, rate_limit_headers(found.decision))


def _owner_controls(
    layout: Layout, visitor: Visitor, short_id: str, facts: PageFacts, policy: SharePolicy
) -> str:
    """Edit, share and delete: rendered here, for the owner alone, never cached."""
    if visitor.user_id != facts.owner_id:
        return ""
    return layout.fragment(
        "_owner.html",
        short_id=short_id,
        snippet_id=facts.snippet_id,
        version=facts.version,
        csrf_token=visitor.csrf_token,
        windows=share_windows(policy),
    )


def _answer(
    request: Request,
    body: bytes,
    facts: PageFacts,
    visitor: Visitor | None,
    headers: dict[str, str],
    csp: str = PAGE_CSP,
) -> Response:
    """The page; for a public version with its `ETag`, or 304 when the browser has it."""
    cache_control = PRIVATE_PAGE
    if facts.public:
        cache_control = REVALIDATED_PAGE
        headers["ETag"] = etag = entity_tag(body)
        if not_modified(request, etag):
            return not_modified_response(etag, cache_control, visitor)
    return html_response(body, visitor, cache_control=cache_control, headers=headers, csp=csp)


@router.get("/{short_id}/embed")
async def embed(
    request: Request,
    short_id: str,
    read: FromDishka[ReadSnippet],
    v: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
    token: ShareToken = None,
) -> Response:
    """A version, highlighted, for an iframe on another site (the one page that may be
    framed). Other sites' frames send no cookies: an embed is read anonymously."""
    query = await page_query(request, None, short_id, v, Representation.EMBED, token)
    found = await read(query)
    facts, html = split_page(found.body)
    return _answer(request, html, facts, None, rate_limit_headers(found.decision), EMBED_CSP)


@router.get("/{short_id}/diff/{span}")
async def diff_page(
    request: Request,
    short_id: str,
    span: str,
    visitor: CurrentVisitor,
    diff: FromDishka[DiffSnippetVersions],
    layout: FromDishka[Layout],
    token: ShareToken = None,
) -> Response:
    """What changed from version A to version B (`/{short_id}/diff/A..B`)."""
    matched = _SPAN.fullmatch(span)
    if matched is None:
        raise InvalidQuery("name the two versions as A..B, for instance 1..2")
    old, new = int(matched[1]), int(matched[2])
    if not (1 <= old <= MAX_VERSION and 1 <= new <= MAX_VERSION):
        raise InvalidQuery(f"versions are numbered from 1 to {MAX_VERSION}")
    query = await page_query(request, visitor, short_id, None, Representation.RAW, token)
    changes = await diff(query, old, new)
    body = layout.render(
        "diff.html",
        visitor,
        short_id=short_id,
        old=old,
        new=new,
        added=changes.added,
        removed=changes.removed,
        code=highlight_diff(changes.unified) if changes.unified else Markup(""),
    )
    return html_response(body, visitor, headers=rate_limit_headers(changes.decision))
