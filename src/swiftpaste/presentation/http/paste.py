"""The curl-friendly create at the site root: `POST /`, answered in plain text.

    curl -F file=@script.py http://HOST/          # the file's name: title, file name, language
    curl -F content='hello' http://HOST/
    curl -H 'Content-Type: text/plain' --data-binary @notes.txt http://HOST/

The options are the fields of a JSON create (`SnippetCreate`), as form fields or query
parameters: whatever a JSON create accepts, this route accepts too, validated the same.
The answer is the snippet's URL and a newline (the URL also in `Location`); errors are
the JSON envelope of every route. It goes through `CreateSnippet`, as the JSON create
does.
"""

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from dishka.integrations.fastapi import FromDishka
from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from swiftpaste.application.ports.persistence import Reply
from swiftpaste.application.snippets.create_snippet import CreateSnippet, NewSnippet, ReplyWriter
from swiftpaste.domain.snippets import TITLE_MAX_LENGTH
from swiftpaste.presentation.http.errors import error_responses
from swiftpaste.presentation.http.rate_limit import TrustedProxies, rate_limit
from swiftpaste.presentation.http.routing import RequestScopedRoute
from swiftpaste.presentation.http.security import OptionalWriter
from swiftpaste.presentation.http.snippet_schemas import SnippetCreate
from swiftpaste.presentation.http.snippets import (
    IdempotencyKeyHeader,
    PublicLinks,
    idempotency,
    replied,
)

router = APIRouter(tags=["paste"], route_class=RequestScopedRoute)

SITE_ROOT = "/"

CONTENT_FIELDS = ("file", "content")
UNTITLED = "untitled"
_MAX_FORM_FIELDS = 32
# Starlette's own limit on a form field (1 MiB) would cut content below the content limit;
# BodyLimitMiddleware bounds the whole body, every part included.
_MAX_PART_BYTES = 2**31
_TEXT = "text/plain; charset=utf-8"


def _invalid(location: str, field: str, message: str) -> RequestValidationError:
    return RequestValidationError(
        [{"loc": (location, field), "msg": message, "type": "value_error"}]
    )


def _text(data: bytes, field: str) -> str:
    try:
        return data.decode()
    except UnicodeDecodeError:
        raise _invalid("body", field, "the content is not UTF-8 text") from None


class PasteRequest:
    """What a paste sent: its content, the file name it came with, and its options."""

    def __init__(self) -> None:
        self.content: str | None = None
        self.filename: str | None = None
        self.options: dict[str, Any] = {}
        self.origins: dict[str, str] = {}

    def option(self, location: str, name: str, value: Any) -> None:
        if name in self.options:
            raise _invalid(location, name, "give each option once")
        self.options[name] = value
        self.origins[name] = location

    async def take(self, location: str, name: str, value: str | UploadFile) -> None:
        if name not in CONTENT_FIELDS:
            if isinstance(value, UploadFile):
                raise _invalid(location, name, "only the content may be a file")
            self.option(location, name, value)
            return
        if self.content is not None:
            raise _invalid(location, name, "give the content once: as `file` or as `content`")
        if isinstance(value, UploadFile):
            self.filename = value.filename
            self.content = _text(await value.read(), name)
        else:
            self.content = value

    def snippet(self) -> SnippetCreate:
        """The create it asks for, validated as a JSON create is."""
        if self.content is None:
            raise _invalid(
                "body",
                "content",
                "no content: send `-F file=@name`, `-F content=…` or a text/plain body",
            )
        values = dict(self.options)
        if self.filename:
            values.setdefault("title", self.filename[:TITLE_MAX_LENGTH])
            values.setdefault("filename", PurePosixPath(self.filename.replace("\\", "/")).name)
        values.setdefault("title", UNTITLED)
        values["content"] = self.content
        try:
            return SnippetCreate.model_validate(values)
        except ValidationError as error:
            raise RequestValidationError(
                [
                    {**issue, "loc": (self._origin(issue["loc"]), *issue["loc"])}
                    for issue in error.errors()
                ]
            ) from None

    def _origin(self, location: tuple[int | str, ...]) -> str:
        """Where the field an error names came from: `query`, `form` or the body."""
        return self.origins.get(str(location[0]), "body") if location else "body"


async def read_paste(request: Request) -> PasteRequest:
    sent = PasteRequest()
    for name, option in request.query_params.multi_items():
        await sent.take("query", name, option)
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type == "text/plain":
        await sent.take("body", "content", _text(await request.body(), "content"))
    elif media_type in {"multipart/form-data", "application/x-www-form-urlencoded"}:
        form = await request.form(
            max_files=1, max_fields=_MAX_FORM_FIELDS, max_part_size=_MAX_PART_BYTES
        )
        for name, value in form.multi_items():
            await sent.take("form", name, value)
    else:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "send the content as multipart/form-data (`-F file=@name` or `-F content=…`),"
            " a form, or a text/plain body",
        )
    return sent


def text_reply(links: PublicLinks) -> ReplyWriter:
    """The plain-text answer: the URL and a newline; an anonymous paste's delete token and
    every paste's id (what a delete names) in headers."""

    def write(new: NewSnippet) -> Reply:
        url = links.paste(new.snippet.short_id)
        headers = [
            ("content-type", _TEXT),
            ("location", url),
            ("x-snippet-id", str(new.snippet.id)),
        ]
        if new.delete_token is not None:
            headers.append(("x-delete-token", new.delete_token))
        return Reply(status.HTTP_201_CREATED, tuple(headers), f"{url}\n".encode())

    return write


_FORM_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "file": {"type": "string", "format": "binary", "description": "Or `content`."},
        "content": {"type": "string"},
        **{
            name: {**field, "description": field.get("description", "As in a JSON create.")}
            for name, field in SnippetCreate.model_json_schema(
                ref_template="#/components/schemas/{model}"  # where FastAPI puts them
            )["properties"].items()
            if name != "content"
        },
    },
}
_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {"schema": _FORM_SCHEMA},
            "application/x-www-form-urlencoded": {"schema": _FORM_SCHEMA},
            "text/plain": {"schema": {"type": "string"}},
        },
    },
}


@router.post(
    SITE_ROOT,
    status_code=status.HTTP_201_CREATED,
    response_class=PlainTextResponse,
    dependencies=[Depends(rate_limit("create"))],
    openapi_extra=_OPENAPI,
    responses=error_responses(401, 403, 413, 415, 422, 429, 503),
)
async def paste(
    request: Request,
    caller: OptionalWriter,
    create: FromDishka[CreateSnippet],
    proxies: FromDishka[TrustedProxies],
    links: FromDishka[PublicLinks],
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Paste from a shell: a file, a `content` field or a text/plain body; options as form
    fields or query parameters. Answers the snippet's URL as plain text."""
    sent = await read_paste(request)
    key = idempotency(idempotency_key, request, caller, proxies, "text")
    command = sent.snippet().command(caller.user.id if caller else None, key)
    return replied(await create(command, text_reply(links)), response)
