"""Browser sessions: a login's tokens kept in HttpOnly cookies, and CSRF tokens for forms.

Signing in runs `LogIn` and keeps its token pair in cookies; each request is checked by
`Authenticate` (signature, expiry, the logout denylist), and an expired access token is
renewed once through `RefreshSession`. Signing out runs `LogOut`: the token and its
session are denylisted at once, whatever copy of the cookies exists elsewhere.

Every form carries a token derived from a random cookie of the browser and the login
session (a signed double-submit cookie): another site can make the browser send the
cookie, but cannot read it nor the pages that carry the token.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from typing import Literal
from uuid import UUID

from dishka import AsyncContainer
from fastapi import Request, Response
from starlette.datastructures import FormData

from swiftpaste.application.auth.authenticate import Authenticate, AuthenticatedUser
from swiftpaste.application.auth.credentials import BearerCredentials
from swiftpaste.application.auth.refresh_session import RefreshSession, RefreshSessionCommand
from swiftpaste.application.auth.tokens import TokenPair
from swiftpaste.application.errors import InvalidRefreshToken, NotAuthenticated

ACCESS_COOKIE = "swiftpaste_access"
REFRESH_COOKIE = "swiftpaste_refresh"
CSRF_COOKIE = "swiftpaste_csrf"
CSRF_FIELD = "csrf"
_NONCE = re.compile(r"[A-Za-z0-9_-]{32,64}")


class FormRefused(Exception):
    """A form came without the CSRF token of this browser's session."""


@dataclass(frozen=True, slots=True)
class CookiePolicy:
    secure: bool
    """Cookies only over HTTPS: set when the public base URL is https."""
    session_seconds: int
    """How long a browser stays signed in without signing in again (the refresh
    token's lifetime)."""


class CsrfTokens:
    def __init__(self, secret: str) -> None:
        # A key of its own, derived from the service secret.
        self._key = hmac.new(secret.encode(), b"swiftpaste csrf", hashlib.sha256).digest()

    def token(self, nonce: str, session_id: UUID | None) -> str:
        message = f"{nonce}:{session_id or ''}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class _Cookie:
    name: str
    value: str | None
    """None: delete it."""


@dataclass(slots=True)
class Visitor:
    """Who is reading, as the browser's cookies tell."""

    signed_in: AuthenticatedUser | None
    access_token: str | None
    csrf_token: str
    policy: CookiePolicy
    _cookies: list[_Cookie] = field(default_factory=list)

    @property
    def user_id(self) -> UUID | None:
        return self.signed_in.user.id if self.signed_in else None

    @property
    def username(self) -> str | None:
        return self.signed_in.user.username if self.signed_in else None

    def keep(self, pair: TokenPair) -> None:
        """Sign this browser in with a new token pair."""
        self._cookies += [_Cookie(ACCESS_COOKIE, pair.access_token)]
        self._cookies += [_Cookie(REFRESH_COOKIE, pair.refresh_token)]

    def forget(self) -> None:
        self._cookies += [_Cookie(ACCESS_COOKIE, None), _Cookie(REFRESH_COOKIE, None)]

    def check(self, form: FormData) -> None:
        sent = form.get(CSRF_FIELD)
        if not isinstance(sent, str) or not hmac.compare_digest(sent, self.csrf_token):
            raise FormRefused("this form has expired or did not come from this site")

    def apply(self, response: Response) -> Response:
        """Set (or delete) on the response the cookies this request changed."""
        same_site: Literal["lax"] = "lax"  # signed in when arriving by a link from elsewhere
        for cookie in self._cookies:
            if cookie.value is None:
                response.delete_cookie(
                    cookie.name, secure=self.policy.secure, httponly=True, samesite=same_site
                )
            else:
                response.set_cookie(
                    cookie.name,
                    cookie.value,
                    max_age=self.policy.session_seconds,
                    secure=self.policy.secure,
                    httponly=True,
                    samesite=same_site,
                )
        return response


async def visitor_of(request: Request) -> Visitor:
    """The visitor of a page route (the request's container is open): resolved once per
    request and kept on `request.state` for the error pages."""
    container: AsyncContainer = request.state.dishka_container
    policy = await container.get(CookiePolicy)
    csrf = await container.get(CsrfTokens)
    cookies: list[_Cookie] = []
    nonce = request.cookies.get(CSRF_COOKIE, "")
    if not _NONCE.fullmatch(nonce):
        nonce = secrets.token_urlsafe(32)
        cookies.append(_Cookie(CSRF_COOKIE, nonce))
    signed_in, access_token = await _session(request, container, cookies)
    visitor = Visitor(
        signed_in=signed_in,
        access_token=access_token,
        csrf_token=csrf.token(nonce, signed_in.claims.session_id if signed_in else None),
        policy=policy,
        _cookies=cookies,
    )
    request.state.visitor = visitor
    return visitor


async def _signed_in(container: AsyncContainer, access_token: str) -> AuthenticatedUser:
    """The user of a session's access token, identified and admitted as a bearer is."""
    credentials = await container.get(BearerCredentials)
    authenticate = await container.get(Authenticate)
    return await authenticate(await credentials.identify(access_token))


async def _session(
    request: Request, container: AsyncContainer, cookies: list[_Cookie]
) -> tuple[AuthenticatedUser | None, str | None]:
    access = request.cookies.get(ACCESS_COOKIE)
    refresh = request.cookies.get(REFRESH_COOKIE)
    if not access and not refresh:
        return None, None
    if access:
        try:
            return await _signed_in(container, access), access
        except NotAuthenticated:
            pass  # expired, or signed out: renew below when a refresh token is kept
    if refresh:
        refresh_session = await container.get(RefreshSession)
        try:
            pair = await refresh_session(RefreshSessionCommand(refresh_token=refresh))
            signed_in = await _signed_in(container, pair.access_token)
        except (InvalidRefreshToken, NotAuthenticated):
            pass
        else:
            cookies += [
                _Cookie(ACCESS_COOKIE, pair.access_token),
                _Cookie(REFRESH_COOKIE, pair.refresh_token),
            ]
            return signed_in, pair.access_token
    cookies += [_Cookie(ACCESS_COOKIE, None), _Cookie(REFRESH_COOKIE, None)]
    return None, None
