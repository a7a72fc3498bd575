"""JwtAccessTokenCodec: HS256 access tokens, algorithm pinned."""

from datetime import UTC, datetime
from uuid import UUID

import jwt

from swiftpaste.application.ports.security import AccessClaims, InvalidAccessToken

_ALGORITHM = "HS256"
_REQUIRED_CLAIMS = ("sub", "exp", "iat", "jti", "sid")


class JwtAccessTokenCodec:
    def __init__(self, secret: str, issuer: str = "swiftpaste") -> None:
        self._secret = secret
        self._issuer = issuer

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
