"""tsvector and tsquery values in PostgreSQL's input syntax, built from terms and queries."""

from swiftpaste.application.search.code_terms import DocumentTerms
from swiftpaste.application.search.query import AnyOf, Phrase, SearchQuery, Word, parse_query
from swiftpaste.infrastructure.persistence.text_search import (
    match_text,
    title_match_text,
    tsquery_text,
    tsvector_text,
)


def test_a_query_becomes_quoted_lexemes_and_operators() -> None:
    query = parse_query('get_user "def fib" http or https -test id')
    assert tsquery_text(query) == (
        "('>getuser' | 'g|etuser':* | 'ge|tuser':* | 'get|user':* | 'getu|ser':*"
        " | 'getus|er':* | 'getuse|r':*)"
        " & ('def' <-> 'fib')"
        " & (('>http' | 'h|ttp':* | 'ht|tp':* | 'htt|p':*)"
        " | ('>https' | 'h|ttps':* | 'ht|tps':* | 'htt|ps':* | 'http|s':*))"
        " & ('id' | 'i|d')"
        " & !('>test' | 't|est':* | 'te|st':* | 'tes|t':*)"
    )


def test_the_title_vector_is_asked_for_the_lexemes_as_they_are() -> None:
    assert title_match_text(Word("getuser", prefix=True)) == "'getuser':*"
    assert title_match_text(Phrase(("def", "fib"))) == "('def' <-> 'fib')"
    assert title_match_text(Word("id", prefix=False)) == "'id'"


def test_a_word_longer_than_the_marked_prefixes_is_a_prefix_of_the_lexemes() -> None:
    word = Word("internationalization", prefix=True)
    assert match_text(word).startswith("('internationalization':* | 'i|nternationalization':*")


def test_quotes_and_backslashes_in_lexemes_are_escaped() -> None:
    query = SearchQuery(
        required=(
            Word("it's", prefix=False),
            AnyOf((Word("a\\b", prefix=True), Phrase(("x", "y")))),
        ),
    )
    assert tsquery_text(query) == (
        "('it''s' | 'i|t''s' | 'it|''s' | 'it''|s')"
        " & (('>a\\\\b' | 'a|\\\\b':* | 'a\\\\|b':*) | ('x' <-> 'y'))"
    )


def test_an_empty_document_is_an_empty_vector() -> None:
    assert tsvector_text(DocumentTerms()) == ""
