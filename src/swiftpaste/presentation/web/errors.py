"""What a page shows when a use case refuses: one table, like the API's `ERROR_MAP`.

A refusal the table does not name still gets a page, with the status the API's table
gives it and the error's own message; an entry here adds a heading and words for people
(or a template of its own, such as a form to answer with).
"""

import http
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from dishka import AsyncContainer
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError

from swiftpaste.application.errors import (
    ApplicationError,
    DependencyUnavailable,
    NotAuthenticated,
)
from swiftpaste.application.ports.rate_limit import RateLimitExceeded
from swiftpaste.domain.errors import (
    DomainError,
    NotSnippetOwner,
    ShareExpired,
    SnippetNotFound,
    VersionNotFound,
)
from swiftpaste.presentation.http.errors import mapping_for
from swiftpaste.presentation.http.routing import RequestScopedRoute
from swiftpaste.presentation.web.layout import Layout, html_response
from swiftpaste.presentation.web.sessions import FormRefused, Visitor
from swiftpaste.presentation.web.templating import EMBED_CSP, PAGE_CSP


@dataclass(frozen=True, slots=True)
class PageError:
    status: int
    heading: str
    explanation: str | None = None
    """None: the error's own message."""
    template: str = "error.html"


PAGE_ERRORS: Mapping[type[Exception], PageError] = {
    SnippetNotFound: PageError(
        404, "Snippet not found", "There is no snippet at this address, or it is not yours to see."
    ),
    VersionNotFound: PageError(404, "Version not found"),
    ShareExpired: PageError(
        410, "This link has expired", "Its share window has closed: ask the owner for a new link."
    ),
    NotSnippetOwner: PageError(403, "Not your snippet", "Only its owner can change it."),
    NotAuthenticated: PageError(401, "Please sign in", "Your session has ended: sign in again."),
    FormRefused: PageError(
        403, "This form has expired", "Go back, reload the page and send the form again."
    ),
    RateLimitExceeded: PageError(
        429, "Too many requests", "Wait a few seconds, then reload the page."
    ),
    DependencyUnavailable: PageError(
        503, "Temporarily unavailable", "Part of the service is not answering; try again shortly."
    ),
    RequestValidationError: PageError(404, "Page not found", "This address names no page."),
}

_REFUSALS = (DomainError, ApplicationError, RateLimitExceeded, RequestValidationError, FormRefused)


def page_error_for(error: Exception) -> PageError:
    for error_type in type(error).__mro__:
        found = PAGE_ERRORS.get(error_type)
        if found is not None:
            return found
    status = mapping.status if (mapping := mapping_for(error)) else 400
    return PageError(status, http.HTTPStatus(status).phrase)


def error_page(
    layout: Layout, visitor: Visitor | None, error: Exception, *, embedded: bool = False
) -> Response:
    shown = page_error_for(error)
    headers = {}
    if isinstance(error, RateLimitExceeded):
        headers["Retry-After"] = str(max(1, error.decision.retry_after_seconds))
    body = layout.render(
        shown.template,
        visitor,
        status=shown.status,
        heading=shown.heading,
        explanation=shown.explanation or str(error),
    )
    csp = EMBED_CSP if embedded else PAGE_CSP
    return html_response(body, visitor, shown.status, csp=csp, headers=headers)


class PageRoute(RequestScopedRoute):
    """A page's route: a refusal of a use case (or of the request's own form) becomes
    the page the table says, with the visitor's session kept."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        embedded = self.path.endswith("/embed")

        async def handle_page(request: Request) -> Response:
            try:
                return await handle(request)
            except _REFUSALS as error:
                container: AsyncContainer = request.app.state.dishka_container
                layout = await container.get(Layout)
                visitor: Visitor | None = getattr(request.state, "visitor", None)
                return error_page(layout, visitor, error, embedded=embedded)

        return handle_page
