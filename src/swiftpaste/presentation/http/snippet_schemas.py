"""Snippet request and response bodies, and the renderer whose bytes the read path caches."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from swiftpaste.application.ports.snippets import Rendered, Representation
from swiftpaste.application.snippets.create_snippet import (
    SNIPPET_PASSWORD_MAX_LENGTH,
    SNIPPET_PASSWORD_MIN_LENGTH,
    CreateSnippetCommand,
    Idempotency,
)
from swiftpaste.application.snippets.read_models import (
    Author,
    Page,
    SnippetDetails,
    SnippetSummary,
    VersionSummary,
)
from swiftpaste.domain.snippets import (
    FILENAME_MAX_LENGTH,
    LANGUAGE_MAX_LENGTH,
    MAX_VIEWS_LIMIT,
    TITLE_MAX_LENGTH,
    ExpiryPreset,
    Snippet,
    SnippetVersion,
    Visibility,
)
from swiftpaste.presentation.http.request_models import RequestModel


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        msg = "must include a timezone, e.g. 2030-01-01T00:00:00Z"
        raise ValueError(msg)
    return value


MAX_VERSION = 2**31 - 1
"""The largest version number a request may name (PostgreSQL's `integer`)."""

Title = Annotated[str, Field(min_length=1, max_length=TITLE_MAX_LENGTH)]
Language = Annotated[str, Field(min_length=1, max_length=LANGUAGE_MAX_LENGTH)]
ExpiresAt = Annotated[
    datetime | None,
    AfterValidator(_aware),
    Field(description="When the version stops being readable by others (with a timezone)."),
]
ExpiresIn = Annotated[
    ExpiryPreset | None,
    Field(description="How long the version stays readable by others, instead of expires_at."),
]
MaxViews = Annotated[
    int | None,
    Field(
        ge=1,
        le=MAX_VIEWS_LIMIT,
        description="Reads by others than the owner allowed; read N+1 and later answer 410.",
    ),
]
SnippetPassword = Annotated[
    str | None,
    Field(
        min_length=SNIPPET_PASSWORD_MIN_LENGTH,
        max_length=SNIPPET_PASSWORD_MAX_LENGTH,
        description="Readers other than the owner send it in X-Snippet-Password; never returned.",
    ),
]
BURN_DESCRIPTION = "The first read by anyone but the owner is the last: the content is erased."
Filename = Annotated[str, Field(min_length=1, max_length=FILENAME_MAX_LENGTH)]


class _OneExpiry(RequestModel):
    @model_validator(mode="after")
    def _one_expiry(self) -> "_OneExpiry":
        if getattr(self, "expires_at", None) is not None and self.expires_in is not None:
            msg = "give expires_at or expires_in, not both"
            raise ValueError(msg)
        return self

    expires_in: ExpiresIn = None


class SnippetCreate(_OneExpiry):
    """What a create asks for: the JSON body, or the curl-friendly form and query options.

    Each field is passed on to the create command under its own name (`command`).
    """

    model_config = ConfigDict(extra="forbid")

    title: Title
    content: str
    visibility: Visibility = Visibility.PUBLIC
    language: Language | None = Field(
        default=None, description="Default: from `filename`, else guessed from the content."
    )
    expires_at: ExpiresAt = None
    burn_after_reading: bool = Field(default=False, description=BURN_DESCRIPTION)
    max_views: MaxViews = None
    password: SnippetPassword = None
    filename: Filename | None = Field(
        default=None, description="A file name (no folders): downloads are saved under it."
    )

    def command(
        self, owner_id: UUID | None, idempotency: Idempotency | None
    ) -> CreateSnippetCommand:
        return CreateSnippetCommand(owner_id=owner_id, idempotency=idempotency, **dict(self))


class SnippetUpdate(_OneExpiry):
    """A field left out is inherited from the latest version; `null` removes an expiry,
    a view limit or a password."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    content: str | None = None
    visibility: Visibility | None = None
    language: Language | None = None
    expires_at: ExpiresAt = None
    burn_after_reading: bool | None = Field(default=None, description=BURN_DESCRIPTION)
    max_views: MaxViews = None
    password: SnippetPassword = None


class ShareRequest(_OneExpiry):
    model_config = ConfigDict(extra="forbid")

    ttl_seconds: int | None = Field(default=None, description="Share window; default a setting.")


class AuthorOut(BaseModel):
    id: UUID
    username: str


class VersionOut(BaseModel):
    version: int
    content: str
    visibility: Visibility
    language: str | None
    expires_at: datetime | None
    created_at: datetime
    burn_after_reading: bool
    max_views: int | None
    views_left: int | None = Field(
        description="Reads by others than the owner left; null when there is no limit."
    )
    password_protected: bool


class SnippetResponse(BaseModel):
    id: UUID
    short_id: str
    title: str
    author: AuthorOut | None
    """None for an anonymous snippet."""
    created_at: datetime
    updated_at: datetime
    latest_version: int
    views: int
    filename: str | None
    current_version: VersionOut

    @classmethod
    def of(
        cls, snippet: Snippet, author: Author | None, version: SnippetVersion
    ) -> "SnippetResponse":
        return cls(
            id=snippet.id,
            short_id=snippet.short_id,
            title=snippet.title,
            author=None if author is None else AuthorOut(id=author.id, username=author.username),
            created_at=snippet.created_at,
            updated_at=snippet.updated_at,
            latest_version=snippet.latest_version,
            views=snippet.views,
            filename=snippet.filename,
            current_version=VersionOut(
                version=version.number,
                content=version.content,
                visibility=version.visibility,
                language=version.language,
                expires_at=version.expires_at,
                created_at=version.created_at,
                burn_after_reading=version.burn_after_reading,
                max_views=version.max_views,
                views_left=version.views_left,
                password_protected=version.password_hash is not None,
            ),
        )


class CreatedAnonymously(SnippetResponse):
    """The answer to an anonymous create: the snippet and its delete token."""

    delete_token: str = Field(
        description="Deletes the snippet (`X-Delete-Token`). Shown this once: kept as a digest."
    )

    @classmethod
    def render(cls, details: SnippetDetails, delete_token: str) -> bytes:
        snippet = details.snippet
        response = SnippetResponse.of(snippet, details.author, snippet.version())
        return cls(**dict(response), delete_token=delete_token).model_dump_json().encode()


_VIEWS_KEY = b'"views":'


class HttpSnippetRenderer:
    """What the API sends, and the cache stores: `SnippetResponse` as JSON, with the view
    count apart (see `Rendered`), or the content alone (raw)."""

    def render(
        self,
        details: SnippetDetails,
        version: SnippetVersion,
        representation: Representation = Representation.JSON,
    ) -> Rendered:
        if representation is Representation.RAW:
            return Rendered(version.content.encode())
        body = SnippetResponse.of(details.snippet, details.author, version).model_dump_json()
        # The first `"views":` is the key: inside a string JSON escapes the quotes.
        encoded = body.encode()
        start = encoded.index(_VIEWS_KEY) + len(_VIEWS_KEY)
        end = start
        while encoded[end : end + 1].isdigit():
            end += 1
        return Rendered(encoded[:start], encoded[end:])


class VersionSummaryOut(BaseModel):
    version: int
    visibility: Visibility
    language: str | None
    expires_at: datetime | None
    created_at: datetime
    size_bytes: int
    burn_after_reading: bool
    max_views: int | None
    views_left: int | None
    password_protected: bool

    @classmethod
    def of(cls, summary: VersionSummary) -> "VersionSummaryOut":
        return cls(
            version=summary.number,
            visibility=summary.visibility,
            language=summary.language,
            expires_at=summary.expires_at,
            created_at=summary.created_at,
            size_bytes=summary.size_bytes,
            burn_after_reading=summary.burn_after_reading,
            max_views=summary.max_views,
            views_left=summary.views_left,
            password_protected=summary.password_protected,
        )


class VersionList(BaseModel):
    items: list[VersionSummaryOut]


class ShareResponse(BaseModel):
    share_url: str
    expires_at: datetime
    version: int


class SnippetListItem(BaseModel):
    id: UUID
    short_id: str
    title: str
    latest_version: int
    views: int
    created_at: datetime
    updated_at: datetime
    current_version: VersionSummaryOut
    """The latest version: how, and by whom, it may be read."""


class SnippetPage(BaseModel):
    items: list[SnippetListItem]
    total: int
    page: int
    size: int
    pages: int

    @classmethod
    def of(cls, page: Page[SnippetSummary]) -> "SnippetPage":
        return cls(
            items=[
                SnippetListItem(
                    id=s.id,
                    short_id=s.short_id,
                    title=s.title,
                    latest_version=s.latest_version,
                    views=s.views,
                    created_at=s.created_at,
                    updated_at=s.updated_at,
                    current_version=VersionSummaryOut.of(s.latest),
                )
                for s in page.items
            ],
            total=page.total,
            page=page.page,
            size=page.size,
            pages=page.pages,
        )
