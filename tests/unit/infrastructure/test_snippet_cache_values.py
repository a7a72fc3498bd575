"""The snippet cache's stored values: a marker, the snippet's id, the views the copy was
made with, then the rendered form with the view count left out."""

from uuid import UUID

import pytest

from swiftpaste.application.ports.snippets import Rendered
from swiftpaste.infrastructure.cache.snippet_cache import (
    CachedCopy,
    body_key,
    decode_value,
    encode_value,
    generation_key,
)

SNIPPET = UUID("00000000-0000-4000-8000-0000000000aa")
BODY = b'{"short_id":"abc12345","version":1,"content":"print(1)"}'


@pytest.mark.parametrize(
    "rendered",
    [
        Rendered(b'{"views":', b',"title":"x"}'),
        Rendered(BODY),
        Rendered(b"x"),
        Rendered(b"", b""),
        Rendered(b"\x02" + SNIPPET.bytes + b"looks like a header", bytes(range(256))),
        Rendered(bytes(range(256))),
    ],
    ids=["json", "raw", "one-byte", "empty-parts", "header-inside", "every-byte"],
)
def test_a_value_decodes_to_the_copy_it_was_encoded_from(rendered: Rendered) -> None:
    assert decode_value(encode_value(SNIPPET, rendered, 42)) == CachedCopy(SNIPPET, rendered, 42)


def test_the_view_count_goes_between_head_and_tail() -> None:
    copy = decode_value(encode_value(SNIPPET, Rendered(b'{"views":', b"}"), 7))
    assert copy is not None
    assert copy.rendered.body(1234) == b'{"views":1234}'
    assert decode_value(encode_value(SNIPPET, Rendered(BODY), 7)) == CachedCopy(
        SNIPPET, Rendered(BODY), 7
    )


def test_different_snippets_with_the_same_body_stay_apart() -> None:
    other = UUID("00000000-0000-4000-8000-0000000000bb")
    assert encode_value(other, Rendered(BODY), 0) != encode_value(SNIPPET, Rendered(BODY), 0)


def test_a_missing_value_reads_as_a_miss() -> None:
    assert decode_value(None) is None


@pytest.mark.parametrize(
    "legacy",
    [BODY, b"", b"{}", b"x" * 17, b"\x01" + SNIPPET.bytes + BODY],
    ids=["json-body", "empty", "tiny", "header-length", "older-layout"],
)
def test_a_value_in_another_layout_reads_as_a_miss(legacy: bytes) -> None:
    assert decode_value(legacy) is None


def test_a_head_longer_than_the_value_reads_as_a_miss() -> None:
    value = encode_value(SNIPPET, Rendered(b"head", b"tail"), 0)
    assert decode_value(value[:-6]) is None


def test_keys_name_the_snippet_and_the_version_or_latest() -> None:
    assert body_key("abc12345", None) == "snippet:abc12345:vlatest"
    assert body_key("abc12345", 3) == "snippet:abc12345:v3"
    assert generation_key("abc12345") == "snippet:abc12345:gen"
