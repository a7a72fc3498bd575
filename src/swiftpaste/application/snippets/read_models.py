"""What the snippet queries return: the aggregate plus what a response needs around it."""

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

from swiftpaste.domain.snippets import Snippet, Visibility, views_left


@dataclass(frozen=True, slots=True)
class Author:
    id: UUID
    username: str


@dataclass(frozen=True, slots=True)
class SnippetDetails:
    snippet: Snippet
    author: Author | None
    """None for an anonymous snippet."""


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionSummary:
    number: int
    visibility: Visibility
    language: str | None
    expires_at: datetime | None
    created_at: datetime
    size_bytes: int
    burn_after_reading: bool = False
    max_views: int | None = None
    views_used: int = 0
    password_protected: bool = False
    burned: bool = False

    @property
    def views_left(self) -> int | None:
        return views_left(
            burn_after_reading=self.burn_after_reading,
            burned=self.burned,
            max_views=self.max_views,
            views_used=self.views_used,
        )


@dataclass(frozen=True, slots=True)
class SnippetListing:
    snippet: Snippet
    versions: tuple[VersionSummary, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SnippetSummary:
    id: UUID
    short_id: str
    title: str
    latest_version: int
    views: int
    created_at: datetime
    updated_at: datetime
    latest: VersionSummary
    """The latest version: how, and by whom, it may be read."""


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return (self.total + self.size - 1) // self.size if self.total else 0
