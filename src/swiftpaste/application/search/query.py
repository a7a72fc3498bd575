"""The search box: what people type, parsed into a small, safe structure.

Words (all must match), "quoted phrases", `a or b`, `-excluded`; words are cut by the
rules documents are (`code_terms`). The parser never fails on odd input and refuses only
what cannot be searched (`InvalidQuery`). The syntax, as users see it: docs/api.md.
"""

from dataclasses import dataclass

from swiftpaste.application.errors import InvalidQuery
from swiftpaste.application.search.code_terms import (
    CHAIN,
    MAX_LEXEME_LENGTH,
    MIN_PREFIX_LENGTH,
    chain_parts,
    joined,
    normalize,
)

MAX_QUERY_LENGTH = 256
MAX_TERMS = 32
"""Words in a query, counting each word of a phrase."""

_QUOTES = frozenset('"“”„«»')
_OR = "or"


@dataclass(frozen=True, slots=True)
class Word:
    """One lexeme: a part or a glued identifier; a prefix unless `prefix` is False."""

    lexeme: str
    prefix: bool


@dataclass(frozen=True, slots=True)
class Phrase:
    """Two or more parts at consecutive positions, each matched exactly."""

    lexemes: tuple[str, ...]


Match = Word | Phrase


@dataclass(frozen=True, slots=True)
class AnyOf:
    """Two or more alternatives (`a or b`)."""

    options: tuple[Match, ...]


Clause = Match | AnyOf


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """Every `required` clause must match and no `excluded` one may."""

    required: tuple[Clause, ...]
    excluded: tuple[Match, ...] = ()

    @property
    def positives(self) -> tuple[Match, ...]:
        """Every match that can make a snippet found (what highlights mark)."""
        found: list[Match] = []
        for clause in self.required:
            found.extend(clause.options if isinstance(clause, AnyOf) else (clause,))
        return tuple(found)


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    quoted: bool
    negated: bool


def _tokens(text: str) -> list[_Token]:
    """Split the box into bare words and quoted phrases, each possibly negated by `-`."""
    tokens: list[_Token] = []
    index, end = 0, len(text)
    while index < end:
        char = text[index]
        if char.isspace():
            index += 1
            continue
        negated = char == "-" and index + 1 < end and not text[index + 1].isspace()
        if negated:
            index += 1
            char = text[index]
        if char in _QUOTES:
            close = index + 1
            while close < end and text[close] not in _QUOTES:
                close += 1
            tokens.append(_Token(text[index + 1 : close], quoted=True, negated=negated))
            index = close + 1
            continue
        stop = index
        while stop < end and not text[stop].isspace() and text[stop] not in _QUOTES:
            stop += 1
        tokens.append(_Token(text[index:stop], quoted=False, negated=negated))
        index = stop
    return tokens


def _match(token: _Token) -> Match | None:
    """The lexemes a token looks for; None when it holds no letter or digit."""
    chains = [parts for parts in map(chain_parts, CHAIN.findall(normalize(token.text))) if parts]
    if not chains:
        return None
    if token.quoted or len(chains) > 1:
        lexemes = tuple(part[:MAX_LEXEME_LENGTH] for parts in chains for part in parts)
        if len(lexemes) == 1:
            return Word(lexemes[0], prefix=False)
        return Phrase(lexemes)
    parts = chains[0]
    lexeme = joined(parts)
    whole = "".join(parts)
    return Word(lexeme, prefix=len(whole) >= MIN_PREFIX_LENGTH)


def _size(match: Match) -> int:
    return 1 if isinstance(match, Word) else len(match.lexemes)


def _close(group: list[Match], required: list[Clause]) -> None:
    """End an OR group: one match stands alone, several become AnyOf."""
    options = tuple(dict.fromkeys(group))
    if len(options) > 1:
        required.append(AnyOf(options))
    elif options:
        required.append(options[0])
    group.clear()


def _resolve_or(items: list[Match | str]) -> list[Match | None]:
    """An "or" between two matches is an operator (None); anywhere else, the word."""
    resolved: list[Match | None] = []
    for index, item in enumerate(items):
        if isinstance(item, str):
            after = items[index + 1] if index + 1 < len(items) else _OR
            if resolved and resolved[-1] is not None and not isinstance(after, str):
                resolved.append(None)
                continue
            resolved.append(Word(_OR, prefix=False))
        else:
            resolved.append(item)
    return resolved


def _clauses(resolved: list[Match | None]) -> tuple[Clause, ...]:
    """Matches joined by operators become AnyOf groups; the rest stand alone."""
    required: list[Clause] = []
    group: list[Match] = []
    for index, match in enumerate(resolved):
        if match is None:
            continue
        if not (index and resolved[index - 1] is None):
            _close(group, required)
        group.append(match)
    _close(group, required)
    return tuple(dict.fromkeys(required))


def _terms(required: tuple[Clause, ...], excluded: tuple[Match, ...]) -> int:
    options = (o for c in required for o in (c.options if isinstance(c, AnyOf) else (c,)))
    return sum(map(_size, options)) + sum(map(_size, excluded))


def parse_query(text: str) -> SearchQuery:
    """The query typed in the search box, or InvalidQuery saying what to change."""
    if not text.strip():
        raise InvalidQuery("query must not be empty")
    if len(text) > MAX_QUERY_LENGTH:
        raise InvalidQuery(f"query must be at most {MAX_QUERY_LENGTH} characters")
    items: list[Match | str] = []  # matches, and "or" where it may be an operator
    excluded: list[Match] = []
    for token in _tokens(text):
        if not token.quoted and not token.negated and token.text.lower() == _OR:
            items.append(_OR)
        elif (match := _match(token)) is not None:
            (excluded if token.negated else items).append(match)
    required = _clauses(_resolve_or(items))
    unique_excluded = tuple(dict.fromkeys(excluded))
    if not required:
        if unique_excluded:
            raise InvalidQuery("query must contain a word to look for, not only exclusions")
        raise InvalidQuery("query must contain letters or digits to look for")
    if _terms(required, unique_excluded) > MAX_TERMS:
        raise InvalidQuery(f"query must have at most {MAX_TERMS} words")
    return SearchQuery(required=required, excluded=unique_excluded)
