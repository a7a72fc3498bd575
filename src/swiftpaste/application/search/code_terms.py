"""How text becomes search terms: one code-aware tokenizer for documents and queries alike.

Code is not English, and PostgreSQL's own text-search parser reads it unpredictably
(`os.path.join` is one "host" word, `get_user_by_id` four words, `parseJson` one). So
search never lets PostgreSQL cut text: documents are cut here, with the very rules the
query parser uses, and handed to the database as ready-made lexemes with positions.

**Chains.** A chain is a run of identifier characters (letters, digits, `_`), possibly
linked by `.`, `/`, `\\`, `-`, `::` or `->` with no space between: `get_user_by_id`,
`os.path.join`, `src/app/main.py`, `std::vector`, `obj->next`, `kebab-case`. Everything
else (spaces, quotes, operators, emoji) only separates chains.

**Parts.** A chain is cut into lower-case parts at every `_` and link, and at camelCase
boundaries: `getUserById` → get, user, by, id; `HTTPServer` → http, server;
`base64Encode` → base64, encode (digits stay with the letters before them: `utf8`,
`sha256`). Each part is a lexeme, at consecutive positions, so phrases can be matched.

**Joins.** For a chain of several parts, every suffix of the chain is also a lexeme, its
parts glued together, at the position of its first part: `self.get_user_by_id` adds
`selfgetuserbyid`, `getuserbyid`, `userbyid`, `byid`. A query word is cut the same way
and looked up glued (as a prefix), so `get_user`, `getUser`, `GetUser` and `get.user`
all find `get_user_by_id`, and `parseJson` finds `parse_json` (separator style and case
do not matter), with one index lookup and no phrase check.

Lexemes are cut to `MAX_LEXEME_LENGTH` characters (a prefix match on a cut lexeme is
still a prefix match), positions stop growing at PostgreSQL's 16383, a lexeme keeps at
most 256 positions, and a document stops taking *new* lexemes past `MAX_LEXEME_BYTES`, so
no content can overflow a tsvector (1 MiB of lexemes).
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

    `positions` maps each lexeme to its positions in order; `fields` lists where each
    field starts and its weight (the letters PostgreSQL uses: `A` titles, `B` content).
    """

    positions: dict[str, list[int]] = field(default_factory=dict)
    fields: list[tuple[int, str]] = field(default_factory=list)
    next_position: int = 1
    lexeme_bytes: int = 0

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
                # Joins: every suffix of the chain glued, at its first part's position.
                suffix = parts[-1]
                for offset in range(len(parts) - 2, -1, -1):
                    suffix = (parts[offset] + suffix)[:MAX_LEXEME_LENGTH]
                    self._add(suffix, position + offset)
            position += len(parts)
        self.next_position = position

    def _add(self, lexeme: str, position: int) -> None:
        position = min(position, MAX_POSITION)
        entry = self.positions.get(lexeme)
        if entry is None:
            size = len(lexeme) if lexeme.isascii() else len(lexeme.encode())
            if self.lexeme_bytes + size <= MAX_LEXEME_BYTES:
                self.lexeme_bytes += size
                self.positions[lexeme] = [position]
        elif len(entry) < MAX_POSITIONS_PER_LEXEME:
            entry.append(position)


@dataclass(frozen=True, slots=True)
class IndexedText:
    """What the index stores of one document: the title's terms, and title plus content."""

    title: DocumentTerms
    everything: DocumentTerms


TITLE_WEIGHT = "A"
CONTENT_WEIGHT = "B"


def index_terms(title: str, content: str) -> IndexedText:
    """The terms of a document: the title (weight A), then the content (weight B)."""
    title_terms = DocumentTerms()
    title_terms.add_text(title, TITLE_WEIGHT)
    everything = DocumentTerms()
    everything.add_text(title, TITLE_WEIGHT)
    everything.add_text(content, CONTENT_WEIGHT)
    return IndexedText(title=title_terms, everything=everything)
