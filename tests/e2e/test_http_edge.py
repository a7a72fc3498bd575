"""The HTTP edge: error envelope, request ids, security headers, metrics, API docs."""

import re

import httpx
import jsonschema
import pytest
from fastapi import FastAPI

from swiftpaste.presentation.http.middleware import SECURITY_HEADERS
from tests.e2e.conftest import Account


def _assert_envelope(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details", "requestId"}
    assert error["code"] == code
    assert error["message"]
    assert error["requestId"] == response.headers["X-Request-Id"]


async def test_unknown_route_gets_the_envelope(client: httpx.AsyncClient) -> None:
    _assert_envelope(await client.get("/no/such/route"), 404, "not_found")


async def test_wrong_method_gets_the_envelope(client: httpx.AsyncClient) -> None:
    _assert_envelope(await client.delete("/auth/register"), 405, "method_not_allowed")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/users/me", "GET, PATCH"),
        ("POST", "/v1/api/snippet/aB3dE5fG", "GET, PUT, DELETE"),
        ("PATCH", "/v1/api/snippet/", "GET, POST"),
        ("GET", "/auth/register", "POST"),
    ],
)
async def test_a_wrong_method_lists_every_method_of_the_path(
    client: httpx.AsyncClient, method: str, path: str, allowed: str
) -> None:
    response = await client.request(method, path)
    _assert_envelope(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == allowed


async def test_malformed_json_gets_the_envelope(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/auth/register",
        content=b'{"email": "a@b.c", "username":',
        headers={"Content-Type": "application/json"},
    )
    _assert_envelope(response, 422, "validation_error")
    assert "JSON" in response.json()["error"]["message"]


async def test_validation_error_lists_each_problem(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/register", json={"email": "nope"})
    _assert_envelope(response, 422, "validation_error")
    fields = {tuple(item["loc"]) for item in response.json()["error"]["details"]}
    assert {("body", "email"), ("body", "username"), ("body", "password")} <= fields


async def test_a_sane_incoming_request_id_is_kept(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/api/health/health", headers={"X-Request-Id": "abc-123.x"})
    assert response.headers["X-Request-Id"] == "abc-123.x"


@pytest.mark.parametrize("hostile", ["x" * 500, "a b", "<script>", "a\tb"])
async def test_an_insane_request_id_is_replaced(client: httpx.AsyncClient, hostile: str) -> None:
    response = await client.get("/v1/api/health/health", headers={"X-Request-Id": hostile})
    assert response.headers["X-Request-Id"] != hostile
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-Id"])


async def test_every_response_has_a_request_id_and_security_headers(
    client: httpx.AsyncClient,
) -> None:
    for response in (
        await client.get("/v1/api/health/health"),
        await client.get("/nowhere"),
        await client.get("/users/me"),
    ):
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-Id"])
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"


async def test_an_unexpected_error_gets_the_envelope_and_every_header(app: FastAPI) -> None:
    async def fail() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/test/unexpected-error", fail)
    # The error still reaches the server after the answer (as under uvicorn, which logs it).
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://swiftpaste.test") as http:
        response = await http.get("/test/unexpected-error", headers={"X-Request-Id": "bug-1"})
    _assert_envelope(response, 500, "internal_error")
    assert response.headers["X-Request-Id"] == "bug-1"
    assert "a bug" not in response.text  # no internals leak
    for name, value in SECURITY_HEADERS:
        assert response.headers[name.decode()] == value.decode()


async def test_metrics_are_labelled_by_route_template(
    client: httpx.AsyncClient, account: Account
) -> None:
    await client.get("/users/me", headers=account.auth)
    await client.get(f"/some/raw/path/{account.id}")
    response = await client.get("/v1/api/health/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    for name in (
        "http_requests_total",
        "http_request_errors_total",
        "http_request_latency_seconds",
        "http_request_size_bytes",
        "http_response_size_bytes",
        "db_query_latency_seconds",
        "db_slow_queries_total",
        "cache_hit_total",
        "cache_miss_total",
        "cache_error_total",
    ):
        assert f"# TYPE {name.removesuffix('_total')}" in text, name
    assert 'http_requests_total{method="GET",route="/users/me",status="200"}' in text
    assert 'route="<unmatched>",status="404"' in text
    assert account.id not in text  # raw paths never become labels


async def test_openapi_and_docs_are_served(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert {"/auth/register", "/auth/jwt/login", "/users/me", "/v1/api/health/ready"} <= set(
        spec["paths"]
    )
    assert (await client.get("/docs")).status_code == 200
    assert (await client.get("/redoc")).status_code == 200


SNIPPET = "/v1/api/snippet"
ERROR_ANSWERS: dict[tuple[str, str], set[int]] = {
    ("post", "/auth/register"): {409, 413, 422, 429, 503},
    ("post", "/auth/jwt/login"): {401, 403, 413, 422, 429, 503},
    ("post", "/auth/jwt/refresh"): {401, 413, 422, 429, 503},
    ("post", "/auth/jwt/logout"): {401, 503},
    ("get", "/users/me"): {401, 503},
    ("patch", "/users/me"): {401, 403, 409, 413, 422, 503},
    ("post", "/users/me/tokens"): {401, 403, 413, 422, 429, 503},
    ("get", "/users/me/tokens"): {401, 403, 503},
    ("delete", "/users/me/tokens/{token_id}"): {401, 403, 404, 422, 429, 503},
    ("post", "/"): {401, 403, 413, 415, 422, 429, 503},
    ("post", f"{SNIPPET}/"): {401, 403, 413, 422, 429, 503},
    ("get", f"{SNIPPET}/"): {401, 403, 422, 429, 503},
    ("get", f"{SNIPPET}/search"): {401, 403, 422, 429, 503},
    ("get", f"{SNIPPET}/{{short_id}}"): {401, 403, 404, 410, 422, 429, 503},
    ("get", f"{SNIPPET}/{{short_id}}/raw"): {401, 403, 404, 410, 422, 429, 503},
    ("get", f"{SNIPPET}/{{short_id}}/versions"): {401, 403, 404, 422, 429, 503},
    ("put", f"{SNIPPET}/{{snippet_id}}"): {401, 403, 404, 412, 413, 422, 429, 503},
    ("delete", f"{SNIPPET}/{{snippet_id}}"): {401, 403, 404, 412, 422, 429, 503},
    ("post", f"{SNIPPET}/{{snippet_id}}/share"): {401, 403, 404, 413, 422, 429, 503},
}


async def test_the_openapi_document_lists_each_routes_error_answers_as_the_envelope(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    envelope = {"$ref": "#/components/schemas/ErrorEnvelope"}
    for (method, path), statuses in ERROR_ANSWERS.items():
        responses = document["paths"][path][method]["responses"]
        errors = {int(status) for status in responses if status[0] in "45"}
        assert errors == statuses, f"{method.upper()} {path}"
        for status in [*map(str, statuses), "default"]:
            assert responses[status]["content"] == {"application/json": {"schema": envelope}}
    for methods in document["paths"].values():
        for operation in methods.values():
            assert operation["responses"]["default"]["content"]["application/json"] == {
                "schema": envelope
            }
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert set(schemas["ErrorEnvelope"]["properties"]) == {"error"}
    assert set(schemas["ErrorBody"]["properties"]) == {"code", "message", "details", "requestId"}


async def test_real_error_answers_match_the_documented_schema(
    client: httpx.AsyncClient, account: Account
) -> None:
    document = (await client.get("/openapi.json")).json()
    schema = {"$ref": "#/components/schemas/ErrorEnvelope", "components": document["components"]}
    answers = [
        await client.post("/auth/register", json={"email": "nope"}),  # 422, with details
        await client.get(f"{SNIPPET}/aB3dE5fG"),  # 404
        await client.get("/users/me"),  # 401
        await client.delete("/users/me", headers=account.auth),  # 405
    ]
    for answer in answers:
        assert answer.status_code >= 400
        jsonschema.validate(answer.json(), schema)
