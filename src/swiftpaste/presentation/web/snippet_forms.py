"""Creating and managing snippets from the pages: the create form (`/`, posted to
`/new`), edit, share and delete. Each form is checked for its CSRF token, then handed to
the use case the API uses; what the use case refuses is shown on the form again."""

import hashlib
import json
from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

from dishka import AsyncContainer
from dishka.integrations.fastapi import FromDishka
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from swiftpaste.application.errors import ContentTooLarge, InvalidShare
from swiftpaste.application.ports.persistence import Reply
from swiftpaste.application.ports.snippets import Representation
from swiftpaste.application.ports.system import Clock
from swiftpaste.application.snippets.create_snippet import CreateSnippet, NewSnippet
from swiftpaste.application.snippets.delete_snippet import DeleteSnippet, DeleteSnippetCommand
from swiftpaste.application.snippets.read_snippet import ReadSnippet
from swiftpaste.application.snippets.revise_snippet import ReviseSnippet, ReviseSnippetCommand
from swiftpaste.application.snippets.share_snippet import ShareSnippet, ShareSnippetCommand
from swiftpaste.domain.errors import InvalidSnippet, NotSnippetOwner
from swiftpaste.domain.snippets import Visibility
from swiftpaste.presentation.http.rate_limit import rate_limit
from swiftpaste.presentation.http.snippet_schemas import SnippetCreate, SnippetUpdate
from swiftpaste.presentation.http.snippets import PublicLinks
from swiftpaste.presentation.web.errors import PageRoute
from swiftpaste.presentation.web.forms import problems, text
from swiftpaste.presentation.web.layout import Layout, html_response
from swiftpaste.presentation.web.presets import DURATIONS, expiry_seconds
from swiftpaste.presentation.web.reading import page_query
from swiftpaste.presentation.web.sessions import Visitor, visitor_of

router = APIRouter(route_class=PageRoute, include_in_schema=False)
CurrentVisitor = Annotated[Visitor, Depends(visitor_of)]
_writes = [Depends(rate_limit("write"))]
_REFUSED = (InvalidSnippet, ContentTooLarge, InvalidShare)


def _sign_in_first(next_path: str) -> Response:
    return RedirectResponse(f"/signin?next={next_path}", status_code=303)


def _status_of(refusal: Exception) -> int:
    return 413 if isinstance(refusal, ContentTooLarge) else 422


def _digest(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()


def _form_page(
    layout: Layout, visitor: Visitor, values: dict[str, Any], error: str | None, status: int
) -> Response:
    body = layout.render(
        "form.html",
        visitor,
        values=values,
        error=error,
        expiry_presets=DURATIONS,
        visibilities=[v.value for v in Visibility],
    )
    return html_response(body, visitor, status)


_EMPTY = {"mode": "create", "title": "", "content": "", "language": "", "filename": ""}


@router.get("/")
async def home(
    visitor: Annotated[Visitor, Depends(visitor_of)], layout: FromDishka[Layout]
) -> Response:
    """The create form; for a visitor not signed in, what the site is and how to join."""
    if visitor.signed_in is None:
        return html_response(layout.render("home.html", visitor), visitor)
    values = {**_EMPTY, "visibility": "public", "expires_in": ""}
    return _form_page(layout, visitor, values, None, 200)


@router.post("/new", dependencies=_writes)
async def create(
    request: Request,
    visitor: CurrentVisitor,
    create_snippet: FromDishka[CreateSnippet],
    clock: FromDishka[Clock],
    layout: FromDishka[Layout],
) -> Response:
    form = await request.form()
    visitor.check(form)
    if visitor.signed_in is None:
        return _sign_in_first("/")
    values = {
        "mode": "create",
        "title": text(form, "title"),
        "content": text(form, "content"),
        "language": text(form, "language").strip(),
        "filename": text(form, "filename").strip(),
        "visibility": text(form, "visibility") or "public",
        "expires_in": text(form, "expires_in"),
    }
    try:
        seconds = expiry_seconds(values["expires_in"])
        body = SnippetCreate.model_validate(
            {
                "title": values["title"],
                "content": values["content"],
                "visibility": values["visibility"],
                "language": values["language"] or None,
                "filename": values["filename"] or None,
            }
        )
    except ValidationError as error:
        return _form_page(layout, visitor, values, problems(error), 422)
    except ValueError as error:
        return _form_page(layout, visitor, values, str(error), 422)
    if seconds:
        body = body.model_copy(update={"expires_at": clock.now() + timedelta(seconds=seconds)})
    try:
        reply = await create_snippet(body.command(visitor.signed_in.user.id, None), _to_its_page)
    except _REFUSED as error:
        return _form_page(layout, visitor, values, str(error), _status_of(error))
    return Response(status_code=reply.status, headers=dict(reply.headers))


def _to_its_page(new: NewSnippet) -> Reply:
    return Reply(303, (("location", f"/{new.snippet.short_id}"),), b"")


async def _owned(request: Request, visitor: Visitor, short_id: str) -> dict[str, Any]:
    """The latest version as its owner reads it (through `ReadSnippet`, as JSON)."""
    container: AsyncContainer = request.state.dishka_container
    read = await container.get(ReadSnippet)
    query = await page_query(request, visitor, short_id, None, Representation.JSON, None)
    snippet: dict[str, Any] = json.loads((await read(query)).body)
    if snippet["author"]["id"] != str(visitor.user_id):
        raise NotSnippetOwner("only the snippet's owner may change it")
    return snippet


@router.get("/{short_id}/edit")
async def edit_form(
    request: Request, short_id: str, visitor: CurrentVisitor, layout: FromDishka[Layout]
) -> Response:
    """The owner's form to change the title or write the next version."""
    if visitor.signed_in is None:
        return _sign_in_first(f"/{short_id}/edit")
    snippet = await _owned(request, visitor, short_id)
    current = snippet["current_version"]
    values = {
        "mode": "edit",
        "short_id": short_id,
        "id": snippet["id"],
        "title": snippet["title"],
        "content": current["content"],
        "language": current["language"] or "",
        "visibility": current["visibility"],
        "version": current["version"],
        "original_title": snippet["title"],
        "original_digest": _digest(current["content"]),
        "original_language": current["language"] or "",
        "original_visibility": current["visibility"],
    }
    return _form_page(layout, visitor, values, None, 200)


@router.post("/{short_id}/edit", dependencies=_writes)
async def edit(
    request: Request,
    short_id: str,
    visitor: CurrentVisitor,
    revise: FromDishka[ReviseSnippet],
    layout: FromDishka[Layout],
) -> Response:
    form = await request.form()
    visitor.check(form)
    if visitor.signed_in is None:
        return _sign_in_first(f"/{short_id}/edit")
    values = {
        name: text(form, name)
        for name in (
            "id",
            "title",
            "content",
            "language",
            "visibility",
            "version",
            "original_title",
            "original_digest",
            "original_language",
            "original_visibility",
        )
    }
    values |= {"mode": "edit", "short_id": short_id, "language": values["language"].strip()}
    # Only what the owner changed is sent: an unchanged text makes no new version.
    content_changed = _digest(values["content"]) != values["original_digest"]
    changes = {
        "title": _changed(values["title"], values["original_title"]),
        "content": values["content"] if content_changed else None,
        "language": _changed(values["language"], values["original_language"]),
        "visibility": _changed(values["visibility"], values["original_visibility"]),
    }
    if all(change is None for change in changes.values()):
        return RedirectResponse(f"/{short_id}", status_code=303)
    try:
        snippet_id = UUID(values["id"])
        update = SnippetUpdate.model_validate(changes)
    except ValidationError as error:
        return _form_page(layout, visitor, values, problems(error), 422)
    except ValueError:
        return _form_page(layout, visitor, values, "the form lost its snippet; reload it", 422)
    try:
        snippet = await revise(
            ReviseSnippetCommand(
                snippet_id=snippet_id,
                editor_id=visitor.signed_in.user.id,
                title=update.title,
                content=update.content,
                visibility=update.visibility,
                language=update.language,
            )
        )
    except _REFUSED as error:
        return _form_page(layout, visitor, values, str(error), _status_of(error))
    return RedirectResponse(f"/{short_id}/v/{snippet.latest_version}", status_code=303)


def _changed(value: str, original: str) -> str | None:
    """The new value, if the owner changed it (a field emptied keeps what it was)."""
    return value if value and value != original else None


def _snippet_id(form_value: str) -> UUID:
    try:
        return UUID(form_value)
    except ValueError:
        raise NotSnippetOwner("only the snippet's owner may change it") from None


@router.post("/{short_id}/share", dependencies=_writes)
async def share(
    request: Request,
    short_id: str,
    visitor: CurrentVisitor,
    share_snippet: FromDishka[ShareSnippet],
    links: FromDishka[PublicLinks],
    layout: FromDishka[Layout],
) -> Response:
    form = await request.form()
    visitor.check(form)
    if visitor.signed_in is None:
        return _sign_in_first(f"/{short_id}")
    try:
        version = int(text(form, "version"))
        ttl_seconds = int(text(form, "ttl_seconds"))
    except ValueError:
        raise InvalidShare("choose a version and one of the offered share windows") from None
    link = await share_snippet(
        ShareSnippetCommand(
            snippet_id=_snippet_id(text(form, "id")),
            sharer_id=visitor.signed_in.user.id,
            version=version,
            ttl_seconds=ttl_seconds,
        )
    )
    body = layout.render(
        "shared.html",
        visitor,
        short_id=short_id,
        version=link.version,
        url=links.snippet(link.short_id, link.version, link.token),
        expires=link.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
        private=link.token is not None,
    )
    return html_response(body, visitor, 201)


@router.post("/{short_id}/delete", dependencies=_writes)
async def delete(
    request: Request,
    short_id: str,
    visitor: CurrentVisitor,
    delete_snippet: FromDishka[DeleteSnippet],
) -> Response:
    form = await request.form()
    visitor.check(form)
    if visitor.signed_in is None:
        return _sign_in_first(f"/{short_id}")
    if text(form, "confirm") != "yes":
        return RedirectResponse(f"/{short_id}", status_code=303)
    await delete_snippet(
        DeleteSnippetCommand(
            snippet_id=_snippet_id(text(form, "id")), deleter_id=visitor.signed_in.user.id
        )
    )
    return RedirectResponse("/mine", status_code=303)
