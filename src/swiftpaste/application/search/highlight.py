"""Highlights: short HTML-safe fragments of a hit's title and content, matches in `<mark>`.

Matches are found by the tokenizer the index uses (`code_terms`), so what is marked is
what made the snippet match; only the start of the content is scanned, so the cost stays
small whatever the content.
"""

import html
import re
from collections.abc import Iterator

from swiftpaste.application.search.code_terms import (
    CHAIN,
    MAX_LEXEME_LENGTH,
    chain_part_spans,
    normalize,
)
from swiftpaste.application.search.query import Match, Phrase, SearchQuery, Word

MARK_START = "<mark>"
MARK_END = "</mark>"
MAX_FRAGMENTS = 3
FRAGMENT_CHARS = 160
SCAN_CHARS = 10_000
_LEAD_CHARS = 40
"""Context kept before the first match of a cut fragment."""
_LONG_LINE = 1000
"""Lines longer than this are tokenized only around the candidate."""
_KNOWN_TEXTS = 4096
"""Distinct chains and titles whose spans one highlighter keeps."""

Span = tuple[int, int]
_Token = tuple[str, int, int, int]
"""A part: lexeme, start, end (in the text), and which chain it belongs to."""


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    for index, chain in enumerate(CHAIN.finditer(text)):
        offset = chain.start()
        tokens.extend(
            (normalize(lexeme)[:MAX_LEXEME_LENGTH], offset + start, offset + end, index)
            for lexeme, start, end in chain_part_spans(chain.group())
        )
    return tokens


def _word_end(tokens: list[_Token], at: int, word: Word) -> int | None:
    """Where a match of `word` starting at part `at` ends: the part itself, or the parts
    whose join it is (`getuser` at `get` in `get_user_by_id` ends after `user`)."""
    chain = tokens[at][3]
    glued = ""
    for index in range(at, len(tokens)):
        lexeme, _, end, part_chain = tokens[index]
        if part_chain != chain:
            return None
        glued += lexeme
        if word.prefix and len(glued) >= len(word.lexeme):
            return end if glued.startswith(word.lexeme) else None
        if not word.prefix:
            last = index + 1 == len(tokens) or tokens[index + 1][3] != chain
            if glued == word.lexeme and (index == at or last):
                return end
            if len(glued) >= len(word.lexeme):
                return None
    return None


def _phrase_end(tokens: list[_Token], at: int, phrase: Phrase) -> int | None:
    count = len(phrase.lexemes)
    if at + count > len(tokens):
        return None
    for offset, lexeme in enumerate(phrase.lexemes):
        if tokens[at + offset][0] != lexeme:
            return None
    return tokens[at + count - 1][2]


def _merged(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _render(text: str, start: int, end: int, spans: list[Span], cut: tuple[bool, bool]) -> str:
    """`text[start:end]` escaped, the spans in it marked, `…` on each side that is `cut`."""
    window = text[start:end]
    if window.isspace():
        start = end
    else:
        start += len(window) - len(window.lstrip())
        end -= len(window) - len(window.rstrip())
    pieces = ["…" if cut[0] else ""]
    cursor = start
    for first, last in spans:  # sorted and apart (`_merged`)
        if last <= start:
            continue
        if first >= end:
            break
        span_start, span_end = max(first, start), min(last, end)
        pieces += [
            html.escape(text[cursor:span_start]),
            MARK_START,
            html.escape(text[span_start:span_end]),
            MARK_END,
        ]
        cursor = span_end
    pieces += [html.escape(text[cursor:end]), "…" if cut[1] else ""]
    return "".join(pieces)


def _fragment(
    text: str, start: int, end: int, spans: list[Span], cut: tuple[bool, bool] = (False, False)
) -> str:
    """The fragment of `text[start:end]` (a title, a line) around its first span."""
    left, right = start, end
    if end - start > FRAGMENT_CHARS:
        first_start, first_end = spans[0]
        left = max(start, min(first_start - _LEAD_CHARS, end - FRAGMENT_CHARS))
        right = min(end, max(left + FRAGMENT_CHARS, first_end))
    return _render(text, left, right, spans, (cut[0] or left > start, cut[1] or right < end))


class Highlighter:
    """Marks the positive matches of one query (exclusions are never marked).

    One highlighter serves one search: the spans of each distinct chain or title it
    tokenized are kept, as the same identifiers and lines come back hit after hit.
    """

    def __init__(self, query: SearchQuery) -> None:
        matches = query.positives
        self._words = [match for match in matches if isinstance(match, Word)]
        self._phrases = [match for match in matches if isinstance(match, Phrase)]
        needles = "|".join(sorted({_needle(match) for match in matches}, key=len, reverse=True))
        # Case-insensitive matching keeps the regex engine from skipping ahead to a first
        # letter: ASCII text (nearly all code) is searched lower-cased instead, ~4x faster.
        self._lower_candidates = re.compile(needles)
        self._candidates = re.compile(needles, re.IGNORECASE)
        self._known: dict[str, list[Span]] = {}

    def _candidates_in(self, text: str) -> Iterator[re.Match[str]]:
        if text.isascii():
            return self._lower_candidates.finditer(text.lower())
        return self._candidates.finditer(text)

    def spans(self, text: str, offset: int = 0) -> list[Span]:
        """Every match in `text`, as merged `(start, end)` spans (shifted by `offset`)."""
        spans = self._known.get(text)
        if spans is None:
            spans = self._spans(text)
            if len(self._known) < _KNOWN_TEXTS:
                self._known[text] = spans
        return [(start + offset, end + offset) for start, end in spans] if offset else spans

    def _spans(self, text: str) -> list[Span]:
        tokens = _tokens(text)
        spans: list[Span] = []
        for at in range(len(tokens)):
            for word in self._words:
                end = _word_end(tokens, at, word)
                if end is not None:
                    spans.append((tokens[at][1], end))
            for phrase in self._phrases:
                end = _phrase_end(tokens, at, phrase)
                if end is not None:
                    spans.append((tokens[at][1], end))
        return _merged(spans)

    def _title_spans(self, title: str) -> list[Span]:
        """`spans(title)`. A word never matches across chains, so without phrases the
        title is taken chain by chain, and a chain seen in an earlier hit costs nothing."""
        if self._phrases:
            return self.spans(title)
        spans: list[Span] = []
        for chain in CHAIN.finditer(title):
            spans += self.spans(chain.group(), chain.start())
        return _merged(spans)

    def _content_lines(self, content: str) -> Iterator[tuple[int, int, list[Span], bool]]:
        """Lines of the content that hold a match: start, end, spans, whether cut.

        Only the chain a candidate stands in is tokenized (and, for phrases, the rest of
        its line). A line longer than `_LONG_LINE` is only looked at around the candidate.
        """
        start = end = 0
        cut = False
        spans: list[Span] = []
        for candidate in self._candidates_in(content):
            position = candidate.start()
            if position >= end:
                if spans:
                    yield start, end, _merged(spans), cut
                    spans = []
                start = content.rfind("\n", 0, position) + 1
                end = content.find("\n", position)
                end = len(content) if end < 0 else end
                cut = end - start > _LONG_LINE
                if cut:
                    start = max(start, position - _LONG_LINE // 2)
                    end = min(end, position + _LONG_LINE // 2)
            first = position
            while first > start and _in_chain(content[first - 1]):
                first -= 1
            chain = CHAIN.search(content, first, end)
            if chain is None:
                continue
            stop = end if self._phrases else chain.end()
            spans += self.spans(content[chain.start() : stop], chain.start())
        if spans:
            yield start, end, _merged(spans), cut

    def fragments(self, title: str, content: str) -> tuple[str, ...]:
        """The highlights of one hit: the title if it matches, then content lines."""
        found: list[str] = []
        title_spans = self._title_spans(title) if next(self._candidates_in(title), None) else []
        if title_spans:
            found.append(_fragment(title, 0, len(title), title_spans))
        head = content[:SCAN_CHARS]
        if len(found) < MAX_FRAGMENTS:
            for start, end, spans, cut in self._content_lines(head):
                clipped = end == len(head) < len(content)
                found.append(_fragment(head, start, end, spans, (cut, cut or clipped)))
                if len(found) >= MAX_FRAGMENTS:
                    break
        return tuple(found)


def _in_chain(char: str) -> bool:
    return char.isalnum() or char in "_./\\:->"


_SEPARATORS = r"[-_./\\:>]*"
"""What may stand between two letters of a glued lexeme in the text (`get_user`, `os.path`)."""


def _needle(match: Match) -> str:
    """A pattern every occurrence of the match starts with, whatever its separators and
    case: the lexeme's letters (`getuser` → g…e…t…u…s…e…r), or a phrase's first word."""
    lexeme = match.lexeme if isinstance(match, Word) else match.lexemes[0]
    return _SEPARATORS.join(map(re.escape, lexeme))
