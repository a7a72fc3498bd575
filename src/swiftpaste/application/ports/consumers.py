"""Ports of the event consumers: the search documents, the view ledger, cache eviction."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchDocument:
    """What search knows about one live snippet: its latest version, as of `aggregate_version`.

    A shared version whose window ended keeps its `expires_at` here; search filters
    on it at query time, so an expiry needs no rewrite of the document.
    """

    snippet_id: UUID
    short_id: str
    owner_id: UUID | None
    title: str
    content: str
    language: str | None
    visibility: str
    version: int
    expires_at: datetime | None
    snippet_created_at: datetime
    aggregate_version: int


@dataclass(frozen=True, slots=True)
class RefreshedPage:
    """One page of a rebuild: how many documents were written, and where to go on."""

    written: int
    last_snippet_id: UUID | None
    """The last snippet of the page; None when there was nothing left to read."""


class SnippetSnapshots(Protocol):
    """The snippets' current state, as the write side committed it."""

    async def current(self, snippet_ids: Sequence[UUID]) -> dict[UUID, SearchDocument]:
        """The document each snippet should have now; deleted or missing ones are absent."""


class SearchDocuments(Protocol):
    """The stored search documents, inside the caller's transaction."""

    async def indexed_versions(self, snippet_ids: Sequence[UUID]) -> dict[UUID, int]:
        """The aggregate version of each stored document; snippets without one are absent."""

    async def save(self, documents: Sequence[SearchDocument]) -> int:
        """Insert or replace each document, unless the stored one is as new or newer.

        Returns how many were written.
        """

    async def remove(self, snippet_ids: Sequence[UUID]) -> int:
        """Delete the snippets' documents; returns how many there were."""

    async def refresh_page(self, after: UUID | None, limit: int) -> RefreshedPage:
        """Rewrite the documents of up to `limit` live snippets with ids above `after`.

        Documents are written from the snippets' committed state unless the stored
        one is newer, so a concurrent indexer is never rolled back.
        """

    async def remove_stale(self) -> int:
        """Delete the documents of snippets that are deleted or gone; returns how many."""


@dataclass(frozen=True, slots=True, order=True)
class StreamPosition:
    """Where a record sits in the log: one offset of one partition of one topic."""

    topic: str
    partition: int
    offset: int


TopicPartition = tuple[str, int]


class ViewLedger(Protocol):
    """View counters and the stream positions already applied to them, per consumer group."""

    async def lock_positions(
        self, group: str, partitions: Sequence[TopicPartition]
    ) -> dict[TopicPartition, int]:
        """Lock and return the next unapplied offset of each partition (0 when new).

        Holding the lock until commit makes a concurrent consumer of the same
        partitions (a rebalance in flight) wait, then see what this one applied.
        """

    async def add_views(self, counts: Mapping[UUID, int]) -> dict[str, int]:
        """Add the counts to the snippets' view counters (unknown snippets are ignored);
        the new totals, by short id."""

    async def advance(self, group: str, next_offsets: Mapping[TopicPartition, int]) -> None:
        """Record the next unapplied offset of each partition (never moving one back)."""


class CacheEvictor(Protocol):
    async def evict(self, short_id: str, latest_version: int) -> None:
        """Drop every cached version of the snippet (idempotent).

        Unlike the read path's invalidation, a failure is raised, so the caller can retry.
        """
