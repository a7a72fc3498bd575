"""PostgreSQL's text-search values, written out from the application's terms and queries.

Documents and queries are cut into lexemes by `application.search.code_terms`, never by
PostgreSQL's parser (which reads code unpredictably). So the values are built here in
PostgreSQL's *input syntax* — `'lexeme':1A,5B ...` for a tsvector, `'fib':* & !'test'`
for a tsquery — and sent as ordinary bind parameters cast to their type. Nothing typed by
a user is ever part of an SQL statement: the query text reaching PostgreSQL is made of
quoted lexemes (letters and digits only) joined by the operators this module writes.
"""

from sqlalchemy import ColumnElement, bindparam
from sqlalchemy.dialects.postgresql import TSQUERY

from swiftpaste.application.search.code_terms import DocumentTerms
from swiftpaste.application.search.query import AnyOf, Clause, Match, SearchQuery, Word


def _quoted(lexeme: str) -> str:
    """A lexeme in quotes; quote and backslash escaped (lexemes never hold them, but still)."""
    if "'" in lexeme or "\\" in lexeme:
        lexeme = lexeme.replace("\\", "\\\\").replace("'", "''")
    return f"'{lexeme}'"


def tsvector_text(terms: DocumentTerms) -> str:
    """The tsvector input form of `terms`: each lexeme with its positions and weights."""
    if len(terms.fields) == 1:
        weight = terms.fields[0][1]
        return " ".join(
            f"{_quoted(lexeme)}:{','.join(f'{position}{weight}' for position in positions)}"
            for lexeme, positions in terms.positions.items()
        )
    weight_at = terms.weight_at
    return " ".join(
        f"{_quoted(lexeme)}:"
        + ",".join(f"{position}{weight_at(position)}" for position in positions)
        for lexeme, positions in terms.positions.items()
    )


def match_text(match: Match) -> str:
    """One word or phrase alone, in tsquery input form."""
    if isinstance(match, Word):
        return _quoted(match.lexeme) + (":*" if match.prefix else "")
    return "(" + " <-> ".join(map(_quoted, match.lexemes)) + ")"


def _clause_text(clause: Clause) -> str:
    if isinstance(clause, AnyOf):
        return "(" + " | ".join(map(match_text, clause.options)) + ")"
    return match_text(clause)


def tsquery_text(query: SearchQuery) -> str:
    """The tsquery input form: required clauses AND-ed, each exclusion as `& !…`."""
    required = map(_clause_text, query.required)
    excluded = (f"!{match_text(match)}" for match in query.excluded)
    return " & ".join((*required, *excluded))


def tsquery_parameter(name: str) -> ColumnElement[str]:
    """A named parameter of type tsquery (sent in its input form, converted once).

    Typed, not cast from text: in a prepared statement's generic plan a cast would be
    evaluated again for every row it is compared with (measured: twice the run time).
    """
    return bindparam(name, type_=TSQUERY)
