"""Filters, pages, the route itself, and input that must never cause a 500."""

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import Account
from tests.search.conftest import SEARCH, SearchClient, unique_word


@pytest.fixture(scope="module")
async def owners(search: SearchClient) -> tuple[Account, Account]:
    return await search.account(), await search.account()


async def test_filters_by_author_language_and_creation_time(
    search: SearchClient, owners: tuple[Account, Account]
) -> None:
    ada, bob = owners
    tag = unique_word("l")
    ada_py = await search.create(ada, f"{tag} one", "x = 1", language="python")
    ada_go = await search.create(ada, f"{tag} two", "x := 1", language="go")
    bob_py = await search.create(bob, f"{tag} three", "x = 3", language="Python")
    await search.until_total(tag, 3)

    assert set(await search.short_ids(tag, author=ada.username.upper())) == {
        ada_py["short_id"],
        ada_go["short_id"],
    }
    assert set(await search.short_ids(tag, language="PYTHON")) == {
        ada_py["short_id"],
        bob_py["short_id"],
    }
    assert await search.short_ids(tag, author=ada.username, language="go") == [ada_go["short_id"]]
    assert (await search.find(tag, author="nobody_at_all"))["total"] == 0

    now = datetime.now(UTC)
    past, future = (now - timedelta(hours=1)).isoformat(), (now + timedelta(hours=1)).isoformat()
    assert (await search.find(tag, created_after=past))["total"] == 3
    assert (await search.find(tag, created_before=future))["total"] == 3
    assert (await search.find(tag, created_after=future))["total"] == 0
    assert (await search.find(tag, created_before=past))["total"] == 0
    naive_past = (now - timedelta(hours=1)).replace(tzinfo=None).isoformat()
    assert (await search.find(tag, created_after=naive_past))["total"] == 3
    assert (await search.find(tag, created_after=now.date().isoformat()))["total"] == 3


async def test_pages_cover_every_match_once_in_order(
    search: SearchClient, owners: tuple[Account, Account]
) -> None:
    tag = unique_word("g")
    created = [(await search.create(owners[0], f"note {n}", f"{tag} {n}")) for n in range(5)]
    await search.until_total(tag, 5)
    newest_first = [snippet["short_id"] for snippet in reversed(created)]

    pages = [await search.find(tag, page=page, size=2) for page in (1, 2, 3)]
    assert [item["short_id"] for page in pages for item in page["items"]] == newest_first
    assert [(p["total"], p["page"], p["size"], p["pages"]) for p in pages] == [
        (5, 1, 2, 3),
        (5, 2, 2, 3),
        (5, 3, 2, 3),
    ]
    past_the_end = await search.find(tag, page=4, size=2)
    assert (past_the_end["items"], past_the_end["total"], past_the_end["pages"]) == ([], 5, 3)


async def test_an_item_has_the_documented_fields(
    search: SearchClient, owners: tuple[Account, Account]
) -> None:
    tag = unique_word("i")
    snippet = await search.create(owners[0], f"{tag} fields", "body", language="rust")
    (item,) = (await search.until_total(tag, 1))["items"]
    assert item == {
        "short_id": snippet["short_id"],
        "title": f"{tag} fields",
        "author": {"id": owners[0].id, "username": owners[0].username},
        "language": "rust",
        "latest_version": 1,
        "views": 0,
        "created_at": snippet["created_at"],
        "score": 1.0,
        "highlights": [f"<mark>{tag}</mark> fields"],
    }


async def test_the_route_is_not_taken_for_a_short_id(search: SearchClient) -> None:
    response = await search.http.get(SEARCH)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


UNUSABLE = ["", "   ", "&|!():*", "🎉", '""', "-fib", "-a -b", "x" * 257]


@pytest.mark.parametrize("query", UNUSABLE)
async def test_unusable_queries_get_the_422_envelope(search: SearchClient, query: str) -> None:
    response = await search.get(query)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_query"
    assert error["message"]
    assert response.headers["X-Request-Id"] == error["requestId"]


BAD_PARAMETERS: list[dict[str, Any]] = [
    {"size": 0},
    {"size": 101},
    {"page": 0},
    {"page": 10_001},
    {"page": 600, "size": 20},
    {"created_after": "yesterday"},
    {"created_before": "2026-13-45"},
    {"created_after": "2026-02-01T00:00:00Z", "created_before": "2026-01-01T00:00:00Z"},
    {"author": "no spaces allowed"},
    {"author": "nul\x00byte"},
    {"language": "py\x00thon"},
    {"language": "x" * 40},
]


@pytest.mark.parametrize("parameters", BAD_PARAMETERS)
async def test_bad_parameters_get_a_422(search: SearchClient, parameters: dict[str, Any]) -> None:
    response = await search.get("fib", **parameters)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] in {"invalid_query", "validation_error"}


HOSTILE = [
    "fib & memo",
    "fib | memo",
    "!fib",
    "fib:*",
    "'fib'",
    "fib' OR '1'='1",
    "(((fib",
    "fib))) <-> memo",
    '"unclosed phrase',
    "\\",
    "\\'",
    "a\x00b",
    "😀 fib 😀",
    "漢字 кириллица ελληνικά",
    "or or or",
    "- - -",
    "-",
    "--fib",
    "fib -",
    "a" * 256,
    " ".join(["a"] * 40),
    "x" * 100,
    "%00%27",
    "<script>alert(1)</script>",
    "fib\u200bmemo",
]


@pytest.mark.parametrize("query", HOSTILE)
async def test_hostile_queries_never_fail(search: SearchClient, query: str) -> None:
    response = await search.get(query)
    assert response.status_code in {200, 422}, response.text
    assert "error" in response.json() if response.status_code == 422 else "items" in response.json()


@pytest.mark.parametrize(
    "raw", ["fib%FF", "fib%ED%A0%80", "%", "fib%2", "%00%00", "fib&query=memo"]
)
async def test_undecodable_or_odd_query_strings_never_fail(search: SearchClient, raw: str) -> None:
    response = await search.http.get(f"{SEARCH}?query={raw}")
    assert response.status_code in {200, 422}, response.text


async def test_random_queries_never_fail(search: SearchClient) -> None:
    rng = random.Random(1234)
    alphabet = "abcxyz019 _-.:/\\\"'()&|!*<>@#%^~`[]{};,?+=“”é漢🎉\x00\t\n"
    for _ in range(300):
        query = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        response = await search.get(query)
        assert response.status_code in {200, 422}, (query, response.text)
