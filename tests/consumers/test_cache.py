"""The cache consumer evicts a snippet's cached responses when an event says they are stale."""

import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaProducer
from faststream.asgi import AsgiFastStream
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from swiftpaste.infrastructure.cache.snippet_cache import body_key, generation_key
from swiftpaste.main.consumers import build_consumer_app
from swiftpaste.main.settings import Settings
from tests.conftest import Servers, eventually
from tests.consumers.conftest import (
    StoredSnippet,
    consumer_settings,
    deleted,
    publish,
    revised,
    running,
)


@pytest.fixture(scope="module")
def settings(servers: Servers, database_url: str) -> Settings:
    return consumer_settings(servers, database_url)


@pytest.fixture(scope="module")
async def cache_consumer(settings: Settings) -> AsyncIterator[AsgiFastStream]:
    async with running(build_consumer_app("cache", settings)) as app:
        yield app


@pytest.fixture
async def redis(servers: Servers) -> AsyncIterator[Redis]:
    client = Redis.from_url(servers.endpoints.redis_url)
    yield client
    await client.aclose()


def a_snippet(latest_version: int) -> StoredSnippet:
    """The cache consumer reads only the event: no rows are needed."""
    return StoredSnippet(
        id=uuid.uuid4(),
        short_id=uuid.uuid4().hex[:8],
        owner_id=uuid.uuid4(),
        title="cached",
        latest_version=latest_version,
        aggregate_version=latest_version,
    )


def cached_keys(snippet: StoredSnippet) -> list[str]:
    return [body_key(snippet.short_id, None)] + [
        body_key(snippet.short_id, version) for version in range(1, snippet.latest_version + 1)
    ]


async def fill_cache(redis: Redis, snippet: StoredSnippet) -> None:
    for key in cached_keys(snippet):
        await redis.set(key, b"cached response", ex=300)


@pytest.mark.usefixtures("cache_consumer")
async def test_revised_and_deleted_events_remove_every_cached_version(
    settings: Settings, producer: AIOKafkaProducer, redis: Redis
) -> None:
    topic = settings.kafka_snippet_events_topic
    edited, removed = a_snippet(latest_version=2), a_snippet(latest_version=1)
    for snippet in (edited, removed):
        await fill_cache(redis, snippet)

    await publish(producer, topic, revised(edited))
    await publish(producer, topic, deleted(removed))

    async def evicted() -> bool:
        keys = cached_keys(edited) + cached_keys(removed)
        return await redis.exists(*keys) == 0

    await eventually(evicted)


def cache_retries() -> float:
    labels = {"consumer": "cache", "outcome": "retried"}
    return REGISTRY.get_sample_value("consumer_messages_total", labels) or 0.0


@pytest.mark.embedded
@pytest.mark.usefixtures("cache_consumer")
async def test_an_event_arriving_while_redis_is_down_evicts_once_it_is_back(
    servers: Servers, settings: Settings, producer: AIOKafkaProducer, redis: Redis
) -> None:
    stack = servers.require_stack()
    snippet = a_snippet(latest_version=1)
    await fill_cache(redis, snippet)
    witness = f"test:{snippet.short_id}:witness"
    await redis.set(witness, b"restored")
    # Valkey runs without persistence: a manual dump brings the entries back after the
    # restart (the witness proves it did), so the eviction really has work to do.
    await redis.save()
    retries_before = cache_retries()
    stack.valkey.stop()
    try:
        await publish(producer, settings.kafka_snippet_events_topic, revised(snippet))

        async def retrying() -> bool:
            return cache_retries() > retries_before

        await eventually(retrying)
    finally:
        stack.valkey.start()
        (stack.valkey.directory / "dump.rdb").unlink(missing_ok=True)

    # The fixture's connections died with the server: ask through new ones.
    restarted = Redis.from_url(servers.endpoints.redis_url)
    try:

        async def evicted_after_the_restart() -> bool:
            return (
                await restarted.exists(witness) == 1
                and await restarted.exists(*cached_keys(snippet)) == 0
                # The eviction bumps the generation; it did not exist before the outage.
                and await restarted.get(generation_key(snippet.short_id)) == b"1"
            )

        await eventually(evicted_after_the_restart)
        await restarted.delete(witness, generation_key(snippet.short_id))
    finally:
        await restarted.aclose()
