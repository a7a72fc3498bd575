"""Dependency probes for the readiness report: one cheap round trip each."""

from typing import Protocol

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


class PostgresProbe:
    name = "postgres"
    critical = True

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def check(self) -> None:
        async with self._engine.connect() as connection:
            await connection.execute(text("SELECT 1"))


class RedisProbe:
    name = "redis"
    critical = False

    def __init__(self, redis: "Redis") -> None:
        self._redis = redis

    async def check(self) -> None:
        await self._redis.ping()


class KafkaUnreachable(Exception):
    """The broker did not answer a metadata request."""


class KafkaClient(Protocol):
    async def ping(self, timeout_seconds: float) -> bool: ...


class KafkaProbe:
    name = "kafka"
    critical = False

    def __init__(self, client: KafkaClient, timeout_seconds: float) -> None:
        self._client = client
        self._timeout = timeout_seconds

    async def check(self) -> None:
        if not await self._client.ping(self._timeout):
            raise KafkaUnreachable("broker not connected or not answering")
