"""Reading the forms the pages post: text fields as browsers send them, and refusals
shown on the form again."""

from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData


def text(form: FormData, name: str) -> str:
    """A text field; "" when absent (or a file). Line ends as typed: browsers send a
    textarea's lines ended by CRLF."""
    value = form.get(name)
    return value.replace("\r\n", "\n") if isinstance(value, str) else ""


def problems(error: ValidationError) -> str:
    """Pydantic's complaints as one sentence for people."""
    return "; ".join(_problem(issue) for issue in error.errors())


def _problem(issue: Any) -> str:
    field = ".".join(str(part) for part in issue.get("loc", ()))
    return f"{field}: {issue.get('msg', 'invalid')}" if field else str(issue.get("msg"))


def local_path(candidate: str | None, fallback: str = "/") -> str:
    """Where to go after signing in: a path of this site only, never another origin."""
    if candidate and candidate.startswith("/") and not candidate.startswith(("//", "/\\")):
        return candidate
    return fallback
