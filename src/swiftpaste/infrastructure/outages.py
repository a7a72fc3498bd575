"""Telling a failure of the surroundings from a failure of the message.

A consumer must not dead-letter an event because PostgreSQL restarted or Redis
timed out: the same event will succeed once the dependency is back. These errors
(and a transaction that lost a deadlock or serialization race) are transient.
"""

from collections.abc import Iterator

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from swiftpaste.application.errors import DependencyUnavailable

_TRANSIENT_SQLSTATES = frozenset(
    {
        "40001",  # serialization_failure
        "40P01",  # deadlock_detected
        "57014",  # query_canceled: statement_timeout hit
        "57P01",  # admin_shutdown
        "57P02",  # crash_shutdown
        "57P03",  # cannot_connect_now (starting up, shutting down)
    }
)

_TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    DependencyUnavailable,
    OSError,  # refused, reset, unreachable; TimeoutError is one too
    RedisConnectionError,
    RedisTimeoutError,
    OperationalError,
    InterfaceError,
    PoolTimeoutError,
)


def is_transient_failure(error: BaseException) -> bool:
    """True when the error says a dependency is away or busy, not that the message is bad."""
    for cause in _causes(error):
        if isinstance(cause, _TRANSIENT_TYPES):
            return True
        if isinstance(cause, DBAPIError) and cause.connection_invalidated:
            return True
        if getattr(cause, "sqlstate", None) in _TRANSIENT_SQLSTATES:
            return True
    return False


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error and what it wraps: `raise ... from` chains and SQLAlchemy's driver error."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        wrapped = getattr(current, "orig", None)
        current = wrapped if isinstance(wrapped, BaseException) else current.__cause__
