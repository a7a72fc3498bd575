"""JwtAccessTokenCodec: HS256 access tokens, algorithm pinned."""

import time
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

import jwt

from swiftpaste.application.ports.security import AccessClaims, InvalidAccessToken

_ALGORITHM = "HS256"
_REQUIRED_CLAIMS = ("sub", "exp", "iat", "jti", "sid")
_MAX_REMEMBERED = 4096


class JwtAccessTokenCodec:
    """Encodes and verifies access tokens; remembers the tokens it accepted.

    Verifying costs about 100 µs (PyJWT checks every character of the token in Python,
    then the HMAC), and a signed-in client sends the same token with every request until
    it expires. A token this codec accepted is accepted again, with the same claims,
    until its expiry, which is exactly what verifying it again would answer: signature,
    algorithm, issuer and claims cannot change while the string stays the same. Refused
    tokens are not remembered. Whether a token was revoked (logout) is not the codec's
    business: callers check the denylist on every request.
    """

    def __init__(
        self, secret: str, issuer: str = "swiftpaste", clock: Callable[[], float] = time.time
    ) -> None:
        self._secret = secret
        self._issuer = issuer
        self._clock = clock
        self._accepted: dict[str, tuple[AccessClaims, float]] = {}

    def encode(self, claims: AccessClaims) -> str:
        payload = {
            "sub": str(claims.user_id),
            "sid": str(claims.session_id),
            "jti": claims.token_id,
            "iat": int(claims.issued_at.timestamp()),
            "exp": int(claims.expires_at.timestamp()),
            "iss": self._issuer,
            "typ": "access",
        }
        return jwt.encode(payload, self._secret, algorithm=_ALGORITHM)

    def decode(self, token: str) -> AccessClaims:
        accepted = self._accepted.get(token)
        if accepted is not None:
            claims, expires = accepted
            if self._clock() < expires:
                return claims
            del self._accepted[token]
        claims = self._verify(token)
        if len(self._accepted) >= _MAX_REMEMBERED:
            del self._accepted[next(iter(self._accepted))]
        # Until `exp`, as PyJWT decides: a token is refused once `exp <= now`.
        self._accepted[token] = (claims, claims.expires_at.timestamp())
        return claims

    def _verify(self, token: str) -> AccessClaims:
        try:
            # Only HS256 is accepted: `alg: none` and algorithm-confusion tokens fail here.
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[_ALGORITHM],
                issuer=self._issuer,
                options={"require": list(_REQUIRED_CLAIMS)},
            )
            if payload.get("typ") != "access":
                raise InvalidAccessToken("not an access token")
            return AccessClaims(
                user_id=UUID(payload["sub"]),
                session_id=UUID(payload["sid"]),
                token_id=str(payload["jti"]),
                issued_at=datetime.fromtimestamp(payload["iat"], tz=UTC),
                expires_at=datetime.fromtimestamp(payload["exp"], tz=UTC),
            )
        except (jwt.PyJWTError, ValueError, TypeError, AttributeError) as error:
            raise InvalidAccessToken(str(error)) from error
