"""RedisSnippetCache: response bytes of public versions, guarded against stale writes.

Keys: `snippet:{short_id}:v{N|latest}` hold the exact response body (after a
17-byte header naming the snippet);
`snippet:{short_id}:gen` counts invalidations. A reader notes the counter with its
lookup; its later write lands only if no invalidation happened in between, so a
slow cache-miss read can never put back what a concurrent edit just removed.
"""

import logging
from dataclasses import dataclass
from uuid import UUID

from redis.asyncio import Redis
from redis.exceptions import RedisError

from swiftpaste.infrastructure.metrics import CACHE_ERRORS, CACHE_HITS, CACHE_MISSES

logger = logging.getLogger(__name__)

_ABSENT_GENERATION = b"0"

# KEYS: body key, generation key. ARGV: body, ttl, generation seen at lookup.
_GUARDED_SET = """
local generation = redis.call('GET', KEYS[2]) or '0'
if generation ~= ARGV[3] then
    return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
"""


# A stored value is this marker, the snippet's id (16 bytes), then the response body:
# a hit knows whose view it records without parsing the body. A value in any other
# form (an older layout) reads as a miss and is replaced.
_VALUE_MARKER = b"\x01"
_HEADER_LENGTH = 1 + 16


@dataclass(frozen=True, slots=True)
class CacheLookup:
    body: bytes | None
    generation: bytes | None
    """None when Redis could not be asked: then nothing is written back either."""
    snippet_id: UUID | None = None


def encode_value(snippet_id: UUID, body: bytes) -> bytes:
    return _VALUE_MARKER + snippet_id.bytes + body


def decode_value(value: bytes | None) -> tuple[UUID, bytes] | None:
    if value is None or len(value) <= _HEADER_LENGTH or value[:1] != _VALUE_MARKER:
        return None
    return UUID(bytes=value[1:_HEADER_LENGTH]), value[_HEADER_LENGTH:]


def body_key(short_id: str, version: int | None) -> str:
    return f"snippet:{short_id}:v{'latest' if version is None else version}"


def generation_key(short_id: str) -> str:
    return f"snippet:{short_id}:gen"


class RedisSnippetCache:
    def __init__(self, redis: "Redis", generation_ttl_seconds: int) -> None:
        self._redis = redis
        self._guarded_set = redis.register_script(_GUARDED_SET)
        self._generation_ttl = generation_ttl_seconds

    async def get(self, short_id: str, version: int | None) -> CacheLookup:
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.get(body_key(short_id, version))
                pipe.get(generation_key(short_id))
                value, generation = await pipe.execute()
        except RedisError as error:
            CACHE_ERRORS.inc()
            logger.warning("cache lookup failed; reading from the database: %s", error)
            return CacheLookup(body=None, generation=None)
        generation = generation or _ABSENT_GENERATION
        decoded = decode_value(value)
        if decoded is None:
            CACHE_MISSES.inc()
            return CacheLookup(body=None, generation=generation)
        CACHE_HITS.inc()
        return CacheLookup(body=decoded[1], generation=generation, snippet_id=decoded[0])

    async def put(
        self,
        short_id: str,
        version: int | None,
        body: bytes,
        ttl_seconds: int,
        generation: bytes | None,
        snippet_id: UUID,
    ) -> None:
        if generation is None or ttl_seconds <= 0:
            return
        try:
            await self._guarded_set(
                keys=[body_key(short_id, version), generation_key(short_id)],
                args=[encode_value(snippet_id, body), ttl_seconds, generation],
            )
        except RedisError as error:
            CACHE_ERRORS.inc()
            logger.warning("cache write failed: %s", error)

    async def invalidate(self, short_id: str, latest_version: int) -> None:
        try:
            await self.evict(short_id, latest_version)
        except RedisError as error:
            CACHE_ERRORS.inc()
            # The cache consumer repeats this from the event stream once Redis is back.
            logger.warning("cache invalidation failed: %s", error, extra={"short_id": short_id})

    async def evict(self, short_id: str, latest_version: int) -> None:
        """Like `invalidate`, but a Redis failure is raised for the caller to retry."""
        keys = [body_key(short_id, None)] + [
            body_key(short_id, number) for number in range(1, latest_version + 1)
        ]
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(generation_key(short_id))
            pipe.expire(generation_key(short_id), self._generation_ttl)
            pipe.delete(*keys)
            await pipe.execute()
