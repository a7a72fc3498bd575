"""Highlights: HTML-safe fragments of the title and content with the matches marked."""

from swiftpaste.application.search.highlight import FRAGMENT_CHARS, SCAN_CHARS, Highlighter
from swiftpaste.application.search.query import parse_query


def fragments(query: str, title: str, content: str) -> tuple[str, ...]:
    return Highlighter(parse_query(query)).fragments(title, content)


def test_the_title_comes_first_then_matching_lines() -> None:
    found = fragments(
        "fib",
        "Fibonacci, fast",
        "import math\n\ndef fib(n):\n    pass\n# see fib_memo\n",
    )
    assert found == (
        "<mark>Fibonacci</mark>, fast",
        "def <mark>fib</mark>(n):",
        "# see <mark>fib</mark>_memo",
    )


def test_an_identifier_query_marks_the_parts_it_matched() -> None:
    found = fragments("get_user", "x", "user = self.get_user_by_id(42)\nother = getUserName()\n")
    assert found == (
        "user = self.<mark>get_user</mark>_by_id(42)",
        "other = <mark>getUser</mark>Name()",
    )


def test_phrases_mark_the_whole_phrase_and_short_words_only_whole_parts() -> None:
    assert fragments('"def main"', "t", "def main():\n    id = idle(ID)\n") == (
        "<mark>def main</mark>():",
    )
    assert fragments("id", "t", "id = idle(ID)\n") == ("<mark>id</mark> = idle(<mark>ID</mark>)",)


def test_exclusions_are_not_marked() -> None:
    assert fragments("fib -memo", "t", "fib memo\n") == ("<mark>fib</mark> memo",)


def test_text_is_html_escaped_and_only_the_marks_are_markup() -> None:
    found = fragments("script", "<b>title</b>", "<script>alert('x')</script> & more\n")
    assert found == (
        "&lt;<mark>script</mark>&gt;alert(&#x27;x&#x27;)&lt;/<mark>script</mark>&gt; &amp; more",
    )


def test_long_lines_are_cut_around_the_match() -> None:
    line = "x" * 500 + " needle " + "y" * 500
    (found,) = fragments("needle", "t", line)
    assert found.startswith("…")
    assert found.endswith("…")
    assert "<mark>needle</mark>" in found
    assert len(found) <= FRAGMENT_CHARS + len("<mark></mark>") + 2


def test_at_most_three_fragments_and_nothing_past_the_scanned_head() -> None:
    content = "\n".join(f"line {n} fib" for n in range(10))
    assert len(fragments("fib", "fib", content)) == 3
    assert fragments("needle", "t", "a\n" * (SCAN_CHARS // 2) + "needle\n") == ()


def test_no_match_no_fragment() -> None:
    assert fragments("absent", "title", "content\n") == ()
