"""The unit of work over the request's SQLAlchemy session."""

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from swiftpaste.infrastructure.persistence.errors import translate_integrity_error


class SqlaUnitOfWork:
    """Commits or rolls back the one transaction all repositories of a request share."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def commit(self) -> None:
        try:
            await self._session.commit()
        except IntegrityError as error:
            await self._session.rollback()
            translated = translate_integrity_error(error)
            if translated is None:
                raise
            raise translated from error

    async def rollback(self) -> None:
        await self._session.rollback()
