"""The page templates (Jinja2, autoescaped), the static assets they link, and the
security headers every page carries."""

import hashlib
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from swiftpaste.presentation.web.highlighting import stylesheet

# Scripts, styles and images only from this origin, and no inline ones; nothing framed.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
    " form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# An embed is framed by other sites, and its links open the page in a new tab.
EMBED_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
    " form-action 'none'; base-uri 'none'; frame-ancestors *"
)
_MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


class StaticAssets:
    """The stylesheets and the script, held in memory; their URLs carry a digest of
    their content, so they can be cached for long and still change with a release."""

    def __init__(self) -> None:
        folder = files("swiftpaste.presentation.web") / "static"
        bodies = {entry.name: entry.read_bytes() for entry in folder.iterdir() if entry.is_file()}
        bodies["highlight.css"] = stylesheet().encode()
        self._assets = {
            name: Asset(body, _MEDIA_TYPES[name[name.rindex(".") :]], _digest(body))
            for name, body in bodies.items()
        }

    def get(self, name: str) -> Asset | None:
        return self._assets.get(name)

    def url(self, name: str) -> str:
        return f"/static/{name}?v={self._assets[name].etag}"


class PageTemplates:
    """Every page is a template of `templates/`; every value is escaped unless it is
    `Markup` made by this package (highlighted code, the per-reader parts)."""

    def __init__(self, assets: StaticAssets) -> None:
        self._environment = Environment(
            loader=PackageLoader("swiftpaste.presentation.web", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self._environment.globals["asset"] = assets.url

    def render(self, template: str, **context: Any) -> Markup:
        # Rendered by the autoescaping environment: safe as HTML.
        return Markup(self._environment.get_template(template).render(**context))  # noqa: S704


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:16]
