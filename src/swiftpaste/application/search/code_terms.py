"""How text becomes search terms: one code-aware tokenizer for documents and queries alike.

Text is cut into chains, parts and joins (`getUserById` -> get, user, by, id, and the
glued tails `getuserbyid`, `userbyid`, `byid`), never by PostgreSQL's own parser, and
written in two forms: the title's, and the keyed form the GIN index serves. The rules,
and why: docs/adr/0004-search-in-postgresql.md, "The terms".
"""

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

MAX_LEXEME_LENGTH = 64
"""Longer parts and joins are cut to this many characters."""
MAX_POSITION = 16383
"""PostgreSQL's largest tsvector position; later words share it."""
MAX_POSITIONS_PER_LEXEME = 256
"""PostgreSQL keeps at most this many positions of one lexeme."""
MAX_LEXEME_BYTES = 900_000
"""Distinct lexemes of one document, in UTF-8 bytes (PostgreSQL's limit is 1 MiB)."""
MIN_PREFIX_LENGTH = 3
"""Shorter query words match only whole parts; longer ones also as prefixes."""
MAX_MARKED_PREFIX = 16
"""Part prefixes are marked up to this length; a longer query word is looked up as a
prefix of the lexemes themselves (few lexemes start with so long a word)."""
PREFIX_MARK = ">"
JOIN_MARK = "|"
"""Neither is a letter or digit: no part, and no word of a query, holds one."""

CHAIN = re.compile(r"\w+(?:(?:::|->|[./\\-])\w+)*")
"""Identifier runs linked by `.`, `/`, `\\`, `-`, `::` or `->`."""
_WORD = re.compile(r"[^\W_]+")
"""Letters and digits: the runs a chain is cut into before camelCase splitting."""


def normalize(text: str) -> str:
    """NFKC: full-width letters, ligatures and composed accents read as their plain forms."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def _camel_bounds(run: str) -> Iterator[tuple[int, int]]:
    """Where a letters-and-digits run splits at camelCase: `(start, end)` of each piece."""
    if run.islower() or run.isupper() or len(run) == 1:
        yield 0, len(run)
        return
    start = 0
    last = len(run) - 1
    for index in range(1, len(run)):
        char = run[index]
        if not char.isupper():
            continue
        before = run[index - 1]
        if before.islower() or before.isdigit():
            pass  # fooBar, base64Encode
        elif before.isupper() and index < last and run[index + 1].islower():
            pass  # HTTPServer: the last capital starts the next word
        else:
            continue
        yield start, index
        start = index
    yield start, len(run)


def chain_parts(chain: str) -> list[str]:
    """The lower-case parts of one chain, in order (`getUser_ID` → get, user, id)."""
    parts: list[str] = []
    for run in _WORD.findall(chain):
        if run.islower() or run.isupper() or len(run) == 1:
            parts.append(run.lower())
        else:
            parts.extend(run[start:end].lower() for start, end in _camel_bounds(run))
    return parts


def chain_part_spans(chain: str) -> list[tuple[str, int, int]]:
    """Like `chain_parts`, with each part's `(start, end)` within the chain (for highlights)."""
    spans: list[tuple[str, int, int]] = []
    for match in _WORD.finditer(chain):
        run, offset = match.group(), match.start()
        spans.extend(
            (run[start:end].lower(), offset + start, offset + end)
            for start, end in _camel_bounds(run)
        )
    return spans


def text_parts(text: str) -> list[list[str]]:
    """The parts of every chain of `text`, chain by chain."""
    return [parts for parts in map(chain_parts, CHAIN.findall(normalize(text))) if parts]


def joined(parts: list[str]) -> str:
    """Parts glued together and cut to the lexeme length: the form joins are stored in."""
    return "".join(parts)[:MAX_LEXEME_LENGTH]


@dataclass(slots=True)
class DocumentTerms:
    """Lexemes with their positions, collected field by field.

    `positions` maps each positioned lexeme to its positions in order; `fields` lists
    where each field starts and its weight (the letters PostgreSQL uses: `A` titles, `B`
    content). In the `keyed` form (the search vector's) joins and part prefixes go to
    `keys`, without positions; otherwise joins are positioned, glued.
    """

    positions: dict[str, list[int]] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)
    fields: list[tuple[int, str]] = field(default_factory=list)
    next_position: int = 1
    lexeme_bytes: int = 0
    keyed: bool = False

    def weight_at(self, position: int) -> str:
        weight = "D"
        for start, field_weight in self.fields:
            if position < start:
                break
            weight = field_weight
        return weight

    def add_text(self, text: str, weight: str) -> None:
        """Every chain of `text`, after what was added before (a one-position gap between
        fields keeps a phrase from running from the title into the content)."""
        if self.next_position > 1:
            self.next_position += 1
        position = self.next_position
        self.fields.append((position, weight))
        for chain in CHAIN.findall(normalize(text)):
            if chain.isalnum() and chain.islower():  # the common case: one plain word
                self._add(chain[:MAX_LEXEME_LENGTH], position)
                position += 1
                continue
            parts = chain_parts(chain)
            for offset, part in enumerate(parts):
                self._add(part[:MAX_LEXEME_LENGTH], position + offset)
            if len(parts) > 1:
                self._add_joins(parts, position)
            position += len(parts)
        self.next_position = position

    def _add_joins(self, parts: list[str], position: int) -> None:
        """Every suffix of the chain glued: at its first part's position, or keyed."""
        rest = parts[-1]
        for offset in range(len(parts) - 2, -1, -1):
            part = parts[offset]
            if not self.keyed:
                self._add((part + rest)[:MAX_LEXEME_LENGTH], position + offset)
            elif len(part) < MAX_LEXEME_LENGTH:  # else the part alone fills the join
                self._add_key(f"{part}{JOIN_MARK}{rest}"[: MAX_LEXEME_LENGTH + 1])
            rest = (part + rest)[:MAX_LEXEME_LENGTH]

    def _add(self, lexeme: str, position: int) -> None:
        position = min(position, MAX_POSITION)
        entry = self.positions.get(lexeme)
        if entry is None:
            size = len(lexeme) if lexeme.isascii() else len(lexeme.encode())
            if self.lexeme_bytes + size <= MAX_LEXEME_BYTES:
                self.lexeme_bytes += size
                self.positions[lexeme] = [position]
                if self.keyed:  # a new part: its prefixes
                    for end in range(MIN_PREFIX_LENGTH, min(len(lexeme), MAX_MARKED_PREFIX) + 1):
                        self._add_key(PREFIX_MARK + lexeme[:end])
        elif len(entry) < MAX_POSITIONS_PER_LEXEME:
            entry.append(position)

    def _add_key(self, key: str) -> None:
        if key not in self.keys:
            size = len(key) if key.isascii() else len(key.encode())
            if self.lexeme_bytes + size <= MAX_LEXEME_BYTES:
                self.lexeme_bytes += size
                self.keys.add(key)


@dataclass(frozen=True, slots=True)
class IndexedText:
    """What the index stores of one document: the title's terms, and title plus content."""

    title: DocumentTerms
    everything: DocumentTerms


TITLE_WEIGHT = "A"
CONTENT_WEIGHT = "B"


def index_terms(title: str, content: str) -> IndexedText:
    """The terms of a document: the title (weight A), then the content (weight B); the
    title alone in the plain form, both in the keyed form the search vector takes."""
    title_terms = DocumentTerms()
    title_terms.add_text(title, TITLE_WEIGHT)
    everything = DocumentTerms(keyed=True)
    everything.add_text(title, TITLE_WEIGHT)
    everything.add_text(content, CONTENT_WEIGHT)
    return IndexedText(title=title_terms, everything=everything)
