"""How a page reads: the `ReadSnippetQuery` of a page request, and conditional answers
(`ETag`/304) for the pages that are the same for every reader."""

import hashlib
from typing import Annotated

from fastapi import Query, Request, Response

from swiftpaste.application.ports.snippets import Representation
from swiftpaste.application.snippets.read_snippet import ReadSnippetQuery
from swiftpaste.presentation.http.conditional import etag_header, none_match
from swiftpaste.presentation.http.reads import read_query
from swiftpaste.presentation.web.sessions import Visitor

ShareToken = Annotated[
    str | None, Query(max_length=256, description="Share token from a private share link.")
]


async def page_query(
    request: Request,
    visitor: Visitor | None,
    short_id: str,
    version: int | None,
    representation: Representation,
    share_token: str | None,
) -> ReadSnippetQuery:
    """The read a page makes: as the visitor's session, as the API's reads are made."""
    access_token = visitor.access_token if visitor else None
    return await read_query(request, short_id, version, representation, share_token, access_token)


def entity_tag(body: bytes) -> str:
    """A page's tag: of the bytes the visitor gets (the session's parts and the live view
    count included), as the `ETag` header writes it."""
    return etag_header(hashlib.blake2b(body, digest_size=16).hexdigest())


def not_modified(request: Request, etag: str) -> bool:
    """Whether the browser's copy (`If-None-Match`) is this one."""
    return none_match(request.headers.get("if-none-match"), etag.strip('"'))


def not_modified_response(etag: str, cache_control: str, visitor: Visitor | None) -> Response:
    response = Response(status_code=304, headers={"ETag": etag, "Cache-Control": cache_control})
    return visitor.apply(response) if visitor else response
