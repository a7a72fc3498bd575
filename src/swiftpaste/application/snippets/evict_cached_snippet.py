"""EvictCachedSnippet: drop a snippet's cached responses when an event says they are stale."""

from swiftpaste.application.integration_events import LifecycleEvent, SnippetCreatedEvent
from swiftpaste.application.ports.consumers import CacheEvictor


class EvictCachedSnippet:
    """The safety net behind the API's own invalidation, driven by the event stream.

    The API deletes the keys right after its commit, but a crash or a Redis hiccup
    in between would leave a stale entry until its TTL. Revised, shared, deleted and
    expired all change what a cached version may show; a new snippet has nothing
    cached yet. Returns whether anything was evicted.
    """

    def __init__(self, cache: CacheEvictor) -> None:
        self._cache = cache

    async def __call__(self, event: LifecycleEvent) -> bool:
        if isinstance(event, SnippetCreatedEvent):
            return False
        await self._cache.evict(event.payload.short_id, event.payload.latest_version)
        return True
