"""The error envelope, and the one table that maps application errors to HTTP.

The curl-friendly create at the site root (`POST /`) answers errors as one line of plain
text instead, with the same status, code and message.
"""

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import Scope, Send

from swiftpaste.application.errors import (
    AccessTokenNotFound,
    AccountDisabled,
    ApplicationError,
    AuthenticationFailed,
    ContentTooLarge,
    CurrentPasswordIncorrect,
    DependencyUnavailable,
    EmailAlreadyRegistered,
    IdempotencyKeyReused,
    InsufficientScope,
    InvalidQuery,
    InvalidRefreshToken,
    InvalidShare,
    NotAuthenticated,
    NothingToUpdate,
    PasswordIncorrect,
    PasswordRequired,
    PreconditionFailed,
    UsernameTaken,
)
from swiftpaste.domain.errors import (
    DomainError,
    InvalidDeleteToken,
    InvalidSnippet,
    InvalidTokenRequest,
    InvalidUsername,
    NotSnippetOwner,
    ShareExpired,
    SnippetBurned,
    SnippetNotFound,
    VersionNotFound,
    ViewLimitReached,
    WeakPassword,
)

logger = logging.getLogger("swiftpaste.http")


@dataclass(frozen=True, slots=True)
class ErrorMapping:
    status: int
    code: str


ERROR_MAP: Mapping[type[Exception], ErrorMapping] = {
    AuthenticationFailed: ErrorMapping(401, "invalid_credentials"),
    NotAuthenticated: ErrorMapping(401, "not_authenticated"),
    InvalidRefreshToken: ErrorMapping(401, "invalid_refresh_token"),
    AccountDisabled: ErrorMapping(403, "account_disabled"),
    CurrentPasswordIncorrect: ErrorMapping(403, "invalid_current_password"),
    EmailAlreadyRegistered: ErrorMapping(409, "email_taken"),
    UsernameTaken: ErrorMapping(409, "username_taken"),
    NothingToUpdate: ErrorMapping(422, "nothing_to_update"),
    InvalidUsername: ErrorMapping(422, "invalid_username"),
    WeakPassword: ErrorMapping(422, "weak_password"),
    DependencyUnavailable: ErrorMapping(503, "dependency_unavailable"),
    SnippetNotFound: ErrorMapping(404, "snippet_not_found"),
    VersionNotFound: ErrorMapping(404, "version_not_found"),
    NotSnippetOwner: ErrorMapping(403, "not_owner"),
    ShareExpired: ErrorMapping(410, "share_expired"),
    SnippetBurned: ErrorMapping(410, "snippet_burned"),
    ViewLimitReached: ErrorMapping(410, "view_limit_reached"),
    PasswordRequired: ErrorMapping(401, "password_required"),
    PasswordIncorrect: ErrorMapping(403, "password_incorrect"),
    InvalidSnippet: ErrorMapping(422, "invalid_snippet"),
    InvalidShare: ErrorMapping(422, "invalid_share"),
    InvalidQuery: ErrorMapping(422, "invalid_query"),
    ContentTooLarge: ErrorMapping(413, "content_too_large"),
    InsufficientScope: ErrorMapping(403, "insufficient_scope"),
    InvalidDeleteToken: ErrorMapping(403, "invalid_delete_token"),
    AccessTokenNotFound: ErrorMapping(404, "token_not_found"),
    PreconditionFailed: ErrorMapping(412, "precondition_failed"),
    IdempotencyKeyReused: ErrorMapping(422, "idempotency_key_reused"),
    InvalidTokenRequest: ErrorMapping(422, "invalid_token_request"),
}

_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "service_unavailable",
}


class ValidationIssue(BaseModel):
    loc: list[str | int] = Field(description="Where: `body`, `query` or `path`, then the field.")
    msg: str
    type: str


class ErrorBody(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    code: str = Field(description="What went wrong, for programs: see the table of errors.")
    message: str = Field(description="What went wrong, for people.")
    details: list[ValidationIssue] | dict[str, Any] | None = Field(
        description=(
            "Each problem of a 422 `validation_error`; the policy and wait of a 429;"
            " null otherwise."
        ),
    )
    request_id: str | None = Field(
        alias="requestId", description="The request's `X-Request-Id`, as the logs name it."
    )


class ErrorEnvelope(BaseModel):
    """Every error answer of the API."""

    error: ErrorBody


_ENVELOPE_REF = "#/components/schemas/ErrorEnvelope"

ERROR_DESCRIPTIONS: Mapping[int, str] = {
    401: (
        "Missing, invalid, expired or revoked token, wrong credentials, or a protected"
        " snippet read without its password."
    ),
    403: (
        "Not allowed: a disabled account, a wrong current password, not the owner, a token"
        " without the scope, or a wrong snippet password."
    ),
    404: "No such snippet, version or token, or not one the caller may see.",
    409: "The email or username is taken.",
    410: "The version's share window has closed, it was burned, or its view limit is reached.",
    412: "The snippet changed since the ETag given in `If-Match`; nothing changed.",
    413: "The body or the content is too large.",
    415: "The body is of a media type the route does not take.",
    422: "The input is invalid; nothing changed.",
    429: "A rate-limit budget is spent; retry after `Retry-After` seconds.",
    503: "PostgreSQL (or, for some routes, Redis) is unavailable; retry shortly.",
}


def _envelope_answer(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _ENVELOPE_REF}}},
    }


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error answers a route gives, for its OpenAPI `responses`."""
    return {status: _envelope_answer(ERROR_DESCRIPTIONS[status]) for status in statuses}


def describe_errors(document: dict[str, Any]) -> None:
    """Complete an OpenAPI document: the envelope's schema; the envelope as the answer to
    FastAPI's own validation errors, and as every operation's `default` answer."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    envelope_schema = ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(envelope_schema.pop("$defs"))
    schemas["ErrorEnvelope"] = envelope_schema
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for methods in document.get("paths", {}).values():
        for operation in methods.values():
            responses = operation.setdefault("responses", {})
            if "HTTPValidationError" in str(responses.get("422", "")):
                responses["422"] = _envelope_answer(ERROR_DESCRIPTIONS[422])
            responses["default"] = _envelope_answer(
                "Any other error (400, 405, 431, 500), in the same envelope."
            )


def request_id_of(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def envelope(code: str, message: str, details: Any, request_id: str | None) -> dict[str, Any]:
    """The body of every error answer."""
    return {
        "error": {
            "code": code,
            "message": message,
            "details": details,
            "requestId": request_id,
        },
    }


async def send_error(scope: Scope, send: Send, status: int, code: str, message: str) -> None:
    """The envelope, sent by plain ASGI middleware that refuses a request before routing.

    The request context middleware around it adds the request id and security headers.
    """
    request_id = scope.get("state", {}).get("request_id")
    body = json.dumps(envelope(code, message, None, request_id)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        },
    )
    await send({"type": "http.response.body", "body": body})


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    request_id = request_id_of(request)
    body = envelope(code, message, jsonable_encoder(details), request_id)
    all_headers = dict(headers or {})
    if request_id:
        all_headers["X-Request-Id"] = request_id
    return JSONResponse(body, status_code=status, headers=all_headers)


def mapping_for(error: Exception) -> ErrorMapping | None:
    """The table's entry for the error's class, or its nearest base class that has one."""
    for error_type in type(error).__mro__:
        mapping = ERROR_MAP.get(error_type)
        if mapping is not None:
            return mapping
    return None


async def application_error_handler(request: Request, error: Exception) -> Response:
    """The envelope of an application or domain error, by the one table (`ERROR_MAP`)."""
    mapping = mapping_for(error) or ErrorMapping(400, "bad_request")
    headers = None
    if mapping.status == 401:  # noqa: PLR2004
        scheme = "X-Snippet-Password" if isinstance(error, PasswordRequired) else "Bearer"
        headers = {"WWW-Authenticate": scheme}
    return error_response(request, mapping.status, mapping.code, str(error), headers=headers)


def _validation_details(error: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {
            "loc": list(issue.get("loc", ())),
            "msg": issue.get("msg", ""),
            "type": issue.get("type", ""),
        }
        for issue in error.errors()
    ]


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    details = _validation_details(error)
    if any(issue["type"] == "json_invalid" for issue in details):
        message = "request body is not valid JSON"
    else:
        message = "request is invalid: " + "; ".join(
            f"{'.'.join(str(part) for part in issue['loc'])}: {issue['msg']}" for issue in details
        )
    return error_response(request, 422, "validation_error", message, details)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the application answers on the request's path.

    Starlette's 405 names the methods of the first route whose path matched; a path
    served by several routes (GET and PATCH of /users/me) needs all of them.
    """
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    code = _HTTP_CODES.get(error.status_code, "http_error")
    headers = dict(getattr(error, "headers", None) or {})
    if error.status_code == 404 and error.detail == "Not Found":  # noqa: PLR2004
        message = f"no route matches {request.method} {request.url.path}"
    elif error.status_code == 405:  # noqa: PLR2004
        message = f"method {request.method} is not allowed on {request.url.path}"
        headers["Allow"] = ", ".join(allowed_methods(request))
    else:
        message = str(error.detail)
    return error_response(request, error.status_code, code, message, headers=headers)


async def _unexpected_error(request: Request, error: Exception) -> Response:
    logger.error(
        "unhandled error",
        extra={"request_id": request_id_of(request), "path": request.url.path},
        exc_info=error,
    )
    return error_response(request, 500, "internal_error", "an unexpected error occurred")


def unavailable_handler(code: str, message: str) -> Any:
    """A 503 handler for an infrastructure failure; the composition root registers it."""

    async def handle(request: Request, error: Exception) -> Response:
        logger.warning("%s: %s", code, error, extra={"request_id": request_id_of(request)})
        return error_response(request, 503, code, message, headers={"Retry-After": "5"})

    return handle


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApplicationError, application_error_handler)
    app.add_exception_handler(DomainError, application_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
