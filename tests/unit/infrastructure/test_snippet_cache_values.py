"""The snippet cache's stored values: a marker, the snippet's id, its entity tag, the body."""

from uuid import UUID

import pytest

from swiftpaste.infrastructure.cache.snippet_cache import (
    CachedValue,
    body_key,
    decode_value,
    encode_value,
    generation_key,
)

SNIPPET = UUID("00000000-0000-4000-8000-0000000000aa")
ETAG = "0123456789abcdef0123456789abcdef"
BODY = b'{"short_id":"abc12345","version":1,"content":"print(1)"}'


@pytest.mark.parametrize(
    "body",
    [BODY, b"x", b"\x02" + SNIPPET.bytes + b"looks like a header", bytes(range(256))],
    ids=["json", "one-byte", "header-inside", "every-byte"],
)
def test_a_value_decodes_to_what_it_was_encoded_from(body: bytes) -> None:
    assert decode_value(encode_value(SNIPPET, ETAG, body)) == CachedValue(SNIPPET, ETAG, body)


def test_the_value_is_the_marker_the_ids_16_bytes_the_tag_then_the_body() -> None:
    value = encode_value(SNIPPET, ETAG, BODY)
    assert value == b"\x02" + SNIPPET.bytes + ETAG.encode() + BODY
    assert len(value) == 1 + 16 + 32 + len(BODY)


def test_different_snippets_with_the_same_body_stay_apart() -> None:
    other = UUID("00000000-0000-4000-8000-0000000000bb")
    assert decode_value(encode_value(other, ETAG, BODY)) == CachedValue(other, ETAG, BODY)
    assert encode_value(other, ETAG, BODY) != encode_value(SNIPPET, ETAG, BODY)


@pytest.mark.parametrize("etag", ["", "abc", ETAG + "0"])
def test_only_a_tag_of_32_hex_digits_is_stored(etag: str) -> None:
    with pytest.raises(ValueError, match="32 hex digits"):
        encode_value(SNIPPET, etag, BODY)


def test_a_missing_value_reads_as_a_miss() -> None:
    assert decode_value(None) is None


@pytest.mark.parametrize(
    "legacy",
    [BODY, b"", b"{}", b"x" * 49, b"x" * 200, b"\x01" + SNIPPET.bytes + BODY],
    ids=["json-body", "empty", "tiny", "header-length", "long", "without-a-tag"],
)
def test_a_value_of_an_older_layout_reads_as_a_miss(legacy: bytes) -> None:
    assert decode_value(legacy) is None


def test_a_header_without_a_body_reads_as_a_miss() -> None:
    assert decode_value(b"\x02" + SNIPPET.bytes + ETAG.encode()) is None


def test_keys_name_the_snippet_and_the_version_or_latest() -> None:
    assert body_key("abc12345", None) == "snippet:abc12345:vlatest"
    assert body_key("abc12345", 3) == "snippet:abc12345:v3"
    assert generation_key("abc12345") == "snippet:abc12345:gen"
