"""RedisRateLimiter: token buckets kept in Redis, shared by every API replica.

One Lua script does the whole read-refill-take-write, so concurrent requests (from any
number of processes) cannot both take the last token. Time comes from the Redis server,
not from the replicas, so skewed clocks on the API hosts do not matter.
"""

import logging

from prometheus_client import Counter
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from swiftpaste.application.ports.rate_limit import RateLimitDecision, RateLimitPolicy
from swiftpaste.infrastructure.metrics import CACHE_ERRORS

logger = logging.getLogger(__name__)

RATE_LIMIT_FAIL_OPEN = Counter(
    "rate_limit_fail_open_total",
    "Requests let through unchecked because Redis failed or timed out.",
)
RATE_LIMITED_REQUESTS = Counter(
    "rate_limited_requests_total",
    "Requests refused because their rate-limit bucket was empty.",
    ["policy"],
)

# KEYS[1]: the bucket, kept as one number: the server time (seconds) at which it is full
# again. A bucket of `capacity` tokens refilled at `rate` a second that is full at `full_at`
# holds `capacity - (full_at - now) * rate` tokens now, so that time is the whole state;
# taking a token moves it `1 / rate` later. (Also known as GCRA.) A missing key is a full
# bucket: the key lives exactly until then, so idle clients leave nothing behind.
# ARGV[1]: capacity, ARGV[2]: refill rate in tokens per second.
# Returns {allowed (0|1), whole tokens left, ms until full, ms until a token is available}.
# TIME before a write is fine: since Redis 5 scripts replicate their effects, not the script.
_BUCKET_SCRIPT = """
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
  return {0, 0, math.max(1, math.ceil(owed * 1000)), retry_after_ms}
end

owed = owed + 1 / rate
local full_in_ms = math.max(1, math.ceil(owed * 1000))
-- %.17g: every digit of the double, so the stored time reads back exactly.
redis.call('SET', KEYS[1], string.format('%.17g', now + owed), 'PX', full_in_ms)
return {1, math.floor(tokens - 1), full_in_ms, 0}
"""


def _whole_seconds(milliseconds: int) -> int:
    return -(-milliseconds // 1000)


class RedisRateLimiter:
    def __init__(self, redis: "Redis") -> None:
        # EVALSHA; after a Redis restart (empty script cache) redis-py loads it again.
        self._token_bucket = redis.register_script(_BUCKET_SCRIPT)

    @staticmethod
    def bucket_key(key: str, policy: RateLimitPolicy) -> str:
        # `ratelimit:{policy}:{key}` held the bucket as a hash before: a new name, so that
        # while replicas of both kinds run, neither meets the other's kind of key.
        return f"ratelimit:v2:{policy.name}:{key}"

    async def hit(self, key: str, policy: RateLimitPolicy) -> RateLimitDecision:
        try:
            reply = await self._token_bucket(
                keys=[self.bucket_key(key, policy)],
                args=[policy.capacity, policy.refill_per_second],
            )
        except RedisError as error:
            # Fail open: a Redis outage must not become an API outage. Counted, not logged,
            # because during an outage that would be one log line per request.
            RATE_LIMIT_FAIL_OPEN.inc()
            CACHE_ERRORS.inc()
            if isinstance(error, ResponseError):  # not an outage: the script or server is wrong
                logger.exception("rate-limit script failed; allowing the request")
            return RateLimitDecision(
                allowed=True,
                limit=policy.capacity,
                remaining=policy.capacity,
                reset_seconds=0,
                retry_after_seconds=0,
            )
        allowed, remaining, full_in_ms, retry_after_ms = (int(value) for value in reply)
        if not allowed:
            RATE_LIMITED_REQUESTS.labels(policy=policy.name).inc()
        return RateLimitDecision(
            allowed=bool(allowed),
            limit=policy.capacity,
            remaining=remaining,
            reset_seconds=_whole_seconds(full_in_ms),
            retry_after_seconds=_whole_seconds(retry_after_ms),
        )
