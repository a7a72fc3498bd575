"""tsvector and tsquery values in PostgreSQL's input syntax, built from terms and queries."""

from swiftpaste.application.search.code_terms import DocumentTerms
from swiftpaste.application.search.query import AnyOf, Phrase, SearchQuery, Word, parse_query
from swiftpaste.infrastructure.persistence.text_search import tsquery_text, tsvector_text


def test_a_query_becomes_quoted_lexemes_and_operators() -> None:
    query = parse_query('get_user "def fib" http or https -test id')
    assert tsquery_text(query) == (
        "'getuser':* & ('def' <-> 'fib') & ('http':* | 'https':*) & 'id' & !'test':*"
    )


def test_quotes_and_backslashes_in_lexemes_are_escaped() -> None:
    query = SearchQuery(
        required=(
            Word("it's", prefix=False),
            AnyOf((Word("a\\b", prefix=True), Phrase(("x", "y")))),
        ),
    )
    assert tsquery_text(query) == "'it''s' & ('a\\\\b':* | ('x' <-> 'y'))"


def test_an_empty_document_is_an_empty_vector() -> None:
    assert tsvector_text(DocumentTerms()) == ""
