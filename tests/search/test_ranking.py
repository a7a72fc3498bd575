"""Ranking: title above content, more matching terms higher, recency breaks ties."""

from tests.search.conftest import SearchClient, unique_word


async def test_title_matches_rank_above_content_matches_and_newer_first_among_equals(
    search: SearchClient,
) -> None:
    owner = await search.account()
    word = unique_word()
    oldest_content = await search.create(owner, "alpha notes", f"about {word} in the body")
    old_title = await search.create(owner, f"{word} in the title", "nothing to see")
    new_content = await search.create(owner, "beta notes", f"{word}()")
    new_title = await search.create(owner, f"the {word}", "nothing either")

    found = await search.until_total(word, 4)
    assert [item["short_id"] for item in found["items"]] == [
        new_title["short_id"],
        old_title["short_id"],
        new_content["short_id"],
        oldest_content["short_id"],
    ]
    assert [item["score"] for item in found["items"]] == [1.0, 1.0, 0.4, 0.4]


async def test_more_matching_terms_rank_higher(search: SearchClient) -> None:
    owner = await search.account()
    tag, first, second = unique_word("t"), unique_word("a"), unique_word("b")
    # Every word required: the more of them in the title, the higher.
    none_in_title = await search.create(owner, f"{tag} plain", f"{first} {second}")
    both_in_title = await search.create(owner, f"{tag} {first} {second}", "body")
    one_in_title = await search.create(owner, f"{tag} {first}", f"{second}")
    found = await search.until_total(f"{tag} {first} {second}", 3)
    assert [item["short_id"] for item in found["items"]] == [
        both_in_title["short_id"],
        one_in_title["short_id"],
        none_in_title["short_id"],
    ]
    # Alternatives: a snippet holding both ranks above the (newer) ones holding one.
    both = await search.create(owner, f"{tag} x", f"{first} and {second}")
    only_first = await search.create(owner, f"{tag} y", f"{first} only")
    only_second = await search.create(owner, f"{tag} z", f"{second} only")
    found = await search.until_total(f"{tag} ({first} or {second}) -plain -body", 4)
    order = [item["short_id"] for item in found["items"]]
    assert order[0] == one_in_title["short_id"]  # one in the title, one in the content
    assert order[1] == both["short_id"]
    assert set(order[2:]) == {only_first["short_id"], only_second["short_id"]}
    assert order[2] == only_second["short_id"]  # equal scores: the newer first
