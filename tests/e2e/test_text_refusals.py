"""Text no store can keep is refused in every text field of every route: 422, nothing changes.

NUL is refused wherever text arrives (JSON, forms, queries). An unpaired surrogate can only
arrive as a JSON escape (`"\\ud800"`): in a URL or a form the server decodes bytes that are
not UTF-8 as U+FFFD, so there it is no surrogate.

The routes and fields come from the OpenAPI document, so a new text field is tried as soon
as it exists; a new route with text inputs needs a valid request in `_valid_requests`.
"""

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import asyncpg
import httpx
import pytest

from tests.e2e.conftest import TEST_PASSWORD, register_and_log_in, unique_username

SNIPPETS = "/v1/api/snippet"
NUL = "a\x00b"
SURROGATE = "a\ud800b"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass(frozen=True)
class ValidRequest:
    """A request the route accepts; each text field in turn is spoiled from it."""

    path: str
    json_body: dict[str, Any] | None = None
    form: dict[str, str] | None = None
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TextInput:
    operation: tuple[str, str]
    where: str
    """`json`, `form` or `query`."""
    name: str


def _is_text(schema: dict[str, Any]) -> bool:
    if schema.get("type") == "string":
        return True
    return any(_is_text(option) for option in schema.get("anyOf", ()))


def _properties(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    for option in schema.get("anyOf", ()):
        if "$ref" in option:
            return _properties(document, option)
    properties: dict[str, Any] = schema.get("properties", {})
    return properties


def text_inputs(document: dict[str, Any]) -> list[TextInput]:
    """Every text field of every route's JSON body, form and query."""
    found = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            key = (method.upper(), path)
            found += [
                TextInput(key, "query", parameter["name"])
                for parameter in operation.get("parameters", ())
                if parameter["in"] == "query" and _is_text(parameter["schema"])
            ]
            content = operation.get("requestBody", {}).get("content", {})
            for media_type, where in ((JSON, "json"), (FORM, "form")):
                if media_type in content:
                    properties = _properties(document, content[media_type]["schema"])
                    found += [
                        TextInput(key, where, name)
                        for name, schema in properties.items()
                        if _is_text(schema)
                    ]
    return found


async def _valid_requests(client: httpx.AsyncClient) -> dict[tuple[str, str], ValidRequest]:
    owner = await register_and_log_in(client)
    created = await client.post(
        f"{SNIPPETS}/",
        json={"title": "refusals", "content": "print(1)\n", "language": "python"},
        headers=owner.auth,
    )
    assert created.status_code == 201, created.text
    snippet = created.json()
    username = unique_username("fresh")
    return {
        ("POST", "/auth/register"): ValidRequest(
            "/auth/register",
            json_body={
                "email": f"{username}@example.com",
                "username": username,
                "password": TEST_PASSWORD,
            },
        ),
        ("POST", "/auth/jwt/login"): ValidRequest(
            "/auth/jwt/login",
            form={"username": owner.username, "password": owner.password, "grant_type": "password"},
        ),
        ("POST", "/auth/jwt/refresh"): ValidRequest(
            "/auth/jwt/refresh", json_body={"refresh_token": owner.refresh_token}
        ),
        ("PATCH", "/users/me"): ValidRequest(
            "/users/me",
            json_body={
                "username": unique_username("renamed"),
                "password": TEST_PASSWORD + "!",
                "current_password": owner.password,
            },
            headers=owner.auth,
        ),
        ("POST", f"{SNIPPETS}/"): ValidRequest(
            f"{SNIPPETS}/",
            json_body={
                "title": "t",
                "content": "c",
                "visibility": "public",
                "language": "python",
                "expires_at": "2999-01-01T00:00:00Z",
            },
            headers=owner.auth,
        ),
        ("POST", "/"): ValidRequest(
            "/",
            form={
                "content": "pasted",
                "title": "t",
                "language": "python",
                "expires_in": "1h",
                "password": "open sesame",
            },
            headers=owner.auth,
        ),
        ("POST", "/users/me/tokens"): ValidRequest(
            "/users/me/tokens",
            json_body={"name": "ci", "scopes": ["snippets:read"]},
            headers=owner.auth,
        ),
        ("PUT", f"{SNIPPETS}/{{snippet_id}}"): ValidRequest(
            f"{SNIPPETS}/{snippet['id']}",
            json_body={"title": "t2", "content": "c2", "visibility": "public", "language": "c"},
            headers=owner.auth,
        ),
        ("GET", f"{SNIPPETS}/search"): ValidRequest(
            f"{SNIPPETS}/search",
            query={
                "query": "refusals",
                "author": owner.username,
                "language": "python",
                "created_after": "2000-01-01",
                "created_before": "2999-01-01",
            },
        ),
        ("POST", f"{SNIPPETS}/{{snippet_id}}/share"): ValidRequest(
            f"{SNIPPETS}/{snippet['id']}/share",
            json_body={"expires_in": "1h"},
            headers=owner.auth,
        ),
        ("GET", f"{SNIPPETS}/{{short_id}}"): ValidRequest(
            f"{SNIPPETS}/{snippet['short_id']}", query={"token": "not-a-share-token"}
        ),
        ("GET", f"{SNIPPETS}/{{short_id}}/diff"): ValidRequest(
            f"{SNIPPETS}/{snippet['short_id']}/diff",
            query={"from": "1", "to": "1", "token": "not-a-share-token"},
        ),
        ("GET", f"{SNIPPETS}/{{short_id}}/raw"): ValidRequest(
            f"{SNIPPETS}/{snippet['short_id']}/raw", query={"token": "not-a-share-token"}
        ),
    }


Fingerprint = Callable[[], Awaitable[str]]


@pytest.fixture
async def database_fingerprint(database_url: str) -> AsyncIterator[Fingerprint]:
    """A digest of every row of every table: equal before and after means nothing changed."""
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    tables = await connection.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    )

    async def fingerprint() -> str:
        rows = "coalesce(string_agg(t::text, '|' ORDER BY t::text), '')"
        digests = [
            await connection.fetchval(f'SELECT md5({rows}) FROM "{name}" t') for (name,) in tables
        ]
        return ",".join(digests)

    yield fingerprint
    await connection.close()


def _spoiled(valid: ValidRequest, text_input: TextInput, text: str) -> ValidRequest:
    if text_input.where == "json":
        assert valid.json_body is not None
        return replace(valid, json_body={**valid.json_body, text_input.name: text})
    if text_input.where == "form":
        assert valid.form is not None
        return replace(valid, form={**valid.form, text_input.name: text})
    return replace(valid, query={**valid.query, text_input.name: text})


async def _send(client: httpx.AsyncClient, method: str, request: ValidRequest) -> httpx.Response:
    headers = dict(request.headers)
    content: bytes | None = None
    if request.json_body is not None:
        # json.dumps escapes a lone surrogate as `\ud800`, exactly as a hostile client would.
        content = json.dumps(request.json_body).encode()
        headers["Content-Type"] = JSON
    return await client.request(
        method,
        request.path,
        content=content,
        data=request.form,
        params=request.query,
        headers=headers,
    )


async def test_every_text_field_of_every_route_refuses_nul_and_unpaired_surrogates(
    client: httpx.AsyncClient, database_fingerprint: Fingerprint
) -> None:
    document = (await client.get("/openapi.json")).json()
    inputs = text_inputs(document)
    valid_requests = await _valid_requests(client)
    assert {text_input.operation for text_input in inputs} <= set(valid_requests), (
        "a route with text inputs has no valid request in _valid_requests"
    )
    assert len(inputs) >= 20  # the document's text fields were found, not silently none

    tried = 0
    for text_input in inputs:
        method, _ = text_input.operation
        valid = valid_requests[text_input.operation]
        spoilers = [NUL] if text_input.where != "json" else [NUL, SURROGATE]
        for text in spoilers:
            before = await database_fingerprint()
            response = await _send(client, method, _spoiled(valid, text_input, text))
            label = f"{method} {valid.path} {text_input.where}.{text_input.name}={text!r}"
            assert response.status_code == 422, f"{label}: {response.status_code} {response.text}"
            error = response.json()["error"]
            assert error["code"] == "validation_error", label
            assert error["requestId"] == response.headers["X-Request-Id"], label
            assert [text_input.name] in [issue["loc"][-1:] for issue in error["details"]], label
            assert await database_fingerprint() == before, f"{label}: the database changed"
            tried += 1
    assert tried >= 30


async def test_the_valid_requests_really_are_valid(client: httpx.AsyncClient) -> None:
    """The refusals above are the spoiled fields' doing: unspoiled, every request succeeds."""
    for (method, _), valid in (await _valid_requests(client)).items():
        response = await _send(client, method, valid)
        assert response.status_code < 400, f"{method} {valid.path}: {response.text}"


async def test_a_nul_in_a_login_name_is_refused_not_a_crash(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/auth/jwt/login", data={"username": f"{uuid.uuid4().hex}\x00", "password": "x" * 10}
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == ["body", "username"]
