"""RequestModel: the base of every request body, form and query model of the API.

PostgreSQL cannot store a NUL character, and an unpaired surrogate (what a JSON `"\\ud800"`
escape decodes to) has no UTF-8 form: either would fail deep inside a write or a lookup.
Every field of every request model is checked here, once, before any route runs, so such
text is refused with the 422 envelope and nothing changes.
"""

from typing import Any

from pydantic import BaseModel, field_validator
from pydantic_core import PydanticCustomError

UNSTORABLE_TEXT = "unstorable_text"


def _is_storable(text: str) -> bool:
    if "\x00" in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:  # only surrogates cannot be encoded as UTF-8
        return False
    return True


def _refuse_unstorable(value: object) -> None:
    if isinstance(value, str):
        if not _is_storable(value):
            raise PydanticCustomError(
                UNSTORABLE_TEXT,
                "text must not contain NUL characters or unpaired surrogates",
            )
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_unstorable(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_unstorable(key)
            _refuse_unstorable(item)


class RequestModel(BaseModel):
    """What a client sends: no field, at any depth, holds NUL or an unpaired surrogate."""

    @field_validator("*", mode="before")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        _refuse_unstorable(value)
        return value
