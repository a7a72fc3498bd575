"""The read routes: every read of a snippet, as JSON or as raw text, through `ReadSnippet`,
and the changes between two versions, read through it too.

They are the busiest routes, so each takes the request alone and reads its query through
`ReadParams` (the same validation and 422 envelope as FastAPI's parameters, at a fraction
of FastAPI's per-request cost); their parameters reach the OpenAPI document from the same
model. The router is included right after search's, before every other route.
"""

from typing import Annotated, Any, TypeVar

from dishka import AsyncContainer
from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from swiftpaste.application.errors import InvalidQuery
from swiftpaste.application.ports.snippets import Representation
from swiftpaste.application.snippets.diff_versions import DiffSnippetVersions
from swiftpaste.application.snippets.read_snippet import (
    ReadSnippet,
    ReadSnippetQuery,
    SnippetRead,
)
from swiftpaste.domain.errors import SnippetNotFound
from swiftpaste.domain.snippets import is_short_id
from swiftpaste.presentation.http.conditional import etag_header, none_match
from swiftpaste.presentation.http.errors import error_responses
from swiftpaste.presentation.http.rate_limit import (
    TrustedProxies,
    address_budget,
    bearer_token,
    rate_limit_headers,
)
from swiftpaste.presentation.http.request_models import RequestModel
from swiftpaste.presentation.http.snippet_schemas import MAX_VERSION, SnippetResponse

PASSWORD_HEADER = "x-snippet-password"  # noqa: S105 - a header name, not a password
SNIPPET_PATH = "/v1/api/snippet/{short_id}"
RAW_PATH = SNIPPET_PATH + "/raw"
DIFF_PATH = SNIPPET_PATH + "/diff"
_JSON = "application/json"
_Params = TypeVar("_Params", bound=BaseModel)


class ReadParams(RequestModel):
    """The query of a read."""

    model_config = ConfigDict(frozen=True)

    version: Annotated[int | None, Field(ge=1, le=MAX_VERSION, description="Version number.")] = (
        None
    )
    v: Annotated[
        int | None, Field(ge=1, le=MAX_VERSION, description="Version number (`version`).")
    ] = None
    token: Annotated[
        str | None, Field(max_length=256, description="Share token from a private share link.")
    ] = None

    @classmethod
    def of(cls, request: Request) -> "ReadParams":
        return _validated(cls, request)

    @property
    def wanted_version(self) -> int | None:
        if self.version is not None and self.v is not None and self.version != self.v:
            raise InvalidQuery("give the version once: `version` and `v` disagree")
        return self.version if self.version is not None else self.v


class DiffParams(RequestModel):
    """The query of a diff: the two versions, and a share token as a read takes it."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    from_version: Annotated[
        int, Field(alias="from", ge=1, le=MAX_VERSION, description="The older version.")
    ]
    to_version: Annotated[
        int, Field(alias="to", ge=1, le=MAX_VERSION, description="The newer version.")
    ]
    token: Annotated[
        str | None, Field(max_length=256, description="Share token from a private share link.")
    ] = None


class VersionDiffResponse(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_version: int = Field(alias="from")
    to_version: int = Field(alias="to")
    added: int
    removed: int
    unified: str = Field(description="A unified diff; empty when the contents are equal.")


def _validated(model: type[_Params], request: Request) -> _Params:
    """The request's query (the last of a repeated parameter, as FastAPI reads it);
    RequestValidationError, as FastAPI raises it, when it does not fit."""
    try:
        return model.model_validate(dict(request.query_params))
    except ValidationError as error:
        raise RequestValidationError(
            [{**issue, "loc": ("query", *issue["loc"])} for issue in error.errors()]
        ) from None


def _openapi_parameters(model: type[BaseModel] = ReadParams) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    return [
        {
            "name": name,
            "in": "query",
            "required": False,
            "description": field.pop("description", None),
            "schema": field,
        }
        for name, field in schema["properties"].items()
    ]


_OPENAPI: dict[str, Any] = {
    "parameters": [
        *_openapi_parameters(),
        {
            "name": "X-Snippet-Password",
            "in": "header",
            "required": False,
            "description": "The password of a protected version (not needed by its owner).",
            "schema": {"type": "string"},
        },
        {
            "name": "If-None-Match",
            "in": "header",
            "required": False,
            "description": "The ETag of an earlier read: 304 without a body if unchanged.",
            "schema": {"type": "string"},
        },
    ],
    # A bearer token is optional: it reads the caller's own private versions.
    "security": [{"OAuth2PasswordBearer": []}, {}],
}


async def read_query(
    request: Request,
    short_id: str,
    version: int | None,
    representation: Representation,
    share_token: str | None,
    access_token: str | None,
    password: str | None = None,
) -> ReadSnippetQuery:
    """The read a request makes: as the token's user (if any), on its address's budget
    otherwise. The pages read through here too, with their session's token."""
    if not is_short_id(short_id):
        raise SnippetNotFound("snippet not found")
    container: AsyncContainer = request.app.state.dishka_container
    proxies = await container.get(TrustedProxies)
    return ReadSnippetQuery(
        short_id=short_id,
        version=version,
        representation=representation,
        access_token=access_token,
        address_key=address_budget(request, proxies),
        share_token=share_token or None,
        password=password,
    )


def _bearer(request: Request) -> str | None:
    return bearer_token(request.headers.get("authorization"))


async def _read(request: Request, short_id: str, representation: Representation) -> SnippetRead:
    params = ReadParams.of(request)
    query = await read_query(
        request,
        short_id,
        params.wanted_version,
        representation,
        params.token,
        _bearer(request),
        request.headers.get(PASSWORD_HEADER),
    )
    read = await request.app.state.dishka_container.get(ReadSnippet)
    found: SnippetRead = await read(query)
    return found


router = APIRouter(tags=["snippets"], responses=error_responses(401, 403, 404, 410, 422, 429, 503))


def _answer(request: Request, found: SnippetRead, response: type[Response]) -> Response:
    """The read's answer, or 304 without a body when the caller already holds it."""
    headers = {**rate_limit_headers(found.decision), "ETag": etag_header(found.etag)}
    if none_match(request.headers.get("if-none-match"), found.etag):
        return Response(status_code=304, headers=headers)
    return response(found.body, headers=headers)


@router.get(
    SNIPPET_PATH,
    response_model=SnippetResponse,
    response_class=JSONResponse,
    responses={304: {"description": "Not modified: `If-None-Match` names the current ETag."}},
    openapi_extra=_OPENAPI,
)
async def read_snippet(request: Request, short_id: str) -> Response:
    """A version of a snippet (default the latest), if the caller may see it."""
    found = await _read(request, short_id, Representation.JSON)
    return _answer(request, found, _JsonBytes)


@router.get(
    RAW_PATH,
    response_class=PlainTextResponse,
    responses={304: {"description": "Not modified: `If-None-Match` names the current ETag."}},
    openapi_extra=_OPENAPI,
)
async def read_raw(request: Request, short_id: str) -> Response:
    """Just the content, as text/plain (for curl and scripts)."""
    found = await _read(request, short_id, Representation.RAW)
    answer = _answer(request, found, PlainTextResponse)
    answer.headers["X-Content-Type-Options"] = "nosniff"
    return answer


class _JsonBytes(Response):
    """JSON already rendered: sent as it is."""

    media_type = _JSON


_DIFF_OPENAPI: dict[str, Any] = {**_OPENAPI, "parameters": _openapi_parameters(DiffParams)}


@router.get(
    DIFF_PATH,
    response_model=VersionDiffResponse,
    response_class=JSONResponse,
    openapi_extra=_DIFF_OPENAPI,
)
async def diff_versions(request: Request, short_id: str) -> Response:
    """What changed from one version to another, as a unified diff with the counts of
    added and removed lines; the caller must be able to read both versions."""
    params = _validated(DiffParams, request)
    query = await read_query(
        request,
        short_id,
        None,
        Representation.RAW,
        params.token,
        _bearer(request),
        request.headers.get(PASSWORD_HEADER),
    )
    diff = await request.app.state.dishka_container.get(DiffSnippetVersions)
    changes = await diff(query, params.from_version, params.to_version)
    body = VersionDiffResponse(
        from_version=changes.from_version,
        to_version=changes.to_version,
        added=changes.added,
        removed=changes.removed,
        unified=changes.unified,
    ).model_dump_json(by_alias=True)
    return Response(body, media_type=_JSON, headers=rate_limit_headers(changes.decision))
