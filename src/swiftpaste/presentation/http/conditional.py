"""Conditional requests: the ETag header, `If-None-Match` on reads, `If-Match` on writes."""

import re

from swiftpaste.application.snippets.etags import IfMatch

_ENTITY_TAG = re.compile(r'(W/)?"([^"]*)"')


def etag_header(tag: str) -> str:
    """A strong entity tag, as the ETag header writes it."""
    return f'"{tag}"'


def none_match(header: str | None, tag: str) -> bool:
    """Whether `If-None-Match` names the tag (weak comparison: `W/` is ignored), or is `*`."""
    if header is None:
        return False
    if header.strip() == "*":
        return True
    return any(match[2] == tag for match in _ENTITY_TAG.finditer(header))


def if_match(header: str | None) -> IfMatch | None:
    """The precondition of an `If-Match` header; None without one.

    Strong comparison: a weak tag never matches, nor does anything that is not a tag.
    """
    if header is None:
        return None
    if header.strip() == "*":
        return IfMatch(any_state=True)
    tags = frozenset(match[2] for match in _ENTITY_TAG.finditer(header) if not match[1])
    return IfMatch(tags=tags)
