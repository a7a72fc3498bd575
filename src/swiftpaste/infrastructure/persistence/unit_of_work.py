"""The unit of work over the request's SQLAlchemy session."""

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from swiftpaste.infrastructure.persistence.errors import translate_integrity_error
from swiftpaste.infrastructure.persistence.outbox import (
    OutboxTopics,
    TrackedAggregates,
    write_to_outbox,
)


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
