"""Snippet request and response bodies, and the renderer whose bytes the read path caches."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from swiftpaste.application.ports.snippets import Representation
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
    TITLE_MAX_LENGTH,
    Snippet,
    SnippetVersion,
    Visibility,
)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        msg = "must include a timezone, e.g. 2030-01-01T00:00:00Z"
        raise ValueError(msg)
    return value


MAX_VERSION = 2**31 - 1
"""The largest version number a request may name (PostgreSQL's `integer`)."""

Title = Annotated[str, Field(min_length=1, max_length=TITLE_MAX_LENGTH)]
Language = Annotated[str, Field(min_length=1, max_length=LANGUAGE_MAX_LENGTH)]
Filename = Annotated[str, Field(min_length=1, max_length=FILENAME_MAX_LENGTH)]


class SnippetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    content: str
    visibility: Visibility = Visibility.PUBLIC
    language: Language | None = Field(
        default=None, description="Default: from `filename`, else guessed from the content."
    )
    expires_at: Annotated[datetime | None, AfterValidator(_aware)] = None
    filename: Filename | None = Field(
        default=None, description="A file name (no folders): downloads are saved under it."
    )


class SnippetUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    content: str | None = None
    visibility: Visibility | None = None
    language: Language | None = None


class ShareRequest(BaseModel):
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


class SnippetResponse(BaseModel):
    id: UUID
    short_id: str
    title: str
    author: AuthorOut
    created_at: datetime
    updated_at: datetime
    latest_version: int
    views: int
    filename: str | None
    current_version: VersionOut

    @classmethod
    def of(cls, snippet: Snippet, author: Author, version: SnippetVersion) -> "SnippetResponse":
        return cls(
            id=snippet.id,
            short_id=snippet.short_id,
            title=snippet.title,
            author=AuthorOut(id=author.id, username=author.username),
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
            ),
        )


class HttpSnippetRenderer:
    """The bytes the API sends, and the cache stores: `SnippetResponse` as JSON, or the
    content alone (raw)."""

    def render(
        self,
        details: SnippetDetails,
        version: SnippetVersion,
        representation: Representation = Representation.JSON,
    ) -> bytes:
        if representation is Representation.RAW:
            return version.content.encode()
        response = SnippetResponse.of(details.snippet, details.author, version)
        return response.model_dump_json().encode()


class VersionSummaryOut(BaseModel):
    version: int
    visibility: Visibility
    language: str | None
    expires_at: datetime | None
    created_at: datetime
    size_bytes: int

    @classmethod
    def of(cls, summary: VersionSummary) -> "VersionSummaryOut":
        return cls(
            version=summary.number,
            visibility=summary.visibility,
            language=summary.language,
            expires_at=summary.expires_at,
            created_at=summary.created_at,
            size_bytes=summary.size_bytes,
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
                )
                for s in page.items
            ],
            total=page.total,
            page=page.page,
            size=page.size,
            pages=page.pages,
        )
