"""Signing up, in and out from the pages, through the account use cases the API uses."""

from typing import Annotated

from dishka.integrations.fastapi import FromDishka
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from swiftpaste.application.auth.log_in import LogIn, LogInCommand
from swiftpaste.application.auth.log_out import LogOut
from swiftpaste.application.auth.register_user import RegisterUser, RegisterUserCommand
from swiftpaste.application.errors import (
    AccountDisabled,
    AuthenticationFailed,
    EmailAlreadyRegistered,
    UsernameTaken,
)
from swiftpaste.domain.errors import InvalidUsername, WeakPassword
from swiftpaste.presentation.http.auth import RegisterRequest
from swiftpaste.presentation.http.rate_limit import rate_limit
from swiftpaste.presentation.web.errors import PageRoute
from swiftpaste.presentation.web.forms import local_path, problems, text
from swiftpaste.presentation.web.layout import Layout, html_response
from swiftpaste.presentation.web.sessions import Visitor, visitor_of

router = APIRouter(route_class=PageRoute, include_in_schema=False)
CurrentVisitor = Annotated[Visitor, Depends(visitor_of)]
# As the API's: credentials spend the write budget, which slows password guessing.
_guarded = [Depends(rate_limit("write"))]


def _account_page(
    layout: Layout,
    visitor: Visitor,
    mode: str,
    *,
    error: str | None = None,
    status: int = 200,
    username: str = "",
    email: str = "",
    next_path: str = "/",
) -> Response:
    body = layout.render(
        "account.html",
        visitor,
        mode=mode,
        error=error,
        username=username,
        email=email,
        next_path=next_path,
    )
    return html_response(body, visitor, status)


@router.get("/signup")
async def signup_form(visitor: CurrentVisitor, layout: FromDishka[Layout]) -> Response:
    return _account_page(layout, visitor, "signup")


@router.post("/signup", dependencies=_guarded)
async def signup(
    request: Request,
    visitor: CurrentVisitor,
    register: FromDishka[RegisterUser],
    log_in: FromDishka[LogIn],
    layout: FromDishka[Layout],
) -> Response:
    form = await request.form()
    visitor.check(form)
    username, email, password = text(form, "username"), text(form, "email"), text(form, "password")
    shown = {"username": username, "email": email}
    try:
        checked = RegisterRequest.model_validate(
            {"username": username, "email": email, "password": password}
        )
        await register(
            RegisterUserCommand(
                email=checked.email, username=checked.username, password=checked.password
            )
        )
    except ValidationError as error:
        return _account_page(layout, visitor, "signup", error=problems(error), status=422, **shown)
    except (InvalidUsername, WeakPassword) as error:
        return _account_page(layout, visitor, "signup", error=str(error), status=422, **shown)
    except (EmailAlreadyRegistered, UsernameTaken) as error:
        return _account_page(layout, visitor, "signup", error=str(error), status=409, **shown)
    pair = await log_in(LogInCommand(identifier=checked.username, password=checked.password))
    visitor.keep(pair)
    return visitor.apply(RedirectResponse("/", status_code=303))


@router.get("/signin")
async def signin_form(
    visitor: CurrentVisitor,
    layout: FromDishka[Layout],
    next_path: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
) -> Response:
    return _account_page(layout, visitor, "signin", next_path=local_path(next_path))


@router.post("/signin", dependencies=_guarded)
async def signin(
    request: Request, visitor: CurrentVisitor, log_in: FromDishka[LogIn], layout: FromDishka[Layout]
) -> Response:
    form = await request.form()
    visitor.check(form)
    identifier, next_path = text(form, "username"), local_path(text(form, "next"))
    try:
        pair = await log_in(LogInCommand(identifier=identifier, password=text(form, "password")))
    except (AuthenticationFailed, AccountDisabled) as error:
        status = 403 if isinstance(error, AccountDisabled) else 401
        return _account_page(
            layout,
            visitor,
            "signin",
            error=str(error),
            status=status,
            username=identifier,
            next_path=next_path,
        )
    visitor.keep(pair)
    return visitor.apply(RedirectResponse(next_path, status_code=303))


@router.post("/signout")
async def signout(
    request: Request, visitor: CurrentVisitor, log_out: FromDishka[LogOut]
) -> Response:
    """End the login at once: its tokens are denylisted, wherever copies of them are."""
    visitor.check(await request.form())
    if visitor.signed_in is not None:
        await log_out(visitor.signed_in.claims)
    visitor.forget()
    return visitor.apply(RedirectResponse("/", status_code=303))
