"""RedisHotReads: the read rate limit, the token check and the cache lookup in one round trip.

The snippet read is the service's hottest request. Done the regular way it costs up to three
Redis round trips (the limiter's script, the access token's denylist check for a signed-in
reader, then the cache's GETs); here one pipeline sends the limiter's token-bucket script
(the very script of `RedisRateLimiter`, by its SHA1, so both spend the same buckets), the
denylist's EXISTS when a token is to be checked (the keys of `RedisAccessTokenDenylist`),
and the GET of the cached body, over the lean client of `resp.py`. Keys, values and counters
are those of the adapters: `cache_hit_total` and `rate_limited_requests_total` are counted
here for what is decided here. The generation key is not read: nothing here writes the
cache. A miss is handed on: to the lane's own database read (which counts the miss when it
answers), or to the regular read path, which looks again (body and generation, as
`RedisSnippetCache.get` does, counting the miss) before it may write.

`spend` is the same round trip without the cache lookup, for the search lane
(`presentation.http.fast_search`): the read budget, and the denylist for a bearer token.
"""

import hashlib
import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TypeVar
from uuid import UUID

from swiftpaste.application.ports.rate_limit import RateLimitDecision, RateLimitPolicy
from swiftpaste.infrastructure.cache.denylist import session_key, token_key
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
from swiftpaste.infrastructure.metrics import CACHE_ERRORS, CACHE_HITS, CACHE_MISSES

logger = logging.getLogger(__name__)

_SCRIPT_BYTES = _BUCKET_SCRIPT.encode()
_SCRIPT_SHA = hashlib.sha1(_SCRIPT_BYTES, usedforsecurity=False).hexdigest()
# The pipeline, packed as `resp.pack` would (a unit test holds them equal), with the constant
# parts packed once: EVALSHA sha 1 bucket capacity rate, [EXISTS token-key session-key,]
# then GET body key.
_EVALSHA_HEAD = b"*6\r\n" + pack("EVALSHA", _SCRIPT_SHA, 1)[len(b"*3\r\n") :]
_EVAL_HEAD = b"*6\r\n" + pack("EVAL", _SCRIPT_BYTES, 1)[len(b"*3\r\n") :]
_EXISTS = b"*3\r\n$6\r\nEXISTS\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
_GET = b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n"
_BUCKET_REPLY_LENGTH = 4
_MAX_REMEMBERED = 4096
_Key = TypeVar("_Key", bound=Hashable)


@dataclass(slots=True)  # not frozen: built for every read, and three times cheaper so
class HotRead:
    decision: RateLimitDecision
    snippet_id: UUID | None
    """With `body`: the cached snippet's id; both None on a miss or a refusal."""
    body: bytes | None
    revoked: bool = False
    """The access token checked is denylisted (logged out); then `body` is None."""


class RedisHotReads:
    def __init__(self, client: LeanRedis) -> None:
        self._client = client
        # Packed command parts per caller: clients and tokens come back, and packing them
        # (keys, an id's text) costs more than looking them up.
        self._buckets: dict[tuple[str, RateLimitPolicy], bytes] = {}
        self._exists: dict[tuple[str, UUID], bytes] = {}

    @staticmethod
    def _packed(known: dict[_Key, bytes], key: _Key, pack_it: Callable[[_Key], bytes]) -> bytes:
        packed = known.get(key)
        if packed is None:
            if len(known) >= _MAX_REMEMBERED:
                known.clear()
            packed = known[key] = pack_it(key)
        return packed

    async def read(
        self,
        client_key: str,
        policy: RateLimitPolicy,
        short_id: str,
        version: int | None,
        revocation: tuple[str, UUID] | None = None,
    ) -> HotRead | None:
        """Spend one token of `client_key`'s `policy` bucket and look the version up; with
        `revocation` (an access token's id and session id), check the denylist as well.

        None when Redis fails (counted in `cache_error_total`) or answers something
        unexpected: the regular path then asks again with its own client. A token may have
        been spent all the same (a reply lost to a timeout), as when that client retries.
        """
        body = body_key(short_id, version).encode()
        replies = await self._round_trip(client_key, policy, revocation, _GET % (len(body), body))
        if replies is None:
            return None
        return _hot_read(replies, policy, checks_revocation=revocation is not None)

    async def spend(
        self,
        client_key: str,
        policy: RateLimitPolicy,
        revocation: tuple[str, UUID] | None = None,
    ) -> HotRead | None:
        """`read` without the cache lookup (search): the bucket, and the denylist when given
        `revocation`. The answer never has a body; None when Redis could not answer."""
        replies = await self._round_trip(client_key, policy, revocation, b"")
        if replies is None:
            return None
        # Read as a lookup that missed: the same checks, the same decision.
        return _hot_read([*replies, None], policy, checks_revocation=revocation is not None)

    async def _round_trip(
        self,
        client_key: str,
        policy: RateLimitPolicy,
        revocation: tuple[str, UUID] | None,
        lookup: bytes,
    ) -> list[Reply] | None:
        """One pipeline: the bucket's script, the denylist's EXISTS for `revocation`, then
        `lookup` (one command, or none); None when Redis fails."""
        commands = 2 if lookup else 1
        if revocation is not None:
            lookup = self._packed(self._exists, revocation, _pack_exists) + lookup
            commands += 1
        bucket_args = self._packed(self._buckets, (client_key, policy), _pack_bucket)
        try:
            replies = await self._client.execute(_EVALSHA_HEAD + bucket_args + lookup, commands)
            if _is_noscript(replies[0]):  # a restarted Redis forgot it: EVAL caches it again
                replies = await self._client.execute(_EVAL_HEAD + bucket_args + lookup, commands)
        except LeanRedisError as error:
            CACHE_ERRORS.inc()
            logger.debug("hot read failed: %s", error)
            return None
        return replies

    def count_miss(self) -> None:
        """A lookup that missed was answered without the regular path (which counts its own)."""
        CACHE_MISSES.inc()

    async def aclose(self) -> None:
        await self._client.aclose()


def _hot_read(  # noqa: PLR0911 - one return per outcome
    replies: list[Reply], policy: RateLimitPolicy, *, checks_revocation: bool
) -> HotRead | None:
    """The pipeline's replies read; None for anything unexpected (an error reply, a key of
    another type): the regular path then meets it again and reports it as it always does."""
    bucket_reply, value = replies[0], replies[-1]
    if not (value is None or isinstance(value, bytes)):
        return None
    revoked = False
    if checks_revocation:
        found = replies[1]
        if not isinstance(found, int):
            return None
        revoked = found > 0
    state = _bucket_state(bucket_reply)
    if state is None:
        return None  # a broken script...
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
    if revoked:
        return HotRead(decision, None, None, revoked=True)
    decoded = decode_value(value)
    if decoded is None:
        return HotRead(decision, None, None)
    CACHE_HITS.inc()
    return HotRead(decision, decoded[0], decoded[1])


def _pack_bucket(bucket: tuple[str, RateLimitPolicy]) -> bytes:
    """The script's key and its two arguments, capacity and refill rate, packed."""
    client_key, policy = bucket
    key = RedisRateLimiter.bucket_key(client_key, policy).encode()
    return (
        b"$%d\r\n%s\r\n" % (len(key), key)
        + pack(policy.capacity, policy.refill_per_second)[len(b"*2\r\n") :]
    )


def _pack_exists(revocation: tuple[str, UUID]) -> bytes:
    """EXISTS of the denylist's keys for this token and for its session."""
    token = token_key(revocation[0]).encode()
    session = session_key(revocation[1]).encode()
    return _EXISTS % (len(token), token, len(session), session)


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
