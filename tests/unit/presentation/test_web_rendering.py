"""The pages' rendering without I/O: search highlights, slots, language names."""

from dataclasses import replace

from swiftpaste.application.ports.snippets import Rendered, Representation
from swiftpaste.application.snippets.read_models import Author, SnippetDetails
from swiftpaste.domain.snippets import Snippet
from swiftpaste.presentation.web.browse import marked
from swiftpaste.presentation.web.highlighting import file_extension, highlight_code
from swiftpaste.presentation.web.snippet_pages import (
    OWNER_SLOT,
    VIEWS_SLOT,
    SnippetPageRenderer,
    fill_slots,
    split_page,
)
from swiftpaste.presentation.web.templating import PageTemplates, StaticAssets
from tests.unit.fakes import a_snippet, an_anonymous_snippet


def test_a_highlight_keeps_only_its_marks() -> None:
    fragment = "&lt;b&gt;<mark>fib</mark>&amp; <img src=x> <mark>unclosed"
    assert str(marked(fragment)) == (
        "&lt;b&gt;<mark>fib</mark>&amp; &lt;img src=x&gt; <mark>unclosed</mark>"
    )


def render_page(snippet: Snippet, author: Author | None) -> Rendered:
    renderer = SnippetPageRenderer(PageTemplates(StaticAssets()), "https://paste.example/")
    return renderer.render(SnippetDetails(snippet, author), snippet.version(1), Representation.PAGE)


def test_the_page_bytes_carry_the_facts_and_leave_the_reader_parts_as_slots() -> None:
    snippet = a_snippet(title="<t>", content=f"{OWNER_SLOT}\n{VIEWS_SLOT}\n", language="python")
    assert snippet.owner_id is not None
    rendered = render_page(snippet, Author(snippet.owner_id, "ada"))
    facts, html = split_page(rendered.body(1234))
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
    # The view count goes where the template shows it, not into the content.
    assert b"views: 1234<" in filled
    assert filled.count(b"views: ") == 1


def test_an_anonymous_snippet_has_no_owner_and_a_guarded_one_is_not_shared_as_is() -> None:
    anonymous = an_anonymous_snippet()
    facts, html = split_page(render_page(anonymous, None).body(0))
    assert (facts.owner_id, facts.public) == (None, True)
    assert b"by <strong>anonymous</strong>" in html
    guarded = a_snippet()
    guarded.versions[1] = replace(guarded.version(1), max_views=3)
    assert guarded.owner_id is not None
    facts, html = split_page(render_page(guarded, Author(guarded.owner_id, "ada")).body(0))
    assert facts.public is False
    assert b"3 views left" in html


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
