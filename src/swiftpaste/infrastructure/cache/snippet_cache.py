"""RedisSnippetCache: rendered public versions, guarded against stale writes.

Keys: `snippet:{short_id}:v{N|latest}` hold the exact JSON body (after a 49-byte header
naming the snippet and its entity tag), `...:raw` the raw content; `snippet:{short_id}:gen` counts
invalidations. A reader notes the counter with its lookup; its later write lands only if
no invalidation happened in between, so a slow cache-miss read can never put back what a
concurrent edit just removed. The lookup rides on the rate limiter's script: admitting the
request and fetching the body is one round trip.
"""

import logging
from dataclasses import dataclass
from uuid import UUID

from redis.asyncio import Redis
from redis.exceptions import RedisError

from swiftpaste.application.ports.rate_limit import Admission, Admitted
from swiftpaste.application.ports.snippets import Representation
from swiftpaste.infrastructure.cache.rate_limiter import RedisRateLimiter
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


# A stored value is this marker, the snippet's id (16 bytes), its entity tag (32 ASCII hex
# digits), then the response body: a hit knows whose view it records and which tag it
# answers with without parsing or hashing the body. A value in any other form (an older
# layout) reads as a miss and is replaced.
_VALUE_MARKER = b"\x02"
_ETAG_LENGTH = 32
_ETAG_START = 1 + 16
_HEADER_LENGTH = _ETAG_START + _ETAG_LENGTH


@dataclass(frozen=True, slots=True)
class CacheLookup:
    admitted: Admitted
    body: bytes | None
    generation: bytes | None
    """None when Redis could not be asked: then nothing is written back either."""
    snippet_id: UUID | None = None
    etag: str | None = None


@dataclass(frozen=True, slots=True)
class CachedValue:
    snippet_id: UUID
    etag: str
    body: bytes


def encode_value(snippet_id: UUID, etag: str, body: bytes) -> bytes:
    tag = etag.encode("ascii")
    if len(tag) != _ETAG_LENGTH:
        raise ValueError(f"an entity tag is {_ETAG_LENGTH} hex digits, not {etag!r}")
    return _VALUE_MARKER + snippet_id.bytes + tag + body


def decode_value(value: bytes | None) -> CachedValue | None:
    if value is None or len(value) <= _HEADER_LENGTH or value[:1] != _VALUE_MARKER:
        return None
    return CachedValue(
        UUID(bytes=value[1:_ETAG_START]),
        value[_ETAG_START:_HEADER_LENGTH].decode("ascii"),
        value[_HEADER_LENGTH:],
    )


def body_key(
    short_id: str, version: int | None, representation: Representation = Representation.JSON
) -> str:
    key = f"snippet:{short_id}:v{'latest' if version is None else version}"
    return key if representation is Representation.JSON else f"{key}:{representation}"


def generation_key(short_id: str) -> str:
    return f"snippet:{short_id}:gen"


class RedisSnippetCache:
    def __init__(
        self, redis: "Redis", limiter: RedisRateLimiter, generation_ttl_seconds: int
    ) -> None:
        self._redis = redis
        self._limiter = limiter
        self._guarded_set = redis.register_script(_GUARDED_SET)
        self._generation_ttl = generation_ttl_seconds

    async def look_up(
        self,
        admission: Admission,
        short_id: str,
        version: int | None,
        representation: Representation,
    ) -> CacheLookup:
        fetch = (body_key(short_id, version, representation), generation_key(short_id))
        reply = await self._limiter.admit(admission, fetch)
        admitted = Admitted(reply.decision, reply.revoked)
        value, generation = reply.values
        if not reply.answered or not reply.decision.allowed or reply.revoked:
            return CacheLookup(admitted, body=None, generation=None)
        decoded = decode_value(value)
        if decoded is None:
            CACHE_MISSES.inc()
            return CacheLookup(admitted, body=None, generation=generation or _ABSENT_GENERATION)
        CACHE_HITS.inc()
        return CacheLookup(
            admitted,
            decoded.body,
            generation or _ABSENT_GENERATION,
            decoded.snippet_id,
            decoded.etag,
        )

    async def put(
        self,
        short_id: str,
        version: int | None,
        representation: Representation,
        body: bytes,
        ttl_seconds: int,
        generation: bytes | None,
        snippet_id: UUID,
        etag: str,
    ) -> None:
        if generation is None or ttl_seconds <= 0:
            return
        try:
            await self._guarded_set(
                keys=[body_key(short_id, version, representation), generation_key(short_id)],
                args=[encode_value(snippet_id, etag, body), ttl_seconds, generation],
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
        keys = [
            body_key(short_id, number, representation)
            for number in (None, *range(1, latest_version + 1))
            for representation in Representation
        ]
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(generation_key(short_id))
            pipe.expire(generation_key(short_id), self._generation_ttl)
            pipe.delete(*keys)
            await pipe.execute()
