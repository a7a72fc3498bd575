"""The code-aware tokenizer: chains, parts, joins, prefixes, positions, and the limits."""

import pytest

from swiftpaste.application.search.code_terms import (
    MAX_LEXEME_BYTES,
    MAX_LEXEME_LENGTH,
    MAX_MARKED_PREFIX,
    MAX_POSITION,
    MAX_POSITIONS_PER_LEXEME,
    DocumentTerms,
    chain_part_spans,
    chain_parts,
    index_terms,
    text_parts,
)
from swiftpaste.infrastructure.persistence.text_search import tsvector_text


@pytest.mark.parametrize(
    ("chain", "parts"),
    [
        ("fibonacci", ["fibonacci"]),
        ("get_user_by_id", ["get", "user", "by", "id"]),
        ("getUserById", ["get", "user", "by", "id"]),
        ("GetUserByID", ["get", "user", "by", "id"]),
        ("HTTPServer", ["http", "server"]),
        ("parseJSON", ["parse", "json"]),
        ("utf8Decode", ["utf8", "decode"]),
        ("sha256sum", ["sha256sum"]),
        ("os.path.join", ["os", "path", "join"]),
        ("src/app/main.py", ["src", "app", "main", "py"]),
        ("std::vector", ["std", "vector"]),
        ("__init__", ["init"]),
        ("CONSTANT_VALUE", ["constant", "value"]),
        ("Ωmega_straße", ["ωmega", "straße"]),
    ],
)
def test_chains_are_cut_into_lower_case_parts(chain: str, parts: list[str]) -> None:
    assert chain_parts(chain) == parts


def test_chains_are_linked_only_without_spaces() -> None:
    assert text_parts("a.b c . d obj->next x-1 --flag") == [
        ["a", "b"],
        ["c"],
        ["d"],
        ["obj", "next"],
        ["x", "1"],
        ["flag"],
    ]


def test_part_spans_point_into_the_chain() -> None:
    chain = "getUser_ID"
    assert [(lexeme, chain[start:end]) for lexeme, start, end in chain_part_spans(chain)] == [
        ("get", "get"),
        ("user", "User"),
        ("id", "ID"),
    ]


def test_every_suffix_of_a_chain_is_joined_at_its_first_parts_position() -> None:
    terms = DocumentTerms()
    terms.add_text("x = self.get_user_by_id(1)", "B")
    assert terms.positions == {
        "x": [1],
        "self": [2],
        "get": [3],
        "user": [4],
        "by": [5],
        "id": [6],
        "byid": [5],
        "userbyid": [4],
        "getuserbyid": [3],
        "selfgetuserbyid": [2],
        "1": [7],
    }


def test_the_search_form_splits_joins_after_their_first_part_and_marks_part_prefixes() -> None:
    terms = DocumentTerms(keyed=True)
    terms.add_text("x = self.get_user_by_id(1)", "B")
    assert terms.positions == {
        "x": [1],
        "self": [2],
        "get": [3],
        "user": [4],
        "by": [5],
        "id": [6],
        "1": [7],
    }
    assert terms.keys == {
        "self|getuserbyid",
        "get|userbyid",
        "user|byid",
        "by|id",
        ">sel",
        ">self",
        ">get",
        ">use",
        ">user",
    }


def test_part_prefixes_are_marked_up_to_a_length() -> None:
    terms = DocumentTerms(keyed=True)
    terms.add_text("internationalization", "B")
    marked = sorted((key for key in terms.keys), key=len)
    assert marked[0] == ">int"
    assert marked[-1] == ">" + "internationalization"[:MAX_MARKED_PREFIX]
    assert len(marked) == MAX_MARKED_PREFIX - 2


def test_title_then_content_with_a_gap_and_their_weights() -> None:
    indexed = index_terms("Fib memo", "def fib(n)")
    assert indexed.title.positions == {"fib": [1], "memo": [2]}
    assert indexed.title.keys == set()
    assert indexed.everything.positions == {"fib": [1, 5], "memo": [2], "def": [4], "n": [6]}
    assert tsvector_text(indexed.everything) == (
        "'fib':1A,5B 'memo':2A 'def':4B 'n':6B '>def' '>fib' '>mem' '>memo'"
    )
    assert tsvector_text(indexed.title) == "'fib':1A 'memo':2A"


def test_long_parts_and_joins_are_cut() -> None:
    terms = DocumentTerms()
    terms.add_text("a" * 100 + "_b", "B")
    assert set(terms.positions) == {"a" * MAX_LEXEME_LENGTH, "b"}


def test_positions_stop_at_postgresqls_limit_and_each_lexeme_keeps_at_most_256() -> None:
    terms = DocumentTerms()
    terms.add_text("word " * 20_000 + "last", "B")
    assert len(terms.positions["word"]) == MAX_POSITIONS_PER_LEXEME
    assert terms.positions["last"] == [MAX_POSITION]


@pytest.mark.parametrize("keyed", [False, True])
def test_a_document_stops_taking_new_lexemes_at_the_byte_budget(*, keyed: bool) -> None:
    terms = DocumentTerms(keyed=keyed)
    words = " ".join(f"w{n:060d}_x" for n in range(20_000))  # 1.2 MB of distinct lexemes
    terms.add_text(words, "B")
    assert terms.lexeme_bytes <= MAX_LEXEME_BYTES
    assert sum(len(lexeme) for lexeme in (*terms.positions, *terms.keys)) <= MAX_LEXEME_BYTES
    assert len(terms.positions) < 20_000


def test_unicode_is_normalized() -> None:
    full_width_fib = "\uff46\uff49\uff42"
    assert text_parts(f"{full_width_fib} \ufb01le") == [["fib"], ["file"]]
