"""Accounts over HTTP: register, log in, refresh, log out, profile."""

import base64
import json

import asyncpg
import httpx
from asgi_lifespan import LifespanManager

from swiftpaste.main.api import make_api
from tests.conftest import Servers
from tests.e2e.conftest import (
    TEST_PASSWORD,
    Account,
    make_settings,
    register_and_log_in,
    unique_username,
)


def _error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


async def test_register_returns_the_account_without_any_password(
    client: httpx.AsyncClient,
) -> None:
    username = unique_username()
    response = await client.post(
        "/auth/register",
        json={"email": f"{username}@Example.COM", "username": username, "password": TEST_PASSWORD},
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "email", "username", "is_active", "is_verified", "is_superuser"}
    assert body["email"] == f"{username}@example.com"
    assert body["username"] == username
    assert (body["is_active"], body["is_verified"], body["is_superuser"]) == (True, False, False)
    assert "password" not in response.text
    assert "argon2" not in response.text


async def test_register_refuses_an_email_taken_in_any_case(
    client: httpx.AsyncClient, account: Account
) -> None:
    response = await client.post(
        "/auth/register",
        json={
            "email": account.email.upper(),
            "username": unique_username(),
            "password": TEST_PASSWORD,
        },
    )
    assert response.status_code == 409
    assert _error_code(response) == "email_taken"


async def test_register_refuses_a_taken_username(
    client: httpx.AsyncClient, account: Account
) -> None:
    response = await client.post(
        "/auth/register",
        json={
            "email": f"other_{account.username}@example.com",
            "username": account.username.upper(),
            "password": TEST_PASSWORD,
        },
    )
    assert response.status_code == 409
    assert _error_code(response) == "username_taken"


async def test_register_rejects_bad_input_with_the_envelope(client: httpx.AsyncClient) -> None:
    good = {"email": "ok@example.com", "username": unique_username(), "password": TEST_PASSWORD}
    bad_inputs = [
        {**good, "email": "not-an-email"},
        {**good, "password": "short"},
        {**good, "username": "ab"},
        {**good, "username": "x" * 33},
        {**good, "username": "has space"},
        {**good, "username": "ünïcode"},
    ]
    for body in bad_inputs:
        response = await client.post("/auth/register", json=body)
        assert response.status_code == 422, body
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert error["message"]
        assert error["requestId"] == response.headers["X-Request-Id"]
    # Nothing was created by the rejected requests.
    login = await client.post(
        "/auth/jwt/login", data={"username": good["username"], "password": TEST_PASSWORD}
    )
    assert login.status_code == 401


async def test_an_email_domain_is_one_account_however_it_is_spelled(
    client: httpx.AsyncClient,
) -> None:
    name = unique_username()
    domain = f"b\u00fccher-{name[-6:]}.example"  # bücher-…: an internationalised domain
    ascii_domain = domain.encode("idna").decode()  # xn--bcher-…: the same one, as IDNA
    registered = await client.post(
        "/auth/register",
        json={"email": f"{name}@{domain.upper()}", "username": name, "password": TEST_PASSWORD},
    )
    assert registered.status_code == 201, registered.text
    assert registered.json()["email"] == f"{name}@{domain}"
    again = await client.post(
        "/auth/register",
        json={"email": f"{name}@{ascii_domain}", "username": name + "x", "password": TEST_PASSWORD},
    )
    assert again.status_code == 409
    assert _error_code(again) == "email_taken"
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isalpha() and c.isascii() else c for c in domain)
    for spelling in (ascii_domain, full_width, domain.upper()):
        login = await client.post(
            "/auth/jwt/login", data={"username": f"{name}@{spelling}", "password": TEST_PASSWORD}
        )
        assert login.status_code == 200, spelling


async def test_an_email_domain_that_mixes_scripts_is_refused(client: httpx.AsyncClient) -> None:
    name = unique_username()
    look_alike = "ex\u0430mple.com"  # a Cyrillic a among Latin letters
    response = await client.post(
        "/auth/register",
        json={"email": f"{name}@{look_alike}", "username": name, "password": TEST_PASSWORD},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"][0]["loc"] == ["body", "email"]
    assert "mixes scripts" in error["message"]
    # Whole names in one script, and the mixes Japanese names use, are welcome.
    for domain in ("\u043f\u0440\u0438\u043c\u0435\u0440.ru", "\u65e5\u672c\u3054.jp"):
        other = unique_username()
        accepted = await client.post(
            "/auth/register",
            json={"email": f"{other}@{domain}", "username": other, "password": TEST_PASSWORD},
        )
        assert accepted.status_code == 201, (domain, accepted.text)


async def test_login_by_email_or_username_returns_a_token_pair(
    client: httpx.AsyncClient, account: Account
) -> None:
    for identifier in (account.email, account.email.upper(), account.username):
        response = await client.post(
            "/auth/jwt/login", data={"username": identifier, "password": TEST_PASSWORD}
        )
        assert response.status_code == 200, identifier
        body = response.json()
        assert body["token_type"] == "bearer"
        assert body["expires_in"] > 0
        assert body["access_token"]
        assert body["refresh_token"]
        assert response.headers["Cache-Control"] == "no-store"


async def test_wrong_password_and_unknown_user_get_the_same_401(
    client: httpx.AsyncClient, account: Account
) -> None:
    wrong = await client.post(
        "/auth/jwt/login", data={"username": account.username, "password": "wrong password"}
    )
    unknown = await client.post(
        "/auth/jwt/login", data={"username": unique_username(), "password": "wrong password"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"]["message"] == unknown.json()["error"]["message"]
    assert _error_code(wrong) == _error_code(unknown) == "invalid_credentials"
    assert wrong.headers["WWW-Authenticate"] == "Bearer"


async def test_access_token_claims_are_pinned(client: httpx.AsyncClient, account: Account) -> None:
    header, payload, _ = account.access_token.split(".")
    decoded_header = json.loads(base64.urlsafe_b64decode(header + "=="))
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    assert decoded_header["alg"] == "HS256"
    assert {"sub", "exp", "iat", "jti"} <= set(claims)
    assert claims["sub"] == account.id


async def test_users_me_needs_a_valid_token(client: httpx.AsyncClient, account: Account) -> None:
    me = await client.get("/users/me", headers=account.auth)
    assert me.status_code == 200
    assert me.json()["username"] == account.username
    assert (await client.get("/users/me")).status_code == 401
    garbage = await client.get("/users/me", headers={"Authorization": "Bearer garbage"})
    assert garbage.status_code == 401
    assert _error_code(garbage) == "not_authenticated"


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_alg_none_and_tampered_tokens_are_refused(
    client: httpx.AsyncClient, account: Account
) -> None:
    header, payload, signature = account.access_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    tampered = (
        f"{header}.{_b64({**claims, 'sub': '00000000-0000-0000-0000-000000000000'})}.{signature}"
    )
    for token in (unsigned, tampered):
        response = await client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401


async def test_refresh_rotates_and_reuse_revokes_the_family(
    client: httpx.AsyncClient, account: Account
) -> None:
    first = await client.post("/auth/jwt/refresh", json={"refresh_token": account.refresh_token})
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh_token"] != account.refresh_token
    me = await client.get(
        "/users/me", headers={"Authorization": f"Bearer {rotated['access_token']}"}
    )
    assert me.status_code == 200

    # The spent token comes back: someone copied it. The whole family dies.
    reuse = await client.post("/auth/jwt/refresh", json={"refresh_token": account.refresh_token})
    assert reuse.status_code == 401
    assert _error_code(reuse) == "invalid_refresh_token"
    latest = await client.post(
        "/auth/jwt/refresh", json={"refresh_token": rotated["refresh_token"]}
    )
    assert latest.status_code == 401


async def test_unknown_refresh_token_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/jwt/refresh", json={"refresh_token": "no-such-token"})
    assert response.status_code == 401


async def test_logout_stops_the_access_token_and_the_refresh_family(
    client: httpx.AsyncClient, account: Account
) -> None:
    logout = await client.post("/auth/jwt/logout", headers=account.auth)
    assert logout.status_code == 204
    after = await client.get("/users/me", headers=account.auth)
    assert after.status_code == 401
    refresh = await client.post("/auth/jwt/refresh", json={"refresh_token": account.refresh_token})
    assert refresh.status_code == 401


async def test_logout_leaves_other_sessions_alone(client: httpx.AsyncClient) -> None:
    account = await register_and_log_in(client)
    second = await client.post(
        "/auth/jwt/login", data={"username": account.username, "password": account.password}
    )
    other_token = second.json()["access_token"]
    await client.post("/auth/jwt/logout", headers=account.auth)
    still = await client.get("/users/me", headers={"Authorization": f"Bearer {other_token}"})
    assert still.status_code == 200


async def test_rename_and_taken_name(client: httpx.AsyncClient, account: Account) -> None:
    other = await register_and_log_in(client)
    new_name = unique_username("renamed")
    renamed = await client.patch("/users/me", headers=account.auth, json={"username": new_name})
    assert renamed.status_code == 200
    assert renamed.json()["username"] == new_name
    clash = await client.patch("/users/me", headers=other.auth, json={"username": new_name})
    assert clash.status_code == 409
    empty = await client.patch("/users/me", headers=account.auth, json={})
    assert empty.status_code == 422


async def test_password_change_needs_the_current_password(
    client: httpx.AsyncClient, account: Account
) -> None:
    new_password = "a brand new passphrase"
    refused = await client.patch(
        "/users/me",
        headers=account.auth,
        json={"password": new_password, "current_password": "not it"},
    )
    assert refused.status_code == 403
    missing = await client.patch("/users/me", headers=account.auth, json={"password": new_password})
    assert missing.status_code == 403
    changed = await client.patch(
        "/users/me",
        headers=account.auth,
        json={"password": new_password, "current_password": account.password},
    )
    assert changed.status_code == 200
    old = await client.post(
        "/auth/jwt/login", data={"username": account.username, "password": account.password}
    )
    assert old.status_code == 401
    new = await client.post(
        "/auth/jwt/login", data={"username": account.username, "password": new_password}
    )
    assert new.status_code == 200


async def test_login_rehashes_a_password_hashed_with_older_parameters(
    client: httpx.AsyncClient, servers: Servers, database_url: str
) -> None:
    account = await register_and_log_in(client)
    stronger = make_api(make_settings(servers, database_url, argon2_time_cost=3))
    async with (
        LifespanManager(stronger),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=stronger), base_url="http://swiftpaste.test"
        ) as upgraded,
    ):
        login = await upgraded.post(
            "/auth/jwt/login", data={"username": account.username, "password": account.password}
        )
        assert login.status_code == 200
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        stored = await connection.fetchval(
            "SELECT hashed_password FROM users WHERE username = $1", account.username
        )
    finally:
        await connection.close()
    assert stored.startswith("$argon2id$")
    assert ",t=3," in stored
