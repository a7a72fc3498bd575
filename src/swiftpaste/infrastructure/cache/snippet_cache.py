"""RedisSnippetCache: rendered versions anyone with the link reads, guarded against stale
writes; RedisLiveViewCounts: the view counts a cached read shows.

Keys: `snippet:{short_id}:v{N|latest}` hold the JSON form, `...:raw` the raw content;
`snippet:{short_id}:gen` counts invalidations; `snippet:{short_id}:views` is the counted
views, written by the views consumer. A reader notes the generation with its lookup; its
later write lands only if no invalidation happened in between, so a slow cache-miss read
can never put back what a concurrent edit just removed. The lookup rides on the rate
limiter's script: admitting the request and fetching the value is one round trip. Writes
go through the same circuit breaker, so while Redis is away they cost nothing.
"""

import logging
import struct
from dataclasses import dataclass
from uuid import UUID

from redis.asyncio import Redis
from redis.exceptions import RedisError

from swiftpaste.application.ports.rate_limit import Admission, Admitted
from swiftpaste.application.ports.snippets import Rendered, Representation
from swiftpaste.infrastructure.cache.breaker import CircuitBreaker, CircuitOpen
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


# A stored value: this marker, the snippet's id (16 bytes, so a hit knows whose view it
# records), its entity tag (32 ASCII hex digits), the views the copy was made with
# (8 bytes), the length of the head (4 bytes; all ones for a form without a view count),
# the head, then the tail. A value in any other form (an older layout) reads as a miss
# and is replaced.
_VALUE_MARKER = b"\x03"
_ETAG_LENGTH = 32
_HEADER = struct.Struct(f">c16s{_ETAG_LENGTH}sqI")
_NO_TAIL = 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class CachedCopy:
    snippet_id: UUID
    etag: str
    rendered: Rendered
    views: int
    """The views the copy was made with."""


@dataclass(frozen=True, slots=True)
class CacheLookup:
    admitted: Admitted
    rendered: Rendered | None
    generation: bytes | None
    """None when Redis could not be asked: then nothing is written back either."""
    snippet_id: UUID | None = None
    views: int | None = None
    """With `rendered`: the live count, else the one the copy was made with."""
    etag: str | None = None


def encode_value(snippet_id: UUID, etag: str, rendered: Rendered, views: int) -> bytes:
    tag = etag.encode("ascii")
    if len(tag) != _ETAG_LENGTH:
        raise ValueError(f"an entity tag is {_ETAG_LENGTH} hex digits, not {etag!r}")
    head, tail = rendered.head, rendered.tail
    head_length = _NO_TAIL if tail is None else len(head)
    header = _HEADER.pack(_VALUE_MARKER, snippet_id.bytes, tag, views, head_length)
    return header + head + (tail or b"")


def decode_value(value: bytes | None) -> CachedCopy | None:
    if value is None or len(value) < _HEADER.size or value[:1] != _VALUE_MARKER:
        return None
    _, snippet_id, tag, views, head_length = _HEADER.unpack_from(value)
    body = value[_HEADER.size :]
    if head_length == _NO_TAIL:
        rendered = Rendered(body)
    elif head_length <= len(body):
        rendered = Rendered(body[:head_length], body[head_length:])
    else:
        return None
    return CachedCopy(UUID(bytes=snippet_id), tag.decode("ascii"), rendered, views)


def body_key(
    short_id: str, version: int | None, representation: Representation = Representation.JSON
) -> str:
    key = f"snippet:{short_id}:v{'latest' if version is None else version}"
    return key if representation is Representation.JSON else f"{key}:{representation}"


def generation_key(short_id: str) -> str:
    return f"snippet:{short_id}:gen"


def views_key(short_id: str) -> str:
    return f"snippet:{short_id}:views"


class RedisSnippetCache:
    def __init__(
        self,
        redis: "Redis",
        limiter: RedisRateLimiter,
        breaker: CircuitBreaker,
        generation_ttl_seconds: int,
    ) -> None:
        self._redis = redis
        self._limiter = limiter
        self._breaker = breaker
        self._guarded_set = redis.register_script(_GUARDED_SET)
        self._generation_ttl = generation_ttl_seconds

    async def look_up(
        self,
        admission: Admission,
        short_id: str,
        version: int | None,
        representation: Representation,
    ) -> CacheLookup:
        fetch = (
            body_key(short_id, version, representation),
            generation_key(short_id),
            views_key(short_id),
        )
        reply = await self._limiter.admit(admission, fetch)
        admitted = Admitted(reply.decision, reply.revoked)
        value, generation, views = reply.values
        if not reply.answered or not reply.decision.allowed or reply.revoked:
            return CacheLookup(admitted, rendered=None, generation=None)
        generation = generation or _ABSENT_GENERATION
        copy = decode_value(value)
        if copy is None:
            CACHE_MISSES.inc()
            return CacheLookup(admitted, rendered=None, generation=generation)
        CACHE_HITS.inc()
        live = copy.views if views is None else max(copy.views, int(views))
        return CacheLookup(admitted, copy.rendered, generation, copy.snippet_id, live, copy.etag)

    async def put(
        self,
        short_id: str,
        version: int | None,
        representation: Representation,
        rendered: Rendered,
        views: int,
        ttl_seconds: int,
        generation: bytes | None,
        snippet_id: UUID,
        etag: str,
    ) -> None:
        if generation is None or ttl_seconds <= 0:
            return
        keys = [body_key(short_id, version, representation), generation_key(short_id)]
        args: list[bytes | int] = [
            encode_value(snippet_id, etag, rendered, views),
            ttl_seconds,
            generation,
        ]
        try:
            await self._breaker.call(lambda: self._guarded_set(keys=keys, args=args))
        except CircuitOpen:
            pass  # Redis is known to be away: the breaker logged it once
        except RedisError as error:
            CACHE_ERRORS.inc()
            logger.warning("cache write failed: %s", error)

    async def invalidate(self, short_id: str, latest_version: int) -> None:
        try:
            await self.evict(short_id, latest_version)
        except (RedisError, CircuitOpen) as error:
            CACHE_ERRORS.inc()
            # The cache consumer repeats this from the event stream once Redis is back.
            logger.warning("cache invalidation failed: %s", error, extra={"short_id": short_id})

    async def evict(self, short_id: str, latest_version: int) -> None:
        """Like `invalidate`, but a Redis failure (or an open breaker) is raised for the
        caller to retry."""
        keys = [
            body_key(short_id, number, representation)
            for number in (None, *range(1, latest_version + 1))
            for representation in Representation
        ]

        async def evict_keys() -> None:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(generation_key(short_id))
                pipe.expire(generation_key(short_id), self._generation_ttl)
                pipe.delete(*keys)
                await pipe.execute()

        await self._breaker.call(evict_keys)


class RedisLiveViewCounts:
    """Writes the counted views where the read path's lookup finds them.

    A count outlives the cached copies it corrects: it is kept twice the cache TTL from
    its last change, longer than any copy made before it.
    """

    def __init__(self, redis: "Redis", breaker: CircuitBreaker, ttl_seconds: int) -> None:
        self._redis = redis
        self._breaker = breaker
        self._ttl = ttl_seconds

    async def publish(self, totals: dict[str, int]) -> None:
        if not totals:
            return

        async def write() -> None:
            async with self._redis.pipeline(transaction=False) as pipe:
                for short_id, views in totals.items():
                    pipe.set(views_key(short_id), views, ex=self._ttl)
                await pipe.execute()

        try:
            await self._breaker.call(write)
        except CircuitOpen:
            pass  # Redis is known to be away: the breaker logged it once
        except RedisError as error:
            CACHE_ERRORS.inc()
            logger.warning("view counts not published: %s", error)
