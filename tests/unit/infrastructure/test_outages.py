"""is_transient_failure: a dependency away or busy, as opposed to a bad message."""

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, OperationalError

from swiftpaste.application.errors import DependencyUnavailable
from swiftpaste.infrastructure.outages import is_transient_failure


class DriverError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


def wrapped(sqlstate: str) -> DBAPIError:
    return DBAPIError("UPDATE snippets ...", {}, DriverError(sqlstate))


def raised_from(cause: BaseException) -> RuntimeError:
    try:
        raise RuntimeError("while evicting") from cause
    except RuntimeError as error:
        return error


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError("connection refused"),
        TimeoutError(),
        RedisConnectionError("Error 111 connecting"),
        RedisTimeoutError("Timeout reading from socket"),
        OperationalError("SELECT 1", {}, Exception("server closed the connection")),
        wrapped("40P01"),  # deadlock detected
        wrapped("57014"),  # statement timeout
        DependencyUnavailable("database unavailable"),
        raised_from(RedisConnectionError("Error 111 connecting")),
    ],
)
def test_outages_timeouts_and_lost_races_are_transient(error: BaseException) -> None:
    assert is_transient_failure(error)


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("a bug"),
        ValueError("bad value"),
        wrapped("23505"),  # unique violation: retrying will not help
        KeyError("missing"),
    ],
)
def test_everything_else_is_the_message_s_problem(error: BaseException) -> None:
    assert not is_transient_failure(error)
