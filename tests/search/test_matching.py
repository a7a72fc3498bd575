"""What matches: code identifiers and their parts, prefixes, phrases, `or`, exclusions."""

from typing import Any

import pytest

from tests.search.conftest import SearchClient, unique_word

# Each snippet's content, after the test's own tag word.
CONTENTS = {
    "fib": "def fibonacci(n): return n if n < 2 else fibonacci(n - 1) + fibonacci(n - 2)",
    "snake": "user = repo.get_user_by_id(42)",
    "camel": "const profile = await api.getUserProfile();",
    "json": "data = parse_json(raw)",
    "dotted": "import os.path\nos.path.join(base, name)",
    "path": "see src/app/main.py for the entry point",
    "acronym": "class HTTPServer(BaseServer): pass",
    "prose": "the worker is idle until monday",
}

# (query, the snippets it finds). `parseJson` finds `parse_json`: separators and case are
# ignored when an identifier is looked up glued.
CASES = [
    ("fib", {"fib"}),
    ("fibonacci", {"fib"}),
    ("get_user", {"snake", "camel"}),
    ("getUser", {"snake", "camel"}),
    ("getUserById", {"snake"}),
    ("user_by_id", {"snake"}),
    ("GetUserProfile", {"camel"}),
    ("get_user_profile", {"camel"}),
    ("user", {"snake", "camel"}),
    ("parseJson", {"json"}),
    ("parse_json", {"json"}),
    ("json", {"json"}),
    ("os.path", {"dotted"}),
    ("path.join", {"dotted"}),
    ("os.path.join", {"dotted"}),
    ("app/main", {"path"}),
    ("main.py", {"path"}),
    ("src/app/main.py", {"path"}),
    ("http_server", {"acronym"}),
    ("HttpServer", {"acronym"}),
    ("server", {"acronym"}),
    ("id", {"snake"}),  # two letters: whole parts only, so not `idle`
    ("idle", {"prose"}),
    ("wor", {"prose"}),
    ("fibonacci(n", {"fib"}),  # punctuation inside: a phrase of the parts
    ("nothing_like_this", set()),
]


@pytest.fixture(scope="module")
async def corpus(search: SearchClient) -> tuple[str, dict[str, str]]:
    owner = await search.account()
    tag = unique_word("m")
    short_ids = {}
    for name, content in CONTENTS.items():
        created = await search.create(owner, f"sample {name}", f"{tag} {content}")
        short_ids[created["short_id"]] = name
    await search.until_total(tag, len(CONTENTS))
    return tag, short_ids


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[case[0] for case in CASES])
async def test_identifier_forms(
    search: SearchClient, corpus: tuple[str, dict[str, str]], query: str, expected: set[str]
) -> None:
    tag, names = corpus
    found = await search.find(f"{tag} {query}")
    assert {names[item["short_id"]] for item in found["items"]} == expected
    assert found["total"] == len(expected)


async def test_highlights_mark_what_matched(
    search: SearchClient, corpus: tuple[str, dict[str, str]]
) -> None:
    tag, _ = corpus
    (item,) = (await search.find(f"{tag} get_user_by"))["items"]
    assert item["highlights"] == [f"<mark>{tag}</mark> user = repo.<mark>get_user_by</mark>_id(42)"]
    (item,) = (await search.find(f"{tag} HTTPServer"))["items"]
    assert item["highlights"] == [
        f"<mark>{tag}</mark> class <mark>HTTPServer</mark>(BaseServer): pass"
    ]


async def test_phrases_or_and_exclusions(search: SearchClient) -> None:
    owner = await search.account()
    tag = unique_word("p")
    names: dict[str, str] = {}

    async def add(name: str, content: str) -> None:
        created: dict[str, Any] = await search.create(owner, f"{tag} {name}", content)
        names[created["short_id"]] = name

    await add("main", "def main():\n    run()")
    await add("reversed", "main def")
    await add("helper", "def helper():\n    main()")
    await search.until_total(tag, 3)

    async def found(query: str) -> set[str]:
        return {names[short_id] for short_id in await search.short_ids(f"{tag} {query}")}

    assert await found('"def main"') == {"main"}
    assert await found('"main def"') == {"reversed"}
    assert await found('"def"') == {"main", "reversed", "helper"}
    assert await found("main -helper") == {"main", "reversed"}
    assert await found('def -"def main"') == {"reversed", "helper"}
    assert await found("helper or run") == {"main", "helper"}
    assert await found("helper OR run OR absentword") == {"main", "helper"}
    assert await found("reversed or helper main") == {"reversed", "helper"}
