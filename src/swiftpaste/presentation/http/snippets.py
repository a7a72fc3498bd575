"""Snippet routes under /v1/api/snippet: create, list, versions, revise, delete, share.

The reads of a snippet are in `reads.py`, search in `search.py`."""

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode
from uuid import UUID

from dishka.integrations.fastapi import FromDishka
from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from swiftpaste.application.auth.authenticate import AuthenticatedUser
from swiftpaste.application.errors import NotAuthenticated
from swiftpaste.application.ports.persistence import Reply
from swiftpaste.application.ports.snippets import Representation
from swiftpaste.application.snippets.create_snippet import (
    CreateSnippet,
    Idempotency,
    NewSnippet,
    ReplyWriter,
)
from swiftpaste.application.snippets.delete_snippet import DeleteSnippet, DeleteSnippetCommand
from swiftpaste.application.snippets.etags import snippet_etag
from swiftpaste.application.snippets.list_my_snippets import ListMySnippets
from swiftpaste.application.snippets.list_versions import ListSnippetVersions
from swiftpaste.application.snippets.read_models import Author, SnippetDetails
from swiftpaste.application.snippets.revise_snippet import ReviseSnippet, ReviseSnippetCommand
from swiftpaste.application.snippets.share_snippet import ShareSnippet, ShareSnippetCommand
from swiftpaste.domain.errors import SnippetNotFound
from swiftpaste.domain.snippets import KEEP, Snippet, is_short_id
from swiftpaste.presentation.http.conditional import etag_header, if_match
from swiftpaste.presentation.http.errors import error_responses
from swiftpaste.presentation.http.rate_limit import TrustedProxies, caller_budget, rate_limit
from swiftpaste.presentation.http.routing import RequestScopedRoute
from swiftpaste.presentation.http.security import (
    OptionalWriter,
    ReaderId,
    SnippetReader,
    SnippetWriter,
)
from swiftpaste.presentation.http.snippet_schemas import (
    MAX_VERSION,
    CreatedAnonymously,
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
_creates = [Depends(rate_limit("create"))]

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

    def paste(self, short_id: str) -> str:
        """Where a paste reads back as it was sent: its latest content, as text."""
        return f"{self.base_url.rstrip('/')}/v1/api/snippet/{short_id}/raw"


VersionParam = Annotated[int | None, Query(ge=1, le=MAX_VERSION, description="Version number.")]
IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="The ETag of your last read of the latest version (or `*`): 412 if changed.",
    ),
]
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Retries with the same key and body within 24 hours get the first answer.",
    ),
]
IDEMPOTENCY_KEY_MAX_LENGTH = 255


def _json(body: bytes, response: Response, status_code: int = status.HTTP_200_OK) -> Response:
    # Headers set by dependencies (rate limits) live on `response`; FastAPI copies them
    # only onto responses it builds itself.
    return Response(body, status_code=status_code, media_type=_JSON, headers=response.headers)


def _owner_view(snippet: Snippet, caller: AuthenticatedUser, response: Response) -> Response:
    details = SnippetDetails(snippet, Author(caller.user.id, caller.user.username))
    latest = snippet.version()
    answer = _json(_renderer.render(details, latest).body(snippet.views), response)
    answer.headers["ETag"] = etag_header(snippet_etag(snippet, latest, Representation.JSON))
    return answer


def replied(reply: Reply, response: Response) -> Response:
    """The reply of a create (perhaps a replay of the first one), with this request's own
    headers (the rate limits) around it."""
    answer = Response(reply.body, status_code=reply.status, headers=response.headers)
    answer.headers.update(dict(reply.headers))
    return answer


def idempotency(
    key: str | None,
    request: Request,
    caller: AuthenticatedUser | None,
    proxies: TrustedProxies,
    form: str,
) -> Idempotency | None:
    """The request's Idempotency-Key, if it sent one; a user's keys are theirs whatever
    credential they use, an anonymous caller's are its address's."""
    if key is None:
        return None
    if not 1 <= len(key) <= IDEMPOTENCY_KEY_MAX_LENGTH or not key.isprintable():
        raise RequestValidationError(
            [
                {
                    "loc": ("header", "Idempotency-Key"),
                    "msg": f"must be 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} printable characters",
                    "type": "value_error",
                }
            ]
        )
    who = caller_budget(request, caller.caller if caller else None, proxies)
    return Idempotency(caller=who, key=key, form=form)


def json_reply(caller: AuthenticatedUser | None) -> ReplyWriter:
    """The JSON answer of a create: the snippet, and an anonymous one's delete token."""

    def write(new: NewSnippet) -> Reply:
        author = Author(caller.user.id, caller.user.username) if caller else None
        details = SnippetDetails(new.snippet, author)
        if new.delete_token is None:
            body = _renderer.render(details, new.snippet.version()).body(new.snippet.views)
        else:
            body = CreatedAnonymously.render(details, new.delete_token)
        return Reply(status.HTTP_201_CREATED, (("content-type", _JSON),), body)

    return write


@router.post(
    "/",
    status_code=status.HTTP_201_CREATED,
    response_model=SnippetResponse | CreatedAnonymously,
    response_class=JSONResponse,
    dependencies=_creates,
    responses=error_responses(401, 403, 413, 422, 429, 503),
)
async def create_snippet(
    request: Request,
    body: SnippetCreate,
    caller: OptionalWriter,
    create: FromDishka[CreateSnippet],
    proxies: FromDishka[TrustedProxies],
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Paste new content; the answer carries the short id of its link.

    Without credentials the snippet is anonymous (when the service allows it): public,
    expiring, and the answer carries its `delete_token`, shown this once.
    """
    key = idempotency(idempotency_key, request, caller, proxies, "json")
    command = body.command(caller.user.id if caller else None, key)
    return replied(await create(command, json_reply(caller)), response)


@router.get("/", dependencies=_reads, responses=error_responses(401, 403, 422, 429, 503))
async def list_my_snippets(
    caller: SnippetReader,
    list_mine: FromDishka[ListMySnippets],
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 50,
) -> SnippetPage:
    """The caller's snippets, newest first."""
    return SnippetPage.of(await list_mine(caller.user.id, page, size))


@router.get(
    "/{short_id}/versions",
    dependencies=_reads,
    responses=error_responses(401, 403, 404, 429, 503),
)
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
    responses=error_responses(401, 403, 404, 412, 413, 422, 429, 503),
)
async def revise_snippet(
    snippet_id: UUID,
    body: SnippetUpdate,
    caller: SnippetWriter,
    revise: FromDishka[ReviseSnippet],
    response: Response,
    if_match_header: IfMatchHeader = None,
) -> Response:
    """Change the title in place, or make a new version (any other field).

    A field left out is inherited from the latest version; `null` removes an expiry, a
    view limit or a password. With `If-Match`, only if the snippet has not changed since
    that read (412 otherwise).
    """
    given = body.model_fields_set
    snippet = await revise(
        ReviseSnippetCommand(
            snippet_id=snippet_id,
            editor_id=caller.user.id,
            title=body.title,
            content=body.content,
            visibility=body.visibility,
            language=body.language,
            expires_at=body.expires_at if "expires_at" in given else KEEP,
            expires_in=body.expires_in,
            burn_after_reading=body.burn_after_reading,
            max_views=body.max_views if "max_views" in given else KEEP,
            password=body.password if "password" in given else KEEP,
            if_match=if_match(if_match_header),
        ),
    )
    return _owner_view(snippet, caller, response)


@router.delete(
    "/{snippet_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=_writes,
    responses=error_responses(401, 403, 404, 412, 422, 429, 503),
)
async def delete_snippet(
    snippet_id: UUID,
    caller: OptionalWriter,
    delete: FromDishka[DeleteSnippet],
    if_match_header: IfMatchHeader = None,
    delete_token: Annotated[
        str | None,
        Header(alias="X-Delete-Token", description="An anonymous snippet's delete token."),
    ] = None,
) -> None:
    """Delete the snippet, as its owner or with its delete token; every read answers 404
    from now on. With `If-Match`, only if it has not changed since that read."""
    if delete_token is None and caller is None:
        raise NotAuthenticated(
            "authentication required: send 'Authorization: Bearer <token>',"
            " or the snippet's 'X-Delete-Token'"
        )
    await delete(
        DeleteSnippetCommand(
            snippet_id=snippet_id,
            deleter_id=caller.user.id if caller and delete_token is None else None,
            delete_token=delete_token,
            if_match=if_match(if_match_header),
        )
    )


@router.post(
    "/{snippet_id}/share",
    status_code=status.HTTP_201_CREATED,
    dependencies=_writes,
    responses=error_responses(401, 403, 404, 413, 422, 429, 503),
)
async def share_snippet(
    snippet_id: UUID,
    caller: SnippetWriter,
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
            expires_in=body.expires_in if body else None,
        ),
    )
    return ShareResponse(
        share_url=links.snippet(link.short_id, link.version, link.token),
        expires_at=link.expires_at,
        version=link.version,
    )
