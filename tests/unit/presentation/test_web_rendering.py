"""The pages' rendering without I/O: search highlights, slots, language names."""

from swiftpaste.application.ports.snippets import Representation
from swiftpaste.application.snippets.read_models import Author, SnippetDetails
from swiftpaste.presentation.web.browse import marked
from swiftpaste.presentation.web.highlighting import file_extension, highlight_code
from swiftpaste.presentation.web.snippet_pages import (
    OWNER_SLOT,
    SnippetPageRenderer,
    fill_slots,
    split_page,
)
from swiftpaste.presentation.web.templating import PageTemplates, StaticAssets
from tests.unit.fakes import a_snippet


def test_a_highlight_keeps_only_its_marks() -> None:
    fragment = "&lt;b&gt;<mark>fib</mark>&amp; <img src=x> <mark>unclosed"
    assert str(marked(fragment)) == (
        "&lt;b&gt;<mark>fib</mark>&amp; &lt;img src=x&gt; <mark>unclosed</mark>"
    )


def test_the_page_bytes_carry_the_facts_and_leave_the_reader_parts_as_slots() -> None:
    snippet = a_snippet(title="<t>", content=f"{OWNER_SLOT}\n", language="python")
    renderer = SnippetPageRenderer(PageTemplates(StaticAssets()), "https://paste.example/")
    body = renderer.render(
        SnippetDetails(snippet, Author(snippet.owner_id, "ada")),
        snippet.version(1),
        Representation.PAGE,
    )
    facts, html = split_page(body)
    assert (facts.snippet_id, facts.owner_id, facts.version, facts.public) == (
        snippet.id,
        snippet.owner_id,
        1,
        True,
    )
    # The slot inside the content is text; the page's own slot is filled.
    filled = fill_slots(html, session="S", owner="<b>controls</b>", token="")
    assert filled.count(b"<b>controls</b>") == 1
    assert b"<!--swiftpaste" not in filled
    assert b"<h1>&lt;t&gt;</h1>" in filled
    assert b'src="https://paste.example/' + snippet.short_id.encode() + b'/embed?v=1"' in filled


def test_an_unknown_or_hostile_language_is_plain_text() -> None:
    shown = highlight_code("a < b\n", '"><script>')
    assert shown.language_label is None
    assert "&lt;" in shown.html
    assert "<script>" not in shown.html
    assert file_extension('"><script>') == ".txt"
    assert file_extension("python") == ".py"


def test_line_numbers_match_the_lines_blank_ends_included() -> None:
    shown = highlight_code("\n\nx\n\n", "python")
    assert 'href="#L-4"' in shown.html
    assert 'href="#L-5"' not in shown.html
    assert '<span id="L-1">' in shown.html
