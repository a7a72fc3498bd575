"""The search page (`/search`): what the API's search finds, with the matches marked and
everything else escaped."""

from tests.search.conftest import SearchClient, unique_word


async def test_the_search_page_marks_the_matches_and_escapes_the_rest(
    search: SearchClient,
) -> None:
    owner = await search.account()
    word = unique_word("page")
    await search.create(owner, f"<b>{word}</b> & co", f"x = '<i>{word}</i>'\n", language="python")
    await search.until_total(word, 1)
    page = await search.http.get("/search", params={"q": word})
    assert page.status_code == 200
    assert f"&lt;b&gt;<mark>{word}</mark>&lt;/b&gt; &amp; co" in page.text
    assert "<b>" not in page.text
    assert "<i>" not in page.text
    assert "1 result" in page.text


async def test_a_query_the_search_refuses_is_explained_on_the_page(search: SearchClient) -> None:
    page = await search.http.get("/search", params={"q": "-only"})
    assert page.status_code == 422
    assert 'class="error"' in page.text
