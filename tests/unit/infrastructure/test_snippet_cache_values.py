"""The snippet cache's stored values: a marker, the snippet's id, then the response body."""

from uuid import UUID

import pytest

from swiftpaste.infrastructure.cache.snippet_cache import (
    body_key,
    decode_value,
    encode_value,
    generation_key,
)

SNIPPET = UUID("00000000-0000-4000-8000-0000000000aa")
BODY = b'{"short_id":"abc12345","version":1,"content":"print(1)"}'


@pytest.mark.parametrize(
    "body",
    [BODY, b"x", b"\x01" + SNIPPET.bytes + b"looks like a header", bytes(range(256))],
    ids=["json", "one-byte", "header-inside", "every-byte"],
)
def test_a_value_decodes_to_the_snippet_and_body_it_was_encoded_from(body: bytes) -> None:
    assert decode_value(encode_value(SNIPPET, body)) == (SNIPPET, body)


def test_the_value_is_the_marker_the_ids_16_bytes_then_the_body() -> None:
    value = encode_value(SNIPPET, BODY)
    assert value == b"\x01" + SNIPPET.bytes + BODY
    assert len(value) == 1 + 16 + len(BODY)


def test_different_snippets_with_the_same_body_stay_apart() -> None:
    other = UUID("00000000-0000-4000-8000-0000000000bb")
    assert decode_value(encode_value(other, BODY)) == (other, BODY)
    assert encode_value(other, BODY) != encode_value(SNIPPET, BODY)


def test_a_missing_value_reads_as_a_miss() -> None:
    assert decode_value(None) is None


@pytest.mark.parametrize(
    "legacy",
    [BODY, b"", b"{}", b"x" * 17, b"x" * 200],
    ids=["json-body", "empty", "tiny", "header-length", "long"],
)
def test_a_value_stored_before_the_header_existed_reads_as_a_miss(legacy: bytes) -> None:
    assert decode_value(legacy) is None


def test_a_value_with_another_marker_reads_as_a_miss() -> None:
    assert decode_value(b"\x02" + SNIPPET.bytes + BODY) is None


def test_a_header_without_a_body_reads_as_a_miss() -> None:
    assert decode_value(b"\x01" + SNIPPET.bytes) is None


def test_keys_name_the_snippet_and_the_version_or_latest() -> None:
    assert body_key("abc12345", None) == "snippet:abc12345:vlatest"
    assert body_key("abc12345", 3) == "snippet:abc12345:v3"
    assert generation_key("abc12345") == "snippet:abc12345:gen"
