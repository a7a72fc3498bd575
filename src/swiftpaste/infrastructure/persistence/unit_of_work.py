"""The unit of work over the request's SQLAlchemy session, and transactions of their own."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from swiftpaste.infrastructure.persistence.errors import translate_integrity_error
from swiftpaste.infrastructure.persistence.outbox import (
    OutboxTopics,
    TrackedAggregates,
    write_to_outbox,
)
from swiftpaste.infrastructure.persistence.snippets import SqlaSnippetRepository


class SqlaUnitOfWork:
    """Commits or rolls back the one transaction all repositories of a request share.

    The events of every aggregate the repositories touched are written to the
    outbox in that same transaction, just before it commits.
    """

    def __init__(
        self, session: AsyncSession, aggregates: TrackedAggregates, topics: OutboxTopics
    ) -> None:
        self._session = session
        self._aggregates = aggregates
        self._topics = topics

    async def commit(self) -> None:
        try:
            await write_to_outbox(self._session, self._aggregates.pull_events(), self._topics)
            await self._session.commit()
        except IntegrityError as error:
            await self._session.rollback()
            translated = translate_integrity_error(error)
            if translated is None:
                raise
            raise translated from error

    async def rollback(self) -> None:
        await self._session.rollback()


class SqlaSnippetTransaction:
    def __init__(self, session: AsyncSession, topics: OutboxTopics) -> None:
        aggregates = TrackedAggregates()
        self.snippets = SqlaSnippetRepository(session, aggregates)
        self._unit = SqlaUnitOfWork(session, aggregates, topics)

    async def commit(self) -> None:
        await self._unit.commit()


class SqlaSnippetTransactions:
    """Opens a session of its own for a use case that is not request-scoped (the read
    path, whose rare counted reads write)."""

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], topics: OutboxTopics
    ) -> None:
        self._session_factory = session_factory
        self._topics = topics

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[SqlaSnippetTransaction]:
        async with self._session_factory() as session:
            yield SqlaSnippetTransaction(session, self._topics)
