"""PostgreSQL's text-search values (tsvector and tsquery input syntax), written from the
application's terms and queries and sent as bind parameters: nothing a user types is ever
part of an SQL statement. The two forms of a match: docs/adr/0004-search-in-postgresql.md.
"""

from sqlalchemy import ColumnElement, bindparam
from sqlalchemy.dialects.postgresql import TSQUERY

from swiftpaste.application.search.code_terms import (
    JOIN_MARK,
    MAX_MARKED_PREFIX,
    PREFIX_MARK,
    DocumentTerms,
)
from swiftpaste.application.search.query import AnyOf, Clause, Match, Phrase, SearchQuery, Word


def _quoted(lexeme: str) -> str:
    """A lexeme in quotes; quote and backslash escaped (lexemes never hold them, but still)."""
    if "'" in lexeme or "\\" in lexeme:
        lexeme = lexeme.replace("\\", "\\\\").replace("'", "''")
    return f"'{lexeme}'"


def tsvector_text(terms: DocumentTerms) -> str:
    """The tsvector input form of `terms`: each lexeme with its positions and weights, then
    the keys (joins and part prefixes of the keyed form), which have none."""
    keys = map(_quoted, sorted(terms.keys))
    if len(terms.fields) == 1:
        weight = terms.fields[0][1]
        positioned = (
            f"{_quoted(lexeme)}:{','.join(f'{position}{weight}' for position in positions)}"
            for lexeme, positions in terms.positions.items()
        )
    else:
        weight_at = terms.weight_at
        positioned = (
            f"{_quoted(lexeme)}:"
            + ",".join(f"{position}{weight_at(position)}" for position in positions)
            for lexeme, positions in terms.positions.items()
        )
    return " ".join((*positioned, *keys))


def title_match_text(match: Match) -> str:
    """One word or phrase alone, in tsquery input form, for the title vector."""
    if isinstance(match, Word):
        return _quoted(match.lexeme) + (":*" if match.prefix else "")
    return _phrase_text(match)


def _phrase_text(phrase: Phrase) -> str:
    return "(" + " <-> ".join(map(_quoted, phrase.lexemes)) + ")"


def match_text(match: Match) -> str:
    """One word or phrase alone, in tsquery input form, for the search vector."""
    if isinstance(match, Phrase):
        return _phrase_text(match)
    lexeme, suffix = match.lexeme, (":*" if match.prefix else "")
    if not match.prefix:
        found = [_quoted(lexeme)]  # the part itself
    elif len(lexeme) <= MAX_MARKED_PREFIX:
        found = [_quoted(PREFIX_MARK + lexeme)]  # every part that starts with it
    else:
        found = [_quoted(lexeme) + suffix]  # a long word: few lexemes start with it
    # The joins it starts, split after their first part wherever that part may end.
    found += (
        _quoted(f"{lexeme[:split]}{JOIN_MARK}{lexeme[split:]}") + suffix
        for split in range(1, len(lexeme))
    )
    return found[0] if len(found) == 1 else "(" + " | ".join(found) + ")"


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
