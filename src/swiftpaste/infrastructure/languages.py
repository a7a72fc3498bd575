"""PygmentsLanguageDetector: a snippet's language from its file name, else from its content.

The name is Pygments' first alias for the lexer (`python`, `rust`, `go`), which is also
what the pages highlight by. A guess from the content counts only when Pygments scores
it at `CONFIDENT_SCORE` or more (a shebang, a doctype, a diff header); anything less is
too often wrong to be worth storing.
"""

from pygments.lexer import Lexer
from pygments.lexers import get_lexer_for_filename, guess_lexer
from pygments.lexers.special import TextLexer
from pygments.util import ClassNotFound

from swiftpaste.domain.snippets import LANGUAGE_MAX_LENGTH

CONFIDENT_SCORE = 0.5
GUESS_CHARS = 10_000
"""Only the start of the content is looked at: guessing runs every lexer's heuristics."""


def _name(lexer: Lexer) -> str | None:
    if isinstance(lexer, TextLexer) or not lexer.aliases:
        return None
    alias: str = lexer.aliases[0]
    return alias if len(alias) <= LANGUAGE_MAX_LENGTH else None


class PygmentsLanguageDetector:
    def detect(self, content: str, filename: str | None) -> str | None:
        if filename:
            try:
                return _name(get_lexer_for_filename(filename, code=content[:GUESS_CHARS]))
            except ClassNotFound:
                pass
        sample = content[:GUESS_CHARS]
        try:
            lexer = guess_lexer(sample)
        except ClassNotFound:
            return None
        if type(lexer).analyse_text(sample) < CONFIDENT_SCORE:
            return None
        return _name(lexer)
