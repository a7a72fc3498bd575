"""JwtAccessTokenCodec: HS256 only, signature, expiry and the claims it needs."""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import jwt
import pytest

from swiftpaste.application.ports.security import AccessClaims, InvalidAccessToken
from swiftpaste.infrastructure.security.tokens import JwtAccessTokenCodec

SECRET = "unit-test-secret-" + "s" * 60
OTHER_SECRET = "another-secret-" + "o" * 60


@pytest.fixture
def codec() -> JwtAccessTokenCodec:
    return JwtAccessTokenCodec(SECRET)


def fresh_claims(lifetime: timedelta = timedelta(minutes=15)) -> AccessClaims:
    # JWT times are whole seconds.
    now = datetime.now(UTC).replace(microsecond=0)
    return AccessClaims(
        user_id=uuid4(),
        session_id=uuid4(),
        token_id=uuid4().hex,
        issued_at=now,
        expires_at=now + lifetime,
    )


def payload(**overrides: Any) -> dict[str, Any]:
    """The payload the codec itself would write for fresh claims, with changes."""
    now = int(datetime.now(UTC).timestamp())
    values: dict[str, Any] = {
        "sub": str(uuid4()),
        "sid": str(uuid4()),
        "jti": uuid4().hex,
        "iat": now,
        "exp": now + 900,
        "iss": "swiftpaste",
        "typ": "access",
    }
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_made_token(header: dict[str, Any], body: dict[str, Any], key: str | None) -> str:
    """A JWT assembled by hand, HMAC-SHA256-signed with `key` whatever the header says."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(body).encode())}"
    signature = (
        b64url(hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest())
        if key is not None
        else ""
    )
    return f"{signing_input}.{signature}"


def test_a_token_decodes_to_the_claims_it_was_encoded_from(codec: JwtAccessTokenCodec) -> None:
    claims = fresh_claims()
    assert codec.decode(codec.encode(claims)) == claims


def test_an_encoded_token_is_signed_with_hs256(codec: JwtAccessTokenCodec) -> None:
    token = codec.encode(fresh_claims())
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_a_well_formed_payload_signed_with_the_secret_is_accepted(
    codec: JwtAccessTokenCodec,
) -> None:
    # Guards the refusal tests below: their tokens differ from this one in one respect.
    body = payload()
    token = hand_made_token({"alg": "HS256", "typ": "JWT"}, body, SECRET)
    assert str(codec.decode(token).user_id) == body["sub"]


def test_an_unsigned_alg_none_token_is_refused(codec: JwtAccessTokenCodec) -> None:
    token = hand_made_token({"alg": "none", "typ": "JWT"}, payload(), key=None)
    with pytest.raises(InvalidAccessToken):
        codec.decode(token)


def test_a_token_signed_with_another_secret_is_refused(codec: JwtAccessTokenCodec) -> None:
    token = JwtAccessTokenCodec(OTHER_SECRET).encode(fresh_claims())
    with pytest.raises(InvalidAccessToken):
        codec.decode(token)


def test_a_token_whose_payload_was_changed_after_signing_is_refused(
    codec: JwtAccessTokenCodec,
) -> None:
    header, _, signature = codec.encode(fresh_claims()).split(".")
    forged_body = b64url(json.dumps(payload()).encode())
    with pytest.raises(InvalidAccessToken):
        codec.decode(f"{header}.{forged_body}.{signature}")


def test_a_token_signed_with_hs512_and_the_right_secret_is_refused(
    codec: JwtAccessTokenCodec,
) -> None:
    token = jwt.encode(payload(), SECRET, algorithm="HS512")
    with pytest.raises(InvalidAccessToken):
        codec.decode(token)


def test_a_token_claiming_rs256_is_refused(codec: JwtAccessTokenCodec) -> None:
    # Algorithm confusion: an asymmetric header over a signature made with the shared secret.
    token = hand_made_token({"alg": "RS256", "typ": "JWT"}, payload(), SECRET)
    with pytest.raises(InvalidAccessToken):
        codec.decode(token)


def test_an_expired_token_is_refused(codec: JwtAccessTokenCodec) -> None:
    issued = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    claims = AccessClaims(
        user_id=uuid4(),
        session_id=uuid4(),
        token_id=uuid4().hex,
        issued_at=issued,
        expires_at=issued + timedelta(minutes=15),
    )
    with pytest.raises(InvalidAccessToken):
        codec.decode(codec.encode(claims))


@pytest.mark.parametrize("claim", ["jti", "sid", "sub", "exp", "iat"])
def test_a_token_without_a_required_claim_is_refused(
    codec: JwtAccessTokenCodec, claim: str
) -> None:
    token = jwt.encode(payload(**{claim: None}), SECRET, algorithm="HS256")
    with pytest.raises(InvalidAccessToken):
        codec.decode(token)


def test_a_token_from_another_issuer_is_refused(codec: JwtAccessTokenCodec) -> None:
    token = jwt.encode(payload(iss="someone-else"), SECRET, algorithm="HS256")
    with pytest.raises(InvalidAccessToken):
        codec.decode(token)


def test_a_token_without_an_issuer_is_refused(codec: JwtAccessTokenCodec) -> None:
    token = jwt.encode(payload(iss=None), SECRET, algorithm="HS256")
    with pytest.raises(InvalidAccessToken):
        codec.decode(token)


@pytest.mark.parametrize("typ", ["refresh", None])
def test_a_token_that_is_not_an_access_token_is_refused(
    codec: JwtAccessTokenCodec, typ: str | None
) -> None:
    token = jwt.encode(payload(typ=typ), SECRET, algorithm="HS256")
    with pytest.raises(InvalidAccessToken):
        codec.decode(token)


@pytest.mark.parametrize("claim", ["sub", "sid"])
def test_a_token_whose_ids_are_not_uuids_is_refused(codec: JwtAccessTokenCodec, claim: str) -> None:
    token = jwt.encode(payload(**{claim: "not-a-uuid"}), SECRET, algorithm="HS256")
    with pytest.raises(InvalidAccessToken):
        codec.decode(token)


@pytest.mark.parametrize("garbage", ["", "not a token", "a.b.c", "a.b"])
def test_a_string_that_is_not_a_jwt_is_refused(codec: JwtAccessTokenCodec, garbage: str) -> None:
    with pytest.raises(InvalidAccessToken):
        codec.decode(garbage)


NOT_STRINGS = pytest.mark.parametrize(
    "value",
    [123, 1.5, True, ["not", "a", "string"], {"not": "a string"}],
    ids=["int", "float", "bool", "list", "object"],
)


@NOT_STRINGS
def test_a_token_whose_session_id_is_not_a_string_is_refused(
    codec: JwtAccessTokenCodec, value: object
) -> None:
    token = jwt.encode(payload(sid=value), SECRET, algorithm="HS256")
    with pytest.raises(InvalidAccessToken):
        codec.decode(token)


@NOT_STRINGS
def test_a_token_whose_subject_is_not_a_string_is_refused(
    codec: JwtAccessTokenCodec, value: object
) -> None:
    token = jwt.encode(payload(sub=value), SECRET, algorithm="HS256")
    with pytest.raises(InvalidAccessToken):
        codec.decode(token)


class CountingDecode:
    """jwt.decode, counted: how often the codec really verified a token."""

    def __init__(self) -> None:
        self.calls = 0
        self._decode = jwt.decode

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self._decode(*args, **kwargs)


def test_an_accepted_token_is_not_verified_again_until_it_expires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [datetime.now(UTC).timestamp()]
    codec = JwtAccessTokenCodec(SECRET, clock=lambda: now[0])
    claims = fresh_claims()
    token = codec.encode(claims)
    counting = CountingDecode()
    monkeypatch.setattr(jwt, "decode", counting)

    assert [codec.decode(token) for _ in range(3)] == [claims] * 3
    assert counting.calls == 1

    now[0] = claims.expires_at.timestamp()  # PyJWT's rule: expired once exp <= now
    assert codec.decode(token) == claims  # verified again (by PyJWT's own clock)
    assert counting.calls == 2


def test_refused_tokens_are_verified_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    codec = JwtAccessTokenCodec(SECRET)
    token = JwtAccessTokenCodec(OTHER_SECRET).encode(fresh_claims())
    counting = CountingDecode()
    monkeypatch.setattr(jwt, "decode", counting)

    for _ in range(2):
        with pytest.raises(InvalidAccessToken):
            codec.decode(token)
    assert counting.calls == 2


def test_a_token_is_remembered_only_by_the_codec_that_accepted_it() -> None:
    token = JwtAccessTokenCodec(SECRET).encode(fresh_claims())
    accepting = JwtAccessTokenCodec(SECRET)
    accepting.decode(token)

    with pytest.raises(InvalidAccessToken):
        JwtAccessTokenCodec(OTHER_SECRET).decode(token)
