"""Whole pages: a template inside the site's layout, for one visitor, and the response
that carries it with the pages' headers."""

from fastapi import Response
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from swiftpaste.presentation.web.sessions import CSRF_FIELD, Visitor
from swiftpaste.presentation.web.templating import EMBED_CSP, PAGE_CSP, PageTemplates

# Pages may show what only this visitor may see: no shared cache keeps them, and the
# browser asks again before showing a kept copy.
PRIVATE_PAGE = "private, no-store"
REVALIDATED_PAGE = "private, no-cache"


class Layout:
    def __init__(self, templates: PageTemplates) -> None:
        self._templates = templates

    def session_nav(self, visitor: Visitor | None) -> Markup:
        return self._templates.render(
            "_session.html",
            username=visitor.username if visitor else None,
            csrf_field=CSRF_FIELD,
            csrf_token=visitor.csrf_token if visitor else "",
        )

    def render(self, template: str, visitor: Visitor | None, **context: object) -> Markup:
        return self._templates.render(
            template,
            session_nav=self.session_nav(visitor),
            csrf_field=CSRF_FIELD,
            csrf_token=visitor.csrf_token if visitor else "",
            signed_in_as=visitor.username if visitor else None,
            **context,
        )

    def fragment(self, template: str, **context: object) -> Markup:
        """A part of a page (no layout): the owner's controls, say."""
        return self._templates.render(template, csrf_field=CSRF_FIELD, **context)


def html_response(
    body: str | bytes,
    visitor: Visitor | None,
    status: int = 200,
    *,
    csp: str = PAGE_CSP,
    cache_control: str = PRIVATE_PAGE,
    headers: dict[str, str] | None = None,
) -> Response:
    framing = {} if csp == EMBED_CSP else {"X-Frame-Options": "DENY"}  # older browsers
    response = HTMLResponse(
        body,
        status_code=status,
        headers={
            "Content-Security-Policy": csp,
            "Cache-Control": cache_control,
            **framing,
            **(headers or {}),
        },
    )
    return visitor.apply(response) if visitor else response
