"""RedisAccessTokenDenylist: logged-out access-token ids, kept until the token would expire."""

from datetime import UTC, datetime

from redis.asyncio import Redis
from redis.exceptions import RedisError

from swiftpaste.application.ports.security import DenylistUnavailable
from swiftpaste.infrastructure.metrics import CACHE_ERRORS


def _key(token_id: str) -> str:
    return f"auth:denylist:{token_id}"


class RedisAccessTokenDenylist:
    def __init__(self, redis: "Redis") -> None:
        self._redis = redis

    async def add(self, token_id: str, expires_at: datetime) -> None:
        ttl = max(1, int((expires_at - datetime.now(UTC)).total_seconds()) + 1)
        try:
            await self._redis.set(_key(token_id), b"1", ex=ttl)
        except RedisError as error:
            CACHE_ERRORS.inc()
            raise DenylistUnavailable(str(error)) from error

    async def contains(self, token_id: str) -> bool:
        try:
            return bool(await self._redis.exists(_key(token_id)))
        except RedisError as error:
            CACHE_ERRORS.inc()
            raise DenylistUnavailable(str(error)) from error
