"""RedisRateLimiter: token buckets in Redis, shared by every API replica, and what decides
while Redis is away.

One Lua script spends a bucket and, in the same round trip, can check the logout denylist
and fetch values (the read path's cached body): see `_ADMIT_SCRIPT`. Concurrent requests
from any number of processes cannot both take the last token, and time comes from the
Redis server, so skewed clocks on the API hosts do not matter. When Redis cannot answer,
or the circuit breaker in front of it is open, the same buckets are kept in this
process's memory (`ProcessBuckets`): limits hold, per process, and the RateLimit headers
tell what those buckets hold.
"""

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from prometheus_client import Counter
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from swiftpaste.application.ports.rate_limit import Admission, RateLimitDecision, RateLimitPolicy
from swiftpaste.infrastructure.cache.breaker import CircuitBreaker, CircuitOpen
from swiftpaste.infrastructure.cache.denylist import session_key, token_key
from swiftpaste.infrastructure.metrics import CACHE_ERRORS

logger = logging.getLogger(__name__)

RATE_LIMIT_LOCAL = Counter(
    "rate_limit_local_total",
    "Requests decided by the process's own buckets: Redis failed, or its breaker was open.",
)
RATE_LIMITED_REQUESTS = Counter(
    "rate_limited_requests_total",
    "Requests refused because their rate-limit bucket was empty.",
    ["policy"],
)

# KEYS[1]: the bucket, kept as one number: the server time (seconds) at which it is full
# again. A bucket of `capacity` tokens refilled at `rate` a second that is full at `full_at`
# holds `capacity - (full_at - now) * rate` tokens now, so that time is the whole state;
# taking a token moves it `1 / rate` later (GCRA). A missing key is a full bucket: the key
# lives exactly until then, so idle clients leave nothing behind.
# KEYS[2 .. 1 + ARGV[3]]: denylist keys; any of them present means revoked.
# The KEYS after those: values to GET, once the request is allowed and not revoked.
# ARGV[1]: capacity, ARGV[2]: refill rate in tokens per second, ARGV[3]: denylist keys,
# ARGV[4]: 0 to only look (no token taken, nothing checked or fetched), else 1.
# Returns {allowed (0|1), whole tokens left, ms until full, ms until a token is available,
# revoked (0|1), the values...}. An empty bucket writes nothing.
# TIME before a write is fine: since Redis 5 scripts replicate their effects, not the script.
_ADMIT_SCRIPT = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000

-- How long until full. math.max: a bucket full in the past is full now (a missing key
-- reads as 0); math.min: a clock that stepped back can empty a bucket, not owe beyond it.
local owed = (tonumber(redis.call('GET', KEYS[1])) or 0) - now
owed = math.min(math.max(0, owed), capacity / rate)
local tokens = capacity - owed * rate
if tokens < 1 then
  local retry_after_ms = math.ceil((1 - tokens) / rate * 1000)
  return {0, 0, math.max(1, math.ceil(owed * 1000)), retry_after_ms, 0}
end

if ARGV[4] == '0' then
  return {1, math.floor(tokens), math.max(0, math.ceil(owed * 1000)), 0, 0}
end

owed = owed + 1 / rate
local full_in_ms = math.max(1, math.ceil(owed * 1000))
-- %.17g: every digit of the double, so the stored time reads back exactly.
redis.call('SET', KEYS[1], string.format('%.17g', now + owed), 'PX', full_in_ms)
local reply = {1, math.floor(tokens - 1), full_in_ms, 0, 0}

local denylist_keys = tonumber(ARGV[3])
if denylist_keys > 0 and redis.call('EXISTS', unpack(KEYS, 2, 1 + denylist_keys)) > 0 then
  reply[5] = 1
  return reply
end
for index = 2 + denylist_keys, #KEYS do
  reply[#reply + 1] = redis.call('GET', KEYS[index])
end
return reply
"""
_DECISION_FIELDS = 5


@dataclass(frozen=True, slots=True)
class AdmitReply:
    """What the script answered: the decision, whether the token was revoked (None when
    no token was checked) and the fetched values (None each when not fetched)."""

    decision: RateLimitDecision
    revoked: bool | None
    values: Sequence[bytes | None]
    answered: bool = True
    """False when Redis could not answer: the process's own buckets decided."""


def _whole_seconds(milliseconds: int) -> int:
    return -(-milliseconds // 1000)


def _decision(
    policy: RateLimitPolicy, remaining: int, full_in_ms: int, retry_after_ms: int
) -> RateLimitDecision:
    if retry_after_ms:
        RATE_LIMITED_REQUESTS.labels(policy=policy.name).inc()
    return RateLimitDecision(
        allowed=not retry_after_ms,
        limit=policy.capacity,
        remaining=remaining,
        reset_seconds=_whole_seconds(full_in_ms),
        retry_after_seconds=_whole_seconds(retry_after_ms),
    )


class ProcessBuckets:
    """The script's buckets in this process's memory, for while Redis cannot be asked.

    The same arithmetic as `_ADMIT_SCRIPT` on the process's monotonic clock. At most
    `max_buckets` are kept: past that the least recently used go, full ones first.
    """

    def __init__(
        self, max_buckets: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._full_at: dict[str, float] = {}
        self._max_buckets = max_buckets
        self._clock = clock

    def hit(self, key: str, policy: RateLimitPolicy, *, spend: bool = True) -> RateLimitDecision:
        capacity, rate = policy.capacity, policy.refill_per_second
        now = self._clock()
        # Popped and put back: the dict's order is then the order of last use.
        owed = min(max(0.0, self._full_at.pop(key, now) - now), capacity / rate)
        tokens = capacity - owed * rate
        if tokens < 1 or not spend:
            self._full_at[key] = now + owed
            if tokens >= 1:
                return _decision(policy, math.floor(tokens), max(0, math.ceil(owed * 1000)), 0)
            retry_after_ms = math.ceil((1 - tokens) / rate * 1000)
            return _decision(policy, 0, max(1, math.ceil(owed * 1000)), retry_after_ms)
        owed += 1 / rate
        self._full_at[key] = now + owed
        self._forget_beyond_bound(now)
        return _decision(policy, math.floor(tokens - 1), max(1, math.ceil(owed * 1000)), 0)

    def _forget_beyond_bound(self, now: float) -> None:
        if len(self._full_at) <= self._max_buckets:
            return
        for key in [key for key, full_at in self._full_at.items() if full_at <= now]:
            del self._full_at[key]  # full again: the same as never seen
        while len(self._full_at) > self._max_buckets:
            del self._full_at[next(iter(self._full_at))]


class RedisRateLimiter:
    def __init__(self, redis: "Redis", breaker: CircuitBreaker) -> None:
        # EVALSHA; after a Redis restart (empty script cache) redis-py loads it again.
        self._admit = redis.register_script(_ADMIT_SCRIPT)
        self._breaker = breaker
        self._local = ProcessBuckets()

    @staticmethod
    def bucket_key(key: str, policy: RateLimitPolicy) -> str:
        return f"ratelimit:v2:{policy.name}:{key}"

    async def hit(self, key: str, policy: RateLimitPolicy) -> RateLimitDecision:
        reply = await self.admit(Admission(key, policy))
        return reply.decision

    async def peek(self, key: str, policy: RateLimitPolicy) -> RateLimitDecision:
        reply = await self.admit(Admission(key, policy), spend=False)
        return reply.decision

    async def admit(
        self, admission: Admission, fetch: Sequence[str] = (), *, spend: bool = True
    ) -> AdmitReply:
        """Spend one token of the admission's bucket; check its token against the denylist
        and GET the `fetch` keys when it is allowed. Never raises: when Redis cannot answer
        (or its breaker is open), this process's buckets decide, the token is unchecked
        (None) and nothing is fetched. Without `spend`, only says whether a token is there."""
        policy = admission.policy
        bucket = self.bucket_key(admission.budget_key, policy)
        keys = [bucket]
        claims = admission.claims
        if claims is not None:
            keys += (token_key(claims.token_id), session_key(claims.session_id))
        keys += fetch
        denylist_keys = 0 if claims is None else 2
        args = [policy.capacity, policy.refill_per_second, denylist_keys, int(spend)]
        try:
            reply = await self._breaker.call(lambda: self._admit(keys=keys, args=args))
        except (RedisError, OSError) as error:
            # A Redis outage must not become an API outage, nor lift the limits. Counted,
            # not logged: the breaker logs the outage once, not once per request.
            RATE_LIMIT_LOCAL.inc()
            if not isinstance(error, CircuitOpen):
                CACHE_ERRORS.inc()
            if isinstance(error, ResponseError):  # not an outage: the script or server is wrong
                logger.exception("rate-limit script failed; deciding in this process")
            decision = self._local.hit(bucket, policy, spend=spend)
            return AdmitReply(decision, None, [None] * len(fetch), answered=False)
        allowed, remaining, full_in_ms, retry_after_ms, revoked = reply[:_DECISION_FIELDS]
        decision = _decision(
            policy, int(remaining), int(full_in_ms), 0 if allowed else int(retry_after_ms)
        )
        values = list(reply[_DECISION_FIELDS:])
        values += [None] * (len(fetch) - len(values))
        checked = allowed and claims is not None
        return AdmitReply(decision, bool(revoked) if checked else None, values)
