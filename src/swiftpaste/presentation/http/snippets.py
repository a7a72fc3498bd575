"""Snippet routes under /v1/api/snippet: create, list, versions, revise, delete, share.

The reads of a snippet are in `reads.py`, search in `search.py`."""

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode
from uuid import UUID

from dishka.integrations.fastapi import FromDishka
from fastapi import APIRouter, Depends, Query, Response, status
from fastapi.responses import JSONResponse

from swiftpaste.application.snippets.create_snippet import CreateSnippet, CreateSnippetCommand
from swiftpaste.application.snippets.delete_snippet import DeleteSnippet
from swiftpaste.application.snippets.list_my_snippets import ListMySnippets
from swiftpaste.application.snippets.list_versions import ListSnippetVersions
from swiftpaste.application.snippets.read_models import Author, SnippetDetails
from swiftpaste.application.snippets.revise_snippet import ReviseSnippet, ReviseSnippetCommand
from swiftpaste.application.snippets.share_snippet import ShareSnippet, ShareSnippetCommand
from swiftpaste.domain.errors import SnippetNotFound
from swiftpaste.domain.snippets import Snippet, is_short_id
from swiftpaste.presentation.http.rate_limit import (
    rate_limit,
)
from swiftpaste.presentation.http.routing import RequestScopedRoute
from swiftpaste.presentation.http.security import CurrentUser, ReaderId
from swiftpaste.presentation.http.snippet_schemas import (
    MAX_VERSION,
    HttpSnippetRenderer,
    ShareRequest,
    ShareResponse,
    SnippetCreate,
    SnippetPage,
    SnippetResponse,
    SnippetUpdate,
    VersionList,
    VersionSummaryOut,
)

router = APIRouter(prefix="/v1/api/snippet", tags=["snippets"], route_class=RequestScopedRoute)
_reads = [Depends(rate_limit("read"))]
_writes = [Depends(rate_limit("write"))]

_JSON = "application/json"
_renderer = HttpSnippetRenderer()


@dataclass(frozen=True, slots=True)
class PublicLinks:
    """Where people reach this service from outside: links handed out open the pages."""

    base_url: str

    def snippet(self, short_id: str, version: int, token: str | None) -> str:
        """The page of one version; a private version's link carries its share token."""
        query = f"?{urlencode({'token': token})}" if token else ""
        return f"{self.base_url.rstrip('/')}/{short_id}/v/{version}{query}"


VersionParam = Annotated[int | None, Query(ge=1, le=MAX_VERSION, description="Version number.")]


def _json(body: bytes, response: Response, status_code: int = status.HTTP_200_OK) -> Response:
    # Headers set by dependencies (rate limits) live on `response`; FastAPI copies them
    # only onto responses it builds itself.
    return Response(body, status_code=status_code, media_type=_JSON, headers=response.headers)


def _owner_view(
    snippet: Snippet, caller: CurrentUser, response: Response, status_code: int = 200
) -> Response:
    details = SnippetDetails(snippet, Author(caller.user.id, caller.user.username))
    return _json(_renderer.render(details, snippet.version()), response, status_code)


@router.post(
    "/",
    status_code=status.HTTP_201_CREATED,
    response_model=SnippetResponse,
    response_class=JSONResponse,
    dependencies=_writes,
)
async def create_snippet(
    body: SnippetCreate, caller: CurrentUser, create: FromDishka[CreateSnippet], response: Response
) -> Response:
    """Paste new content; the answer carries the short id of its link."""
    snippet = await create(
        CreateSnippetCommand(
            owner_id=caller.user.id,
            title=body.title,
            content=body.content,
            visibility=body.visibility,
            language=body.language,
            expires_at=body.expires_at,
            filename=body.filename,
        ),
    )
    return _owner_view(snippet, caller, response, status.HTTP_201_CREATED)


@router.get("/", dependencies=_reads)
async def list_my_snippets(
    caller: CurrentUser,
    list_mine: FromDishka[ListMySnippets],
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 50,
) -> SnippetPage:
    """The caller's snippets, newest first."""
    return SnippetPage.of(await list_mine(caller.user.id, page, size))


@router.get("/{short_id}/versions", dependencies=_reads)
async def list_versions(
    short_id: str, reader: ReaderId, list_snippet_versions: FromDishka[ListSnippetVersions]
) -> VersionList:
    """The versions the caller may see, oldest first."""
    if not is_short_id(short_id):
        raise SnippetNotFound("snippet not found")
    versions = await list_snippet_versions(short_id, reader)
    return VersionList(items=[VersionSummaryOut.of(v) for v in versions])


@router.put(
    "/{snippet_id}",
    response_model=SnippetResponse,
    response_class=JSONResponse,
    dependencies=_writes,
)
async def revise_snippet(
    snippet_id: UUID,
    body: SnippetUpdate,
    caller: CurrentUser,
    revise: FromDishka[ReviseSnippet],
    response: Response,
) -> Response:
    """Change the title, or create a new version (content, visibility, language)."""
    snippet = await revise(
        ReviseSnippetCommand(
            snippet_id=snippet_id,
            editor_id=caller.user.id,
            title=body.title,
            content=body.content,
            visibility=body.visibility,
            language=body.language,
        ),
    )
    return _owner_view(snippet, caller, response)


@router.delete("/{snippet_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=_writes)
async def delete_snippet(
    snippet_id: UUID, caller: CurrentUser, delete: FromDishka[DeleteSnippet]
) -> None:
    """Delete the snippet; every read answers 404 from now on."""
    await delete(snippet_id, caller.user.id)


@router.post("/{snippet_id}/share", status_code=status.HTTP_201_CREATED, dependencies=_writes)
async def share_snippet(
    snippet_id: UUID,
    caller: CurrentUser,
    share: FromDishka[ShareSnippet],
    links: FromDishka[PublicLinks],
    body: ShareRequest | None = None,
    version: VersionParam = None,
) -> ShareResponse:
    """Open a version (default the latest) for a limited time and get its link.

    For a private version the link carries a token: whoever holds the link may read
    that version until it expires.
    """
    link = await share(
        ShareSnippetCommand(
            snippet_id=snippet_id,
            sharer_id=caller.user.id,
            version=version,
            ttl_seconds=body.ttl_seconds if body else None,
        ),
    )
    return ShareResponse(
        share_url=links.snippet(link.short_id, link.version, link.token),
        expires_at=link.expires_at,
        version=link.version,
    )
