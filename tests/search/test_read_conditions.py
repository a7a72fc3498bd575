"""What search shows of snippets read with conditions: an unlisted snippet only to its
owner; a protected one's title to its owner, its content to nobody; a burned one's content
to nobody, once it is erased."""

import pytest

from tests.e2e.conftest import Account
from tests.search.conftest import SNIPPETS, SearchClient, unique_word

PASSWORD = "open sesame"


@pytest.fixture(scope="module")
async def owner(search: SearchClient) -> Account:
    return await search.account()


@pytest.fixture(scope="module")
async def other(search: SearchClient) -> Account:
    return await search.account()


async def test_an_unlisted_snippet_is_found_by_its_owner_alone(
    search: SearchClient, owner: Account, other: Account
) -> None:
    tag = unique_word("u")
    unlisted = await search.create(owner, f"{tag} link only", "by link", visibility="unlisted")
    await search.until_total(tag, 1, as_=owner)
    assert await search.short_ids(tag, owner) == [unlisted["short_id"]]
    assert await search.short_ids(tag, other) == []
    assert await search.short_ids(tag) == []


@pytest.mark.parametrize(
    "conditions",
    [{"burn_after_reading": True}, {"max_views": 3}],
    ids=["burn", "view-limit"],
)
async def test_a_counted_snippet_is_found_by_its_owner_alone(
    search: SearchClient, owner: Account, other: Account, conditions: dict[str, object]
) -> None:
    tag = unique_word("c")
    counted = await search.create(owner, f"{tag} counted", f"body {tag}", **conditions)
    await search.until_total(tag, 1, as_=owner)
    assert await search.short_ids(tag, owner) == [counted["short_id"]]
    assert await search.short_ids(tag, other) == []
    assert await search.short_ids(tag) == []


async def test_a_protected_snippets_content_is_never_found_its_title_by_its_owner(
    search: SearchClient, owner: Account, other: Account
) -> None:
    in_title, in_content = unique_word("t"), unique_word("b")
    protected = await search.create(
        owner, f"{in_title} door", f"the key is {in_content}", password=PASSWORD
    )
    found = await search.until_total(in_title, 1, as_=owner)
    assert [item["short_id"] for item in found["items"]] == [protected["short_id"]]
    assert all(in_content not in highlight for highlight in found["items"][0]["highlights"])
    assert await search.short_ids(in_title, other) == []
    assert (await search.find(in_content, owner))["total"] == 0


async def test_a_burned_snippets_content_leaves_the_index(
    search: SearchClient, owner: Account
) -> None:
    in_title, in_content = unique_word("t"), unique_word("b")
    burning = await search.create(
        owner, f"{in_title} once", f"read {in_content} once", burn_after_reading=True
    )
    await search.until_total(in_content, 1, as_=owner)
    read = await search.http.get(f"{SNIPPETS}/{burning['short_id']}")
    assert read.status_code == 200
    await search.until_total(in_content, 0, as_=owner)
    # The title stays, for its owner: the snippet still exists (every read answers 410).
    assert await search.short_ids(in_title, owner) == [burning["short_id"]]
