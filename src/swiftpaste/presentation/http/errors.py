"""The error envelope, and the one table that maps application errors to HTTP."""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from swiftpaste.application.errors import (
    AccountDisabled,
    ApplicationError,
    AuthenticationFailed,
    ContentTooLarge,
    CurrentPasswordIncorrect,
    DependencyUnavailable,
    EmailAlreadyRegistered,
    InvalidQuery,
    InvalidRefreshToken,
    InvalidShare,
    NotAuthenticated,
    NothingToUpdate,
    UsernameTaken,
)
from swiftpaste.domain.errors import (
    DomainError,
    InvalidSnippet,
    InvalidUsername,
    NotSnippetOwner,
    ShareExpired,
    SnippetNotFound,
    VersionNotFound,
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
    InvalidSnippet: ErrorMapping(422, "invalid_snippet"),
    InvalidShare: ErrorMapping(422, "invalid_share"),
    InvalidQuery: ErrorMapping(422, "invalid_query"),
    ContentTooLarge: ErrorMapping(413, "content_too_large"),
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


def request_id_of(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    request_id = request_id_of(request)
    body = {
        "error": {
            "code": code,
            "message": message,
            "details": jsonable_encoder(details),
            "requestId": request_id,
        },
    }
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


async def application_error_handler(request: Request, error: Exception) -> JSONResponse:
    """The envelope of an application or domain error, by the one table (`ERROR_MAP`)."""
    mapping = mapping_for(error) or ErrorMapping(400, "bad_request")
    headers = {"WWW-Authenticate": "Bearer"} if mapping.status == 401 else None  # noqa: PLR2004
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


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    details = _validation_details(error)
    if any(issue["type"] == "json_invalid" for issue in details):
        message = "request body is not valid JSON"
    else:
        message = "request is invalid: " + "; ".join(
            f"{'.'.join(str(part) for part in issue['loc'])}: {issue['msg']}" for issue in details
        )
    return error_response(request, 422, "validation_error", message, details)


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    code = _HTTP_CODES.get(error.status_code, "http_error")
    if error.status_code == 404 and error.detail == "Not Found":  # noqa: PLR2004
        message = f"no route matches {request.method} {request.url.path}"
    elif error.status_code == 405:  # noqa: PLR2004
        message = f"method {request.method} is not allowed on {request.url.path}"
    else:
        message = str(error.detail)
    return error_response(
        request, error.status_code, code, message, headers=getattr(error, "headers", None)
    )


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    logger.error(
        "unhandled error",
        extra={"request_id": request_id_of(request), "path": request.url.path},
        exc_info=error,
    )
    return error_response(request, 500, "internal_error", "an unexpected error occurred")


def unavailable_handler(code: str, message: str) -> Any:
    """A 503 handler for an infrastructure failure; the composition root registers it."""

    async def handle(request: Request, error: Exception) -> JSONResponse:
        logger.warning("%s: %s", code, error, extra={"request_id": request_id_of(request)})
        return error_response(request, 503, code, message, headers={"Retry-After": "5"})

    return handle


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApplicationError, application_error_handler)
    app.add_exception_handler(DomainError, application_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
