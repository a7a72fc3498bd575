"""ExpireDueShares: announce the share windows that have ended, once each."""

from dataclasses import dataclass

from swiftpaste.application.ports.persistence import UnitOfWork
from swiftpaste.application.ports.snippets import SnippetRepository
from swiftpaste.application.ports.system import Clock


@dataclass(frozen=True, slots=True)
class ExpiryRun:
    snippets: int
    versions: int


class ExpireDueShares:
    """One scheduler tick: mark ended share windows and record `snippet.expired`.

    The mark and the events (through the outbox) are committed in one transaction,
    so every ended window is announced exactly once, however many schedulers run.
    """

    def __init__(self, snippets: SnippetRepository, uow: UnitOfWork, clock: Clock) -> None:
        self._snippets = snippets
        self._uow = uow
        self._clock = clock

    async def __call__(self, batch_size: int) -> ExpiryRun:
        now = self._clock.now()
        due = await self._snippets.lock_with_due_expiries(now, batch_size)
        versions = 0
        for snippet in due:
            versions += len(snippet.expire_due_versions(now))
            await self._snippets.save(snippet)
        await self._uow.commit()
        return ExpiryRun(snippets=len(due), versions=versions)
