"""The search box parser: words, phrases, or, exclusions, identifiers, and hostile input."""

import random
import string

import pytest

from swiftpaste.application.errors import InvalidQuery
from swiftpaste.application.search.query import (
    MAX_QUERY_LENGTH,
    MAX_TERMS,
    AnyOf,
    Phrase,
    SearchQuery,
    Word,
    parse_query,
)


def prefix(lexeme: str) -> Word:
    return Word(lexeme, prefix=True)


def exact(lexeme: str) -> Word:
    return Word(lexeme, prefix=False)


def test_words_are_all_required_and_matched_as_prefixes() -> None:
    assert parse_query("fib memo") == SearchQuery(required=(prefix("fib"), prefix("memo")))


@pytest.mark.parametrize(
    ("typed", "lexeme"),
    [
        ("get_user", "getuser"),
        ("getUser", "getuser"),
        ("GetUser", "getuser"),
        ("GET_USER", "getuser"),
        ("get.user", "getuser"),
        ("parseJson", "parsejson"),
        ("parse_json", "parsejson"),
        ("ParseJSON", "parsejson"),
        ("os.path.join", "ospathjoin"),
        ("src/app/main.py", "srcappmainpy"),
        ("std::vector", "stdvector"),
        ("HTTPServer", "httpserver"),
        ("kebab-case", "kebabcase"),
        ("base64Encode", "base64encode"),
    ],
)
def test_an_identifier_is_looked_up_glued_whatever_its_separators_and_case(
    typed: str, lexeme: str
) -> None:
    assert parse_query(typed).required == (prefix(lexeme),)


def test_short_words_match_only_exactly() -> None:
    assert parse_query("id io fib").required == (exact("id"), exact("io"), prefix("fib"))


def test_quoted_phrases_are_exact_consecutive_parts() -> None:
    query = parse_query('"def fib" "get_user" "x"')
    assert query.required == (Phrase(("def", "fib")), Phrase(("get", "user")), exact("x"))


def test_an_unclosed_quote_runs_to_the_end_and_curly_quotes_count() -> None:
    assert parse_query('a "b c').required == (exact("a"), Phrase(("b", "c")))
    assert parse_query("“hello world”").required == (Phrase(("hello", "world")),)


def test_or_groups_its_neighbours_and_binds_tighter_than_and() -> None:
    query = parse_query("http or https OR ftp server")
    assert query.required == (
        AnyOf((prefix("http"), prefix("https"), prefix("ftp"))),
        prefix("server"),
    )


@pytest.mark.parametrize(
    ("typed", "required"),
    [
        ("or", (exact("or"),)),
        ("or fib", (exact("or"), prefix("fib"))),
        ("fib or", (prefix("fib"), exact("or"))),
        ('"or"', (exact("or"),)),
    ],
)
def test_a_dangling_or_is_a_word(typed: str, required: tuple[Word, ...]) -> None:
    assert parse_query(typed).required == required


def test_exclusions_of_words_and_phrases() -> None:
    query = parse_query('fib -test -"slow path"')
    assert query.required == (prefix("fib"),)
    assert query.excluded == (prefix("test"), Phrase(("slow", "path")))


def test_a_lone_dash_and_a_dash_inside_a_word_are_not_exclusions() -> None:
    assert parse_query("fib - memo").required == (prefix("fib"), prefix("memo"))
    assert parse_query("fib-memo").excluded == ()


def test_punctuation_between_identifiers_makes_a_phrase() -> None:
    assert parse_query("foo(bar)").required == (Phrase(("foo", "bar")),)
    assert parse_query("a+b").required == (Phrase(("a", "b")),)


def test_repeated_terms_count_once() -> None:
    assert parse_query("fib fib FIB").required == (prefix("fib"),)


@pytest.mark.parametrize(
    "typed",
    ["", "   ", "&|!():*", "🎉🎉", "\x00", '""', "-", "--", "- -", "'''", "\\"],
)
def test_queries_without_letters_or_digits_are_refused(typed: str) -> None:
    with pytest.raises(InvalidQuery):
        parse_query(typed)


def test_only_exclusions_is_refused() -> None:
    with pytest.raises(InvalidQuery, match="only exclusions"):
        parse_query("-fib -memo")


def test_long_queries_are_refused() -> None:
    assert parse_query("a" * MAX_QUERY_LENGTH).required
    with pytest.raises(InvalidQuery, match="at most 256"):
        parse_query("a" * (MAX_QUERY_LENGTH + 1))


def test_too_many_words_are_refused() -> None:
    parse_query(" ".join(f"w{n}" for n in range(MAX_TERMS)))
    with pytest.raises(InvalidQuery, match="at most 32 words"):
        parse_query(" ".join(f"w{n}" for n in range(MAX_TERMS + 1)))


def test_operators_and_odd_characters_around_words_are_ignored() -> None:
    query = parse_query("fib & memo | !x :* (y) 🎉 null\x00byte")
    lexemes = {match.lexeme for match in query.positives if isinstance(match, Word)}
    assert {"fib", "memo", "x", "y"} <= lexemes
    assert Phrase(("null", "byte")) in query.positives


@pytest.mark.parametrize("seed", range(20))
def test_random_input_parses_or_is_refused_and_keeps_only_letters_and_digits(seed: int) -> None:
    rng = random.Random(seed)
    alphabet = string.printable + "“”«»éß漢字🎉\x00\u200b-\"'"
    for _ in range(200):
        typed = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        try:
            query = parse_query(typed)
        except InvalidQuery:
            continue
        matches = (*query.positives, *query.excluded)
        lexemes = [
            lexeme
            for match in matches
            for lexeme in ((match.lexeme,) if isinstance(match, Word) else match.lexemes)
        ]
        assert lexemes
        assert all(lexeme.isalnum() and lexeme == lexeme.lower() for lexeme in lexemes)
