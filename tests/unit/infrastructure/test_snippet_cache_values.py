"""The snippet cache's stored values: a marker, the snippet's id, its entity tag, the views
the copy was made with, then the rendered form with the view count left out."""

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
ETAG = "0123456789abcdef0123456789abcdef"
BODY = b'{"short_id":"abc12345","version":1,"content":"print(1)"}'


@pytest.mark.parametrize(
    "rendered",
    [
        Rendered(b'{"views":', b',"title":"x"}'),
        Rendered(BODY),
        Rendered(b"x"),
        Rendered(b"", b""),
        Rendered(b"\x03" + SNIPPET.bytes + b"looks like a header", bytes(range(256))),
        Rendered(bytes(range(256))),
    ],
    ids=["json", "raw", "one-byte", "empty-parts", "header-inside", "every-byte"],
)
def test_a_value_decodes_to_the_copy_it_was_encoded_from(rendered: Rendered) -> None:
    value = encode_value(SNIPPET, ETAG, rendered, 42)
    assert decode_value(value) == CachedCopy(SNIPPET, ETAG, rendered, 42)


def test_the_view_count_goes_between_head_and_tail() -> None:
    copy = decode_value(encode_value(SNIPPET, ETAG, Rendered(b'{"views":', b"}"), 7))
    assert copy is not None
    assert copy.rendered.body(1234) == b'{"views":1234}'


def test_different_snippets_with_the_same_body_stay_apart() -> None:
    other = UUID("00000000-0000-4000-8000-0000000000bb")
    value = encode_value(other, ETAG, Rendered(BODY), 0)
    assert decode_value(value) == CachedCopy(other, ETAG, Rendered(BODY), 0)
    assert value != encode_value(SNIPPET, ETAG, Rendered(BODY), 0)


@pytest.mark.parametrize("etag", ["", "abc", ETAG + "0"])
def test_only_a_tag_of_32_hex_digits_is_stored(etag: str) -> None:
    with pytest.raises(ValueError, match="32 hex digits"):
        encode_value(SNIPPET, etag, Rendered(BODY), 0)


def test_a_missing_value_reads_as_a_miss() -> None:
    assert decode_value(None) is None


@pytest.mark.parametrize(
    "legacy",
    [
        BODY,
        b"",
        b"{}",
        b"x" * 61,
        b"\x01" + SNIPPET.bytes + BODY,
        b"\x02" + SNIPPET.bytes + ETAG.encode() + BODY,
    ],
    ids=["json-body", "empty", "tiny", "header-length", "first-layout", "without-views"],
)
def test_a_value_in_another_layout_reads_as_a_miss(legacy: bytes) -> None:
    assert decode_value(legacy) is None


def test_a_head_longer_than_the_value_reads_as_a_miss() -> None:
    value = encode_value(SNIPPET, ETAG, Rendered(b"head", b"tail"), 0)
    assert decode_value(value[:-6]) is None


def test_keys_name_the_snippet_and_the_version_or_latest() -> None:
    assert body_key("abc12345", None) == "snippet:abc12345:vlatest"
    assert body_key("abc12345", 3) == "snippet:abc12345:v3"
    assert generation_key("abc12345") == "snippet:abc12345:gen"
