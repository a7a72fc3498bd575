"""Rate limiting port: a token bucket per key, and the error raised when one is empty."""

from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from swiftpaste.application.errors import ApplicationError
from swiftpaste.application.ports.security import AccessClaims


@dataclass(frozen=True, slots=True)
class RateLimitPolicy:
    """A bucket of `capacity` requests that refills at `refill_per_second` requests a second.

    `capacity` is the burst a fresh client may send at once; `refill_per_second` is the
    sustained rate (`capacity=60, refill_per_second=1.0` is 60 at once, then one a second).
    """

    name: str
    capacity: int
    refill_per_second: float

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a rate-limit policy needs a name")
        if self.capacity < 1:
            raise ValueError(f"rate-limit policy {self.name!r}: capacity must be at least 1")
        if not self.refill_per_second > 0:
            raise ValueError(
                f"rate-limit policy {self.name!r}: refill_per_second must be greater than 0"
            )


@dataclass(frozen=True, slots=True)
class RateLimitDecision:
    """The outcome of one hit, in the terms of the RateLimit and Retry-After headers.

    `remaining` is what is left after this hit; `reset_seconds` is how long until the
    bucket is full again; `retry_after_seconds` is 0 when allowed, otherwise how long
    until the next request would be.
    """

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    retry_after_seconds: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimits:
    """The budgets: reads (snippets, lists, search), writes, anonymous pastes (per client
    address, apart from its other writes), and wrong snippet passwords (per snippet and
    client address)."""

    read: RateLimitPolicy
    write: RateLimitPolicy
    anonymous: RateLimitPolicy
    password: RateLimitPolicy


def user_budget(user_id: UUID) -> str:
    """The bucket of a signed-in caller: all their tokens and addresses share it."""
    return f"user:{user_id}"


@dataclass(frozen=True, slots=True)
class Admission:
    """What a request spends and must prove before it is served: one request of `policy`
    from the bucket `budget_key` and, for a signed-in caller, that the token's `claims`
    were not logged out."""

    budget_key: str
    policy: RateLimitPolicy
    claims: AccessClaims | None = None


@dataclass(frozen=True, slots=True)
class Admitted:
    decision: RateLimitDecision
    revoked: bool | None
    """Whether the token or its session was logged out; None when the store could not be
    asked (or was not asked: no claims, or an empty bucket)."""


class RateLimiter(Protocol):
    async def hit(self, key: str, policy: RateLimitPolicy) -> RateLimitDecision:
        """Take one token from the bucket `key` of `policy`.

        Never raises for an unreachable store: the process then decides with buckets of
        its own, since refusing every request would be a worse outage and letting every
        one through would lift the limits.
        """

    async def peek(self, key: str, policy: RateLimitPolicy) -> RateLimitDecision:
        """Whether the bucket `key` of `policy` has a token, without taking it."""


class RateLimitExceeded(ApplicationError):
    """The caller's bucket for this kind of request is empty; retrying later will work."""

    def __init__(self, policy_name: str, decision: RateLimitDecision) -> None:
        seconds = decision.retry_after_seconds
        unit = "second" if seconds == 1 else "seconds"
        super().__init__(f"too many {policy_name} requests; retry in {seconds} {unit}")
        self.policy_name = policy_name
        self.decision = decision
