"""docs/api.md names every route the API serves and every error code it answers with."""

import re

import pytest

from swiftpaste.main.api import make_api
from swiftpaste.main.settings import Settings
from swiftpaste.presentation.http.errors import ERROR_MAP
from tests.conftest import PROJECT_ROOT

DOCUMENT = (PROJECT_ROOT / "docs" / "api.md").read_text(encoding="utf-8")
# Answered outside the error table: the edge's own codes.
EDGE_CODES = (
    "validation_error",
    "not_found",
    "method_not_allowed",
    "payload_too_large",
    "rate_limited",
    "database_unavailable",
    "internal_error",
)


def _served_routes() -> list[str]:
    settings = Settings(
        database_url="postgresql://unused/unused",
        redis_url="redis://unused",
        kafka_bootstrap_servers="unused:9092",
    )
    paths = make_api(settings).openapi()["paths"]
    routes = [f"{method.upper()} {path}" for path, item in paths.items() for method in item]
    return [*routes, "GET /v1/api/health/metrics"]  # left out of the OpenAPI document


@pytest.mark.parametrize("route", _served_routes())
def test_every_route_is_documented(route: str) -> None:
    assert f"`{route}`" in DOCUMENT, f"docs/api.md does not name `{route}`"


def test_every_documented_route_is_served() -> None:
    documented = set(re.findall(r"`((?:GET|POST|PUT|PATCH|DELETE) /[^`?]*)`", DOCUMENT))
    assert documented - set(_served_routes()) == set()


@pytest.mark.parametrize(
    "code", sorted({mapping.code for mapping in ERROR_MAP.values()} | set(EDGE_CODES))
)
def test_every_error_code_is_documented(code: str) -> None:
    assert f"`{code}`" in DOCUMENT
