"""The search lane against real servers: it answers exactly as the route would.

Every comparison sends the same request to two apps built from the same settings, one with
the lane and one without it (the route alone, the reference), each request from an address
of its own so both see a fresh rate-limit bucket, and with the same X-Request-Id.
"""

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from swiftpaste.main.settings import Settings
from swiftpaste.presentation.http.fast_search import FastSearchLane, plain_search
from tests.e2e.conftest import Account
from tests.lanes import Pair, running
from tests.search.conftest import SEARCH, SearchClient, unique_word


@pytest.fixture(scope="module")
async def pair(search_settings: Settings, pipeline: None) -> AsyncIterator[Pair]:
    async with (
        running(search_settings, FastSearchLane) as lane,
        running(search_settings, FastSearchLane, lane=False) as route,
    ):
        yield Pair(lane, route)


@pytest.fixture(scope="module")
async def corpus(search: SearchClient) -> tuple[Account, str]:
    """An author with public and private snippets that share a word; the word."""
    owner = await search.account()
    tag = unique_word("lane")
    for n in range(3):
        await search.create(
            owner, f"{tag} get_user {n}", f"def get_user_by_id(n):\n    return {tag} + {n}\n"
        )
    await search.create(owner, f"private {tag}", f"{tag} secret", visibility="private")
    await search.create(owner, f"python {tag}", f"print({tag})", language="python")
    await search.until_total(tag, 4)
    await search.until_total(tag, 5, as_=owner)
    return owner, tag


def _assert_same(via_lane: httpx.Response, via_route: httpx.Response) -> None:
    assert via_lane.status_code == via_route.status_code, via_lane.text
    assert via_lane.content == via_route.content
    assert via_lane.headers.raw == via_route.headers.raw


def _url(**parameters: Any) -> str:
    return f"{SEARCH}?{urlencode(parameters)}"


ANSWERED = [
    {"query": "{tag}"},
    {"query": "{tag} get_user"},
    {"query": "getUser {tag}"},
    {"query": '"{tag} get" -nothing'},
    {"query": "{tag}", "page": 2, "size": 2},
    {"query": "{tag}", "size": 100},
    {"query": "{tag}", "page": 500, "size": 20},
    {"query": "{tag}", "language": "PYTHON"},
    {"query": "{tag}", "author": "{author}"},
    {"query": "{tag}", "author": "nobody_at_all"},
    {"query": "nothing{tag}"},
    # Refused by the use case: the route's 422, from its own handler.
    {"query": "&|!"},
    {"query": "x" * 257},
    {"query": "{tag}", "page": 600, "size": 20},
    {"query": "{tag}", "author": "no spaces"},
    {"query": "{tag}", "language": "py\x00thon"},
]


@pytest.mark.parametrize("parameters", ANSWERED)
@pytest.mark.parametrize("signed_in", [False, True])
async def test_the_lane_answers_as_the_route_byte_for_byte(
    pair: Pair, corpus: tuple[Account, str], parameters: dict[str, Any], *, signed_in: bool
) -> None:
    owner, tag = corpus
    filled = {
        name: value.format(tag=tag, author=owner.username) if isinstance(value, str) else value
        for name, value in parameters.items()
    }
    headers = owner.auth if signed_in else {}
    assert pair.lane.downstream is not None
    passed_on = pair.lane.downstream.calls
    via_lane, via_route = await pair.both(_url(**filled), headers)
    assert pair.lane.downstream.calls == passed_on, "answered by the lane itself"
    if signed_in:  # one user, one bucket: the route's request spent one more
        _assert_same_but_budget(via_lane, via_route)
    else:
        _assert_same(via_lane, via_route)


def _assert_same_but_budget(via_lane: httpx.Response, via_route: httpx.Response) -> None:
    assert via_lane.status_code == via_route.status_code, via_lane.text
    assert via_lane.content == via_route.content
    spent = {b"ratelimit-remaining", b"ratelimit-reset"}  # the lane's request spent first
    assert [h for h in via_lane.headers.raw if h[0] not in spent] == [
        h for h in via_route.headers.raw if h[0] not in spent
    ]


PASSED_ON = [
    "?size=20",  # no query: the route's validation error
    "?query=",
    "?query={tag}&query=other",
    "?query={tag}&page=0",
    "?query={tag}&page=01",
    "?query={tag}&size=101",
    "?query={tag}&size=-1",
    "?query={tag}&size=%2B5",
    "?query={tag}&created_after=2020-01-01",
    "?query={tag}&unknown=1",
    "?query={tag}&author=",
]


@pytest.mark.parametrize("query_string", PASSED_ON)
async def test_what_the_lane_does_not_take_goes_to_the_route(
    pair: Pair, corpus: tuple[Account, str], query_string: str
) -> None:
    _, tag = corpus
    assert pair.lane.downstream is not None
    passed_on = pair.lane.downstream.calls
    via_lane, via_route = await pair.both(SEARCH + query_string.format(tag=tag))
    assert pair.lane.downstream.calls == passed_on + 1
    _assert_same(via_lane, via_route)


async def test_other_methods_and_bad_tokens_go_to_the_route(
    pair: Pair, corpus: tuple[Account, str]
) -> None:
    _, tag = corpus
    assert pair.lane.downstream is not None
    passed_on = pair.lane.downstream.calls
    url = _url(query=tag)
    for headers, method in (
        ({}, "HEAD"),
        ({"Authorization": "Bearer nope"}, "GET"),
        ({"Authorization": "Basic abc"}, "GET"),
    ):
        via_lane, via_route = await pair.both(url, headers, method)
        _assert_same(via_lane, via_route)
    assert pair.lane.downstream.calls == passed_on + 3


async def test_a_logged_out_token_is_refused_by_the_route_and_charged_once(
    pair: Pair, search: SearchClient, corpus: tuple[Account, str]
) -> None:
    _, tag = corpus
    reader = await search.account()
    logout = await search.http.post("/auth/jwt/logout", headers=reader.auth)
    assert logout.status_code == 204
    assert pair.lane.downstream is not None
    passed_on = pair.lane.downstream.calls
    via_lane = await pair.lane.get(
        _url(query=tag), headers={**reader.auth, "X-Request-Id": "out-1"}
    )
    assert via_lane.status_code == 401
    assert pair.lane.downstream.calls == passed_on + 1


def test_plain_searches_are_read_as_starlette_reads_them() -> None:
    assert plain_search(b"query=get_user&page=2&size=5&author=ada&language=py") == {
        "query": "get_user",
        "page": 2,
        "size": 5,
        "author": "ada",
        "language": "py",
    }
    assert plain_search(b"query=a+b%20c%FF") == {"query": "a b c\ufffd"}
    assert plain_search(b"query=x&page=10000") == {"query": "x", "page": 10_000}
    for declined in (b"", b"page=1", b"query=x&page=10001", b"query=x&size=\xd9\xa1", b"query"):
        assert plain_search(declined) is None
