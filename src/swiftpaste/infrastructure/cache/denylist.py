"""RedisAccessTokenDenylist: revoked access tokens and sessions, kept until they would expire.

Calls go through the Redis circuit breaker: while it is open they fail at once with
DenylistUnavailable, and callers turn to PostgreSQL as for any Redis failure.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from redis.asyncio import Redis
from redis.exceptions import RedisError

from swiftpaste.application.ports.security import DenylistUnavailable
from swiftpaste.infrastructure.cache.breaker import CircuitBreaker, CircuitOpen
from swiftpaste.infrastructure.metrics import CACHE_ERRORS


def token_key(token_id: str) -> str:
    return f"auth:revoked-token:{token_id}"


def session_key(session_id: UUID) -> str:
    return f"auth:revoked-session:{session_id}"


def _ttl(until: datetime) -> int:
    return max(1, int((until - datetime.now(UTC)).total_seconds()) + 1)


class RedisAccessTokenDenylist:
    def __init__(self, redis: "Redis", breaker: CircuitBreaker) -> None:
        self._redis = redis
        self._breaker = breaker

    async def revoke_token(self, token_id: str, until: datetime) -> None:
        try:
            await self._breaker.call(
                lambda: self._redis.set(token_key(token_id), b"1", ex=_ttl(until))
            )
        except CircuitOpen as error:
            raise DenylistUnavailable(str(error)) from error
        except RedisError as error:
            CACHE_ERRORS.inc()
            raise DenylistUnavailable(str(error)) from error

    async def revoke_sessions(self, session_ids: Sequence[UUID], until: datetime) -> None:
        if not session_ids:
            return

        async def revoke() -> None:
            async with self._redis.pipeline(transaction=False) as pipe:
                for session_id in session_ids:
                    pipe.set(session_key(session_id), b"1", ex=_ttl(until))
                await pipe.execute()

        try:
            await self._breaker.call(revoke)
        except CircuitOpen as error:
            raise DenylistUnavailable(str(error)) from error
        except RedisError as error:
            CACHE_ERRORS.inc()
            raise DenylistUnavailable(str(error)) from error

    async def is_revoked(self, token_id: str, session_id: UUID) -> bool:
        try:
            found = await self._breaker.call(
                lambda: self._redis.exists(token_key(token_id), session_key(session_id))
            )
        except CircuitOpen as error:
            raise DenylistUnavailable(str(error)) from error
        except RedisError as error:
            CACHE_ERRORS.inc()
            raise DenylistUnavailable(str(error)) from error
        return bool(found)
