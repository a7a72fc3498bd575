"""SearchConnections: a broken connection is retried once on a new one, an outage is a 503."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest

from swiftpaste.application.errors import DependencyUnavailable
from swiftpaste.infrastructure.persistence.search_connections import SearchConnections


class FakeConnection:
    def __init__(self, outcome: BaseException | list[str]) -> None:
        self.outcome = outcome

    async def fetch(self, sql: str, *arguments: object) -> list[str]:
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


class FakePool:
    """Hands out connections whose statements end as `outcomes` say, one after the other."""

    def __init__(self, outcomes: Sequence[BaseException | list[str]]) -> None:
        self.outcomes = list(outcomes)
        self.expired = 0

    @asynccontextmanager
    async def acquire(self, *, timeout: float) -> AsyncIterator[FakeConnection]:  # noqa: ASYNC109
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, TimeoutError):  # no connection free in time
            raise outcome
        yield FakeConnection(outcome)

    async def expire_connections(self) -> None:
        self.expired += 1


def connections(*outcomes: BaseException | list[str]) -> tuple[SearchConnections, FakePool]:
    pool = FakePool(outcomes)
    fake: Any = pool
    return SearchConnections(fake, acquire_timeout_seconds=1.0), pool


async def test_a_statement_runs_once() -> None:
    searches, pool = connections(["row"])
    assert await searches.fetch("SELECT 1", ()) == ["row"]
    assert pool.expired == 0


async def test_a_broken_connection_retires_the_pool_and_the_statement_runs_again() -> None:
    searches, pool = connections(asyncpg.ConnectionDoesNotExistError("gone"), ["row"])
    assert await searches.fetch("SELECT 1", ()) == ["row"]
    assert pool.expired == 1


@pytest.mark.parametrize(
    "outcomes",
    [
        (ConnectionRefusedError("refused"), ConnectionRefusedError("refused")),
        (TimeoutError(),),
        (asyncpg.QueryCanceledError("statement timeout"),),
        (asyncpg.CannotConnectNowError("starting up"),),
    ],
)
async def test_an_outage_or_a_timeout_is_a_dependency_unavailable(
    outcomes: tuple[BaseException, ...],
) -> None:
    searches, _ = connections(*outcomes)
    with pytest.raises(DependencyUnavailable):
        await searches.fetch("SELECT 1", ())


async def test_a_bug_in_the_statement_is_not_an_outage() -> None:
    searches, pool = connections(asyncpg.UndefinedColumnError("no such column"))
    with pytest.raises(asyncpg.UndefinedColumnError):
        await searches.fetch("SELECT nope", ())
    assert pool.expired == 0
