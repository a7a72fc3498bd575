"""Rate limiting at the HTTP edge: who the client is, the per-route budget, the 429 answer.

A route declares its budget with a dependency::

    @router.post("/", dependencies=[Depends(rate_limit("write"))])

Signed-in callers are limited per user (their bearer is identified once per request, by
`identified_caller`: an access token is only decoded, a personal access token looked up),
everyone else per client address; behind a trusted proxy the address comes from
X-Forwarded-For. The `create` budget is the write budget of a signed-in caller, and the
anonymous-paste budget of an address. Successful answers carry RateLimit-Limit,
RateLimit-Remaining and RateLimit-Reset; an empty bucket answers 429 with Retry-After. (The
snippet read spends its budget in its use case, in the same round trip as its cache lookup.)

FastAPI copies headers set by a dependency only onto responses it builds itself: a
route that returns a `Response` object directly must copy them (take `response: Response`
as a parameter and extend its own headers with `response.headers`).
"""

import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import Annotated, Literal

from dishka.integrations.fastapi import FromDishka, inject
from fastapi import Depends, Request, Response

from swiftpaste.application.auth.credentials import BearerCredentials, Caller
from swiftpaste.application.errors import NotAuthenticated
from swiftpaste.application.ports.rate_limit import (
    RateLimitDecision,
    RateLimiter,
    RateLimitExceeded,
    RateLimitPolicy,
    RateLimits,
    user_budget,
)
from swiftpaste.presentation.http.errors import error_response

PolicyName = Literal["read", "write", "create"]
IPNetwork = IPv4Network | IPv6Network
IPAddress = IPv4Address | IPv6Address

# IPv6 clients usually hold a whole /64 and can pick any address in it at will.
_IPV6_CLIENT_PREFIX = 64


@dataclass(frozen=True, slots=True)
class TrustedProxies:
    """The proxies whose X-Forwarded-For is believed."""

    networks: tuple[IPNetwork, ...] = ()


def _parse_address(text: str) -> IPAddress | None:
    """An address as proxies write it: `a.b.c.d`, `a.b.c.d:port`, `v6`, `[v6]`, `[v6]:port`."""
    candidate = text.strip()
    if candidate.startswith("["):
        candidate, closing, _ = candidate[1:].partition("]")
        if not closing:
            return None
    elif candidate.count(":") == 1:
        candidate = candidate.partition(":")[0]
    try:
        address = ip_address(candidate)
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; compare them as IPv4.
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: IPAddress, trusted_proxies: Sequence[IPNetwork]) -> bool:
    return any(address in network for network in trusted_proxies)


def _client(
    scope_client_host: str | None,
    forwarded_for: str | None,
    trusted_proxies: Sequence[IPNetwork],
) -> IPAddress | str:
    peer = _parse_address(scope_client_host) if scope_client_host else None
    if peer is None:
        # No IP peer (a Unix socket, a test client): nothing to check the header against.
        return scope_client_host or "unknown"
    if not forwarded_for or not _is_trusted(peer, trusted_proxies):
        return peer
    # Each proxy appends the address it received the request from, so reading from the
    # right, every entry up to the first untrusted one was written by a proxy we trust;
    # entries further left were written by the client and could say anything.
    nearest = peer
    for entry in reversed(forwarded_for.split(",")):
        if not entry.strip():
            continue
        hop = _parse_address(entry)
        if hop is None:
            break  # unreadable: nothing left of it can be believed, keep the last trusted hop
        if not _is_trusted(hop, trusted_proxies):
            return hop
        nearest = hop
    return nearest


def client_address(
    scope_client_host: str | None,
    forwarded_for: str | None,
    trusted_proxies: Sequence[IPNetwork],
) -> str:
    """The client's address: the direct peer, or from X-Forwarded-For behind trusted proxies.

    The header is believed only when the direct peer is a trusted proxy. It is then read
    from the right, and the first address that is not a trusted proxy is the client; when
    every address is a trusted proxy the left-most one is. An unreadable entry ends the
    walk at the last trusted address before it. Never raises, whatever the header holds.
    """
    return str(_client(scope_client_host, forwarded_for, trusted_proxies))


def _address_key(client: IPAddress | str) -> str:
    if isinstance(client, IPv6Address):
        return f"ip:{IPv6Network((client, _IPV6_CLIENT_PREFIX), strict=False)}"
    return f"ip:{client}"


@functools.lru_cache(maxsize=4096)
def _address_budget(
    scope_client_host: str | None,
    forwarded_for: str | None,
    trusted_proxies: tuple[IPNetwork, ...],
) -> str:
    # A pure function, cached: parsing addresses costs more than the rest of a cache-hit
    # read's bookkeeping, and clients come back.
    return _address_key(_client(scope_client_host, forwarded_for, trusted_proxies))


def address_budget(request: Request, proxies: TrustedProxies) -> str:
    """The bucket of a caller without a (valid) token: its address, or its IPv6 /64."""
    # Several X-Forwarded-For headers are one comma-separated list (RFC 9110, 5.3).
    forwarded_for = ",".join(request.headers.getlist("x-forwarded-for")) or None
    host = request.client.host if request.client else None
    return _address_budget(host, forwarded_for, proxies.networks)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; None for any other."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


@dataclass(frozen=True, slots=True)
class Identified:
    """The bearer credential of a request, identified: its caller, or why it was refused
    (refusing it is the route's business; until then the request is anonymous)."""

    caller: Caller | None
    refusal: NotAuthenticated | None = None


@inject
async def identified_caller(
    request: Request, credentials: FromDishka[BearerCredentials]
) -> Identified:
    """A route dependency; FastAPI runs it once per request for all who depend on it."""
    bearer = bearer_token(request.headers.get("authorization"))
    if bearer is None:
        return Identified(None)
    try:
        return Identified(await credentials.identify(bearer))
    except NotAuthenticated as refusal:
        return Identified(None, refusal)


IdentifiedCaller = Annotated[Identified, Depends(identified_caller)]


def caller_budget(request: Request, caller: Caller | None, proxies: TrustedProxies) -> str:
    """The bucket a request spends: its user's, else its address's."""
    return user_budget(caller.user_id) if caller else address_budget(request, proxies)


def _policy(name: PolicyName, limits: RateLimits, *, signed_in: bool) -> RateLimitPolicy:
    if name == "read":
        return limits.read
    if name == "create" and not signed_in:
        return limits.anonymous
    return limits.write


def rate_limit_headers(decision: RateLimitDecision) -> dict[str, str]:
    return {
        "RateLimit-Limit": str(decision.limit),
        "RateLimit-Remaining": str(decision.remaining),
        "RateLimit-Reset": str(decision.reset_seconds),
    }


@functools.cache
def rate_limit(policy_name: PolicyName) -> Callable[..., Awaitable[None]]:
    """A route dependency that spends one request of the `policy_name` budget."""

    @inject
    async def enforce_rate_limit(
        request: Request,
        response: Response,
        identified: IdentifiedCaller,
        limiter: FromDishka[RateLimiter],
        limits: FromDishka[RateLimits],
        proxies: FromDishka[TrustedProxies],
    ) -> None:
        caller = identified.caller
        policy = _policy(policy_name, limits, signed_in=caller is not None)
        decision = await limiter.hit(caller_budget(request, caller, proxies), policy)
        if not decision.allowed:
            raise RateLimitExceeded(policy.name, decision)
        response.headers.update(rate_limit_headers(decision))

    return enforce_rate_limit


async def rate_limit_exceeded_handler(request: Request, error: Exception) -> Response:
    """429 in the error envelope, with Retry-After and the RateLimit headers."""
    assert isinstance(error, RateLimitExceeded)
    decision = error.decision
    retry_after = max(1, decision.retry_after_seconds)
    headers: Mapping[str, str] = {"Retry-After": str(retry_after), **rate_limit_headers(decision)}
    return error_response(
        request,
        429,
        "rate_limited",
        str(error),
        details={"policy": error.policy_name, "retry_after_seconds": retry_after},
        headers=headers,
    )
