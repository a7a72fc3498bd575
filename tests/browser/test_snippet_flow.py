"""A person's whole way through the pages, in Chromium: sign up, paste, read the
highlighted page, edit, switch versions, open the diff, share, and open the share link
as someone else. Each page is saved in `.data/screenshots/`."""

import uuid
from collections.abc import Callable

from tests.browser.conftest import Chromium
from tests.e2e.conftest import TEST_PASSWORD

FIRST = '''def fib(n: int) -> int:
    """The n-th Fibonacci number."""
    return n if n < 2 else fib(n - 1) + fib(n - 2)
'''
SECOND = '''from functools import cache


@cache
def fib(n: int) -> int:
    """The n-th Fibonacci number, each computed once."""
    return n if n < 2 else fib(n - 1) + fib(n - 2)
'''


def sign_up(browser: Chromium, prefix: str = "ada") -> str:
    username = f"{prefix}_{uuid.uuid4().hex[:8]}"
    browser.open("/signup")
    browser.fill(
        {"email": f"{username}@example.com", "username": username, "password": TEST_PASSWORD}
    )
    browser.submit()
    return username


def test_sign_up_paste_edit_compare_and_share(chromium: Callable[..., Chromium]) -> None:
    owner = chromium()
    owner.open("/")
    owner.screenshot("01-home-anonymous")
    owner.open("/signup")
    owner.screenshot("02-sign-up")
    username = sign_up(owner)
    assert username in owner.find("nav.session").text
    owner.screenshot("03-create-form")

    # Create through the form: a private snippet, its language from the file name.
    owner.fill({"title": "Fibonacci", "content": FIRST, "filename": "fib.py"})
    owner.find('select[name="visibility"] option[value="private"]').click()
    owner.submit()
    short_id = owner.driver.current_url.rsplit("/", 1)[1]
    assert owner.find("h1").text == "Fibonacci"
    assert owner.find(".meta .language").text == "Python"
    assert owner.all("td.source .k")  # highlighted keywords
    assert owner.find("td.numbers a[href='#L-3']").text == "3"
    assert owner.find("button.copy").is_displayed()  # the script shows it
    owner.screenshot("04-snippet-page")
    owner.screenshot("04-snippet-page-dark", dark=True)
    owner.screenshot("04-snippet-page-phone", phone=True)

    # Edit: the next version.
    owner.follow("Edit")
    owner.screenshot("05-edit-form")
    owner.fill({"content": SECOND})
    owner.submit()
    assert owner.driver.current_url.endswith(f"/{short_id}/v/2")
    assert "version 2 of 2" in owner.find(".meta").text
    owner.screenshot("06-version-2")

    # Switch versions, then open the diff.
    owner.follow("v1")
    assert "version 1 of 2" in owner.find(".meta").text
    assert "functools" not in owner.find("td.source").text
    owner.screenshot("07-version-1")
    owner.follow("v2")
    owner.follow("changes from v1")
    assert "+5 added" in owner.find(".meta").text
    assert "-1 removed" in owner.find(".meta").text
    assert owner.all("td.source .gi")  # added lines, highlighted
    owner.screenshot("08-diff")

    share_url = share(owner, short_id)
    open_as_a_guest(chromium(), short_id, share_url)

    owner.open("/mine")
    assert "Fibonacci" in owner.find("table.snippets").text
    owner.screenshot("12-my-snippets")


def share(owner: Chromium, short_id: str) -> str:
    """Share version 2 from its page; the link."""
    owner.open(f"/{short_id}/v/2")
    owner.submit("section.owner form[action$='/share'] button")
    share_url = owner.find("#share-url").get_attribute("value")
    assert share_url is not None
    assert f"/{short_id}/v/2?token=" in share_url
    owner.screenshot("09-shared")
    return share_url


def open_as_a_guest(guest: Chromium, short_id: str, share_url: str) -> None:
    """A fresh, anonymous browser: nothing without the link, the version with it."""
    guest.open(f"/{short_id}")
    assert "404" in guest.find("section.problem").text  # private without the link
    guest.screenshot("10-private-without-link")
    guest.open(share_url)
    assert guest.find("h1").text == "Fibonacci"
    assert "functools" in guest.find("td.source").text
    assert not guest.all("section.owner")  # the owner's controls are the owner's
    assert "Sign in" in guest.find("nav.session").text
    guest.screenshot("11-share-link-anonymous")


def test_the_pages_work_with_scripts_off(chromium: Callable[..., Chromium]) -> None:
    browser = chromium(scripts=False)
    sign_up(browser, "noscript")
    browser.fill({"title": "No scripts", "content": "echo 'still works'\n", "language": "bash"})
    browser.submit()
    assert browser.find(".meta .language").text == "Bash"
    assert not browser.find("button.copy").is_displayed()  # needs the script
    assert browser.find("a[download]").is_displayed()
    browser.screenshot("13-scripts-off")
    browser.submit("nav.session form button")
    assert "Sign in" in browser.find("nav.session").text


def test_an_embed_shows_in_another_sites_frame_and_a_page_does_not(
    chromium: Callable[..., Chromium], tmp_path_factory: object
) -> None:
    import http.server
    import threading
    from functools import partial

    from tests.conftest import free_port

    owner = chromium()
    sign_up(owner, "embedder")
    owner.fill({"title": "Embedded", "content": "SELECT 1;\n", "language": "sql"})
    owner.submit()
    short_id = owner.driver.current_url.rsplit("/", 1)[1]
    folder = tmp_path_factory.mktemp("othersite")  # type: ignore[attr-defined]
    (folder / "index.html").write_text(
        "<!doctype html><title>Another site</title><h1>Another site</h1>"
        f'<iframe id="embed" src="{owner.base_url}/{short_id}/embed" width="600" height="160">'
        "</iframe>"
        f'<iframe id="page" src="{owner.base_url}/{short_id}" width="600" height="160"></iframe>'
    )
    port = free_port()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    other = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=other.serve_forever, daemon=True)
    thread.start()
    try:
        guest = chromium()
        guest.open(f"http://127.0.0.1:{port}/index.html")
        guest.driver.switch_to.frame(guest.find("iframe#embed"))
        assert "SELECT" in guest.find("td.source").text
        guest.driver.switch_to.default_content()
        guest.driver.switch_to.frame(guest.find("iframe#page"))
        assert not guest.all("td.source")  # refused by frame-ancestors 'none'
        guest.driver.switch_to.default_content()
        guest.screenshot("14-embed-on-another-site")
    finally:
        other.shutdown()
        thread.join(timeout=5)
