"""The snippet page and the embed as `ReadSnippet` renders and caches them.

Their bytes are the same for every reader of a version, so the cache can hold them.
What differs per reader is left as slots (HTML comments no escaped user text can
form, since `<` is always escaped) that the route fills for each request: the
session's navigation, the owner's controls and a share token in the raw link. The view
count is left out (`Rendered`), so a cached page shows the live count. A few facts about
the version go before the HTML in a fixed header, so the route can decide those parts
without reading anything else.
"""

import struct
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from markupsafe import Markup

from swiftpaste.application.ports.snippets import Rendered, Representation
from swiftpaste.application.snippets.read_models import SnippetDetails
from swiftpaste.domain.snippets import SnippetVersion, Visibility
from swiftpaste.presentation.web.highlighting import file_extension, highlight_code
from swiftpaste.presentation.web.templating import PageTemplates

SESSION_SLOT = Markup("<!--swiftpaste:session-->")
OWNER_SLOT = Markup("<!--swiftpaste:owner-->")
TOKEN_SLOT = Markup("<!--swiftpaste:token-->")
VIEWS_SLOT = Markup("<!--swiftpaste:views-->")
"""Where the view count goes: split out at render time (`Rendered`), never filled here."""
ANONYMOUS = "anonymous"
"""The author shown for a snippet pasted without an account."""
_NOBODY = bytes(16)
SWITCHER_VERSIONS = 20
"""Versions linked from the switcher besides the first: the newest ones."""

_FACTS = struct.Struct("!16s16sI?")


@dataclass(frozen=True, slots=True)
class PageFacts:
    """What the route needs to know about the version a page shows."""

    snippet_id: UUID
    owner_id: UUID | None
    """None: an anonymous snippet, which nobody owns."""
    version: int
    public: bool
    """Every reader who may see the version gets these same bytes (public or unlisted,
    read without conditions)."""


def split_page(body: bytes) -> tuple[PageFacts, bytes]:
    """The facts and the HTML of a rendered page or embed."""
    snippet_id, owner_id, version, public = _FACTS.unpack_from(body)
    owner = None if owner_id == _NOBODY else UUID(bytes=owner_id)
    facts = PageFacts(UUID(bytes=snippet_id), owner, version, public)
    return facts, body[_FACTS.size :]


def fill_slots(html: bytes, *, session: str, owner: str, token: str) -> bytes:
    """The page as one reader gets it: each argument is HTML this package rendered."""
    return (
        html.replace(SESSION_SLOT.encode(), session.encode())
        .replace(OWNER_SLOT.encode(), owner.encode())
        .replace(TOKEN_SLOT.encode(), token.encode())
    )


def display_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def switcher(latest: int) -> list[int]:
    """Newest first: the latest `SWITCHER_VERSIONS`, and the first."""
    newest = list(range(latest, max(0, latest - SWITCHER_VERSIONS), -1))
    return newest if newest[-1] == 1 else [*newest, 1]


class SnippetPageRenderer:
    """Renders `Representation.PAGE` and `Representation.EMBED`."""

    def __init__(self, templates: PageTemplates, base_url: str) -> None:
        self._templates = templates
        self._base_url = base_url.rstrip("/")

    def render(
        self, details: SnippetDetails, version: SnippetVersion, representation: Representation
    ) -> Rendered:
        snippet = details.snippet
        highlighted = highlight_code(version.content, version.language)
        context = {
            "short_id": snippet.short_id,
            "title": snippet.title,
            "author": details.author.username if details.author else ANONYMOUS,
            "version": version.number,
            "latest": snippet.latest_version,
            "views": VIEWS_SLOT,
            "created": display_time(version.created_at),
            "created_iso": version.created_at.isoformat(),
            "expires": display_time(version.expires_at) if version.expires_at else None,
            "expires_iso": version.expires_at.isoformat() if version.expires_at else None,
            "language": version.language,
            "language_label": highlighted.language_label or version.language,
            "visibility": version.visibility.value,
            "burn_after_reading": version.burn_after_reading,
            "views_left": version.views_left if version.max_views is not None else None,
            "password_protected": version.password_hash is not None,
            "code": highlighted.html,
            "size_bytes": version.size_bytes,
            "page_url": f"{self._base_url}/{snippet.short_id}/v/{version.number}",
        }
        if representation is Representation.EMBED:
            html = self._templates.render("embed.html", **context)
        else:
            html = self._templates.render(
                "snippet.html",
                **context,
                versions=switcher(snippet.latest_version),
                raw_url=f"/v1/api/snippet/{snippet.short_id}/raw?v={version.number}",
                download_name=snippet.filename
                or f"{snippet.short_id}{file_extension(version.language)}",
                embed_url=f"{self._base_url}/{snippet.short_id}/embed?v={version.number}",
                session_nav=SESSION_SLOT,
                owner_controls=OWNER_SLOT,
                token_query=TOKEN_SLOT,
            )
        facts = _FACTS.pack(
            snippet.id.bytes,
            snippet.owner_id.bytes if snippet.owner_id else _NOBODY,
            version.number,
            version.visibility is not Visibility.PRIVATE and not version.is_guarded,
        )
        head, _, tail = html.encode().partition(VIEWS_SLOT.encode())
        return Rendered(facts + head, tail)
