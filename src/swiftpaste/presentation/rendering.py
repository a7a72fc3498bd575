"""SnippetRenderers: the one `SnippetRenderer` of the read path, each representation by
the renderer of its edge (the API's JSON and raw text, the web's page and embed)."""

from swiftpaste.application.ports.snippets import Rendered, Representation
from swiftpaste.application.snippets.read_models import SnippetDetails
from swiftpaste.domain.snippets import SnippetVersion
from swiftpaste.presentation.http.snippet_schemas import HttpSnippetRenderer
from swiftpaste.presentation.web.snippet_pages import SnippetPageRenderer

_PAGES = frozenset({Representation.PAGE, Representation.EMBED})


class SnippetRenderers:
    def __init__(self, api: HttpSnippetRenderer, pages: SnippetPageRenderer) -> None:
        self._api = api
        self._pages = pages

    def render(
        self, details: SnippetDetails, version: SnippetVersion, representation: Representation
    ) -> Rendered:
        if representation in _PAGES:
            return self._pages.render(details, version, representation)
        return self._api.render(details, version, representation)
