"""RedisHotReads: the read rate limit and the cache lookup of one snippet in one round trip.

The anonymous cache-hit read is the service's hottest request. Done the regular way it costs
two Redis round trips (the limiter's script, then the cache's GETs); here one pipeline sends
the limiter's token-bucket script (the very script of `RedisRateLimiter`, by its SHA1, so
both spend the same buckets) and the GET of the cached body, over the lean client of
`resp.py`. Keys, values and counters are those of the two adapters: `cache_hit_total` and
`rate_limited_requests_total` are counted here for what is decided here. The generation key
is not read: nothing here writes the cache. A miss is handed to the regular read path, which
looks again (body and generation, as `RedisSnippetCache.get` does, counting the miss) before
it may write.
"""

import hashlib
import logging
from dataclasses import dataclass
from uuid import UUID

from swiftpaste.application.ports.rate_limit import RateLimitDecision, RateLimitPolicy
from swiftpaste.infrastructure.cache.rate_limiter import (
    _BUCKET_SCRIPT,
    RATE_LIMITED_REQUESTS,
    RedisRateLimiter,
    _whole_seconds,
)
from swiftpaste.infrastructure.cache.resp import (
    LeanRedis,
    LeanRedisError,
    Reply,
    ReplyError,
    pack,
)
from swiftpaste.infrastructure.cache.snippet_cache import body_key, decode_value
from swiftpaste.infrastructure.metrics import CACHE_ERRORS, CACHE_HITS

logger = logging.getLogger(__name__)

_SCRIPT_BYTES = _BUCKET_SCRIPT.encode()
_SCRIPT_SHA = hashlib.sha1(_SCRIPT_BYTES, usedforsecurity=False).hexdigest()
# The pipeline, packed as `resp.pack` would (a unit test holds them equal), with the constant
# parts packed once: EVALSHA sha 1 bucket capacity rate, then GET body key.
_EVALSHA_HEAD = b"*6\r\n" + pack("EVALSHA", _SCRIPT_SHA, 1)[len(b"*3\r\n") :]
_EVAL_HEAD = b"*6\r\n" + pack("EVAL", _SCRIPT_BYTES, 1)[len(b"*3\r\n") :]
_GET = b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n"
_BUCKET_REPLY_LENGTH = 4


@dataclass(frozen=True, slots=True)
class HotRead:
    decision: RateLimitDecision
    snippet_id: UUID | None
    """With `body`: the cached snippet's id; both None on a miss or a refusal."""
    body: bytes | None


class RedisHotReads:
    def __init__(self, client: LeanRedis) -> None:
        self._client = client
        self._policy_args: dict[RateLimitPolicy, bytes] = {}

    async def read(
        self, client_key: str, policy: RateLimitPolicy, short_id: str, version: int | None
    ) -> HotRead | None:
        """Spend one token of `client_key`'s `policy` bucket and look the version up.

        None when Redis fails (counted in `cache_error_total`) or answers something
        unexpected: the regular path then asks again with its own client. A token may have
        been spent all the same (a reply lost to a timeout), as when that client retries.
        """
        bucket = RedisRateLimiter.bucket_key(client_key, policy).encode()
        body = body_key(short_id, version).encode()
        lookup = _GET % (len(body), body)
        policy_args = self._policy_args.get(policy)
        if policy_args is None:
            policy_args = self._policy_args[policy] = _policy_args(policy)
        bucket_arg = b"$%d\r\n%s\r\n" % (len(bucket), bucket)
        try:
            replies = await self._client.execute(
                _EVALSHA_HEAD + bucket_arg + policy_args + lookup, 2
            )
            if _is_noscript(replies[0]):  # a restarted Redis forgot it: EVAL caches it again
                replies = await self._client.execute(
                    _EVAL_HEAD + bucket_arg + policy_args + lookup, 2
                )
        except LeanRedisError as error:
            CACHE_ERRORS.inc()
            logger.debug("hot read failed: %s", error)
            return None
        bucket_reply, value = replies
        if not (value is None or isinstance(value, bytes)):
            return None  # a key of another type: the regular path meets it and reports it
        state = _bucket_state(bucket_reply)
        if state is None:
            # An error reply (a broken script...): the regular path meets it again and
            # reports it the way it always does.
            return None
        allowed, remaining, full_in_ms, retry_after_ms = state
        decision = RateLimitDecision(
            allowed=bool(allowed),
            limit=policy.capacity,
            remaining=remaining,
            reset_seconds=_whole_seconds(full_in_ms),
            retry_after_seconds=_whole_seconds(retry_after_ms),
        )
        if not allowed:
            RATE_LIMITED_REQUESTS.labels(policy=policy.name).inc()
            return HotRead(decision, None, None)
        decoded = decode_value(value)
        if decoded is None:
            return HotRead(decision, None, None)
        CACHE_HITS.inc()
        return HotRead(decision, decoded[0], decoded[1])

    async def aclose(self) -> None:
        await self._client.aclose()


def _policy_args(policy: RateLimitPolicy) -> bytes:
    """The script's two arguments, capacity and refill rate, packed."""
    return pack(policy.capacity, policy.refill_per_second)[len(b"*2\r\n") :]


def _bucket_state(reply: Reply) -> tuple[int, int, int, int] | None:
    if not isinstance(reply, list) or len(reply) != _BUCKET_REPLY_LENGTH:
        return None
    allowed, remaining, full_in_ms, retry_after_ms = reply
    if not (
        isinstance(allowed, int)
        and isinstance(remaining, int)
        and isinstance(full_in_ms, int)
        and isinstance(retry_after_ms, int)
    ):
        return None
    return allowed, remaining, full_in_ms, retry_after_ms


def _is_noscript(reply: Reply) -> bool:
    return isinstance(reply, ReplyError) and reply.message.startswith("NOSCRIPT")
