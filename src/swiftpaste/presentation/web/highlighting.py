"""Highlighting with Pygments: code and diffs as HTML with linkable line numbers, and the
stylesheet of both colour schemes."""

from dataclasses import dataclass

from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.lexers.diff import DiffLexer
from pygments.lexers.special import TextLexer
from pygments.util import ClassNotFound

LIGHT_STYLE = "default"
DARK_STYLE = "github-dark"
HIGHLIGHT_MAX_CHARS = 256 * 1024
"""Longer content is shown as plain text: highlighting it would take seconds."""
_OPTIONS = {"stripnl": False, "ensurenl": True}  # line numbers must match the content's


@dataclass(frozen=True, slots=True)
class Highlighted:
    html: Markup
    """A table: line numbers linking to `#{prefix}-N`, and the code, each line a
    `<span id="{prefix}-N">` (so `:target` can mark it)."""
    language_label: str | None
    """Pygments' name of the language (`Python`), None when it is not one it knows."""


def lexer_for(language: str | None) -> Lexer | None:
    if not language:
        return None
    try:
        lexer: Lexer = get_lexer_by_name(language, **_OPTIONS)
    except ClassNotFound:
        return None
    return lexer


def highlight_code(content: str, language: str | None, prefix: str = "L") -> Highlighted:
    lexer = lexer_for(language)
    label = lexer.name if lexer is not None else None
    if lexer is None or len(content) > HIGHLIGHT_MAX_CHARS:
        lexer = TextLexer(**_OPTIONS)
    return Highlighted(_numbered(content, lexer, prefix), label)


def highlight_diff(unified: str) -> Markup:
    return _numbered(unified, DiffLexer(**_OPTIONS), "D")


def file_extension(language: str | None) -> str:
    """The usual extension of the language's files (`.py`), `.txt` when unknown."""
    lexer = lexer_for(language)
    for pattern in lexer.filenames if lexer is not None else ():
        extension = pattern.removeprefix("*")
        if extension.startswith(".") and extension[1:].isalnum():
            return extension
    return ".txt"


def stylesheet() -> str:
    """Token colours: the light style, and the dark one when the reader prefers it."""
    light, dark = _rules(LIGHT_STYLE), _rules(DARK_STYLE)
    return "\n".join([*light, "@media (prefers-color-scheme: dark) {", *dark, "}", ""])


def _rules(style: str) -> list[str]:
    # Only the rules of `.highlight`: the ones for Pygments' own line numbers and for
    # every `pre` of the page are not wanted.
    scope = ".highlight"
    defs: str = HtmlFormatter(style=style).get_style_defs(scope)  # type: ignore[no-untyped-call]
    return [rule for rule in defs.splitlines() if rule.startswith(scope)]


def _numbered(content: str, lexer: Lexer, prefix: str) -> Markup:
    formatter = HtmlFormatter(linespans=prefix, wrapcode=True)
    # Pygments escapes every character of the content it writes.
    code = highlight(content, lexer, formatter)
    count = content.count("\n") + (0 if content.endswith("\n") or not content else 1)
    numbers = "\n".join(
        f'<a href="#{prefix}-{n}" aria-label="line {n}">{n}</a>' for n in range(1, count + 1)
    )
    # Pygments escaped the code; the prefix is ours and the numbers are integers.
    return Markup(  # noqa: S704
        f'<table class="lines"><tr><td class="numbers"><pre>{numbers}</pre>'
        f'</td><td class="source">{code}</td></tr></table>'
    )
