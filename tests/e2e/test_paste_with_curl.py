"""The curl-friendly create at the site root, driven by the real `curl` against a served API:
a file, a `content` field or a text/plain body, options as fields or query parameters,
plain-text answers, and errors in the envelope of every route."""

import asyncio
import json
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.conftest import ServedApi, served_api_token
from tests.e2e.conftest import query_database

SCRIPT = "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n"


@dataclass(frozen=True)
class CurlAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()


def curl(*arguments: str) -> CurlAnswer:
    """Run curl; its answer, headers and body as they came over the wire."""
    executable = shutil.which("curl")
    assert executable is not None, "these tests drive the real curl: install it"
    completed = subprocess.run(
        [executable, "--silent", "--show-error", "--include", *arguments],
        capture_output=True,
        check=True,
        timeout=30,
    )
    raw = completed.stdout
    while True:  # skip interim answers (100 Continue)
        head, _, raw = raw.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        if status >= 200:
            break
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return CurlAnswer(status, headers, raw)


@pytest.fixture(scope="module")
def site(served_api: ServedApi) -> str:
    return served_api.base_url + "/"


@pytest.fixture(scope="module")
def token(served_api: ServedApi) -> str:
    return served_api_token(served_api)


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "fib.py"
    path.write_text(SCRIPT)
    return path


def read_json(url: str) -> dict[str, object]:
    """The JSON read of the snippet a paste URL names."""
    return read_json_with(url, {})


def read_json_with(url: str, headers: dict[str, str]) -> dict[str, object]:
    response = httpx.get(url.removesuffix("/raw"), headers=headers)
    response.raise_for_status()
    body: dict[str, object] = response.json()
    return body


def assert_created(answer: CurlAnswer) -> str:
    assert answer.status == 201, answer.text
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    url = answer.text.removesuffix("\n")
    assert answer.text == url + "\n"
    assert "\n" not in url
    assert answer.headers["location"] == url
    return url


# --- the three forms ------------------------------------------------------------------


def test_a_file_is_pasted_with_its_name_as_title_and_language(site: str, script: Path) -> None:
    answer = curl("-F", f"file=@{script}", site)
    url = assert_created(answer)
    assert answer.headers["x-delete-token"].startswith("sp_del_")
    assert curl(url).body == SCRIPT.encode()
    snippet = read_json(url)
    assert snippet["title"] == "fib.py"
    assert snippet["author"] is None
    version = snippet["current_version"]
    assert isinstance(version, dict)
    assert version["language"] == "python"
    assert snippet["id"] == answer.headers["x-snippet-id"]


def test_a_content_field_is_pasted(site: str) -> None:
    url = assert_created(curl("-F", "content=hello from a shell", site))
    assert curl(url).text == "hello from a shell"
    assert read_json(url)["title"] == "untitled"


def test_a_text_body_is_pasted_byte_for_byte(site: str, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_bytes("línea 1\r\n\tindented\n\nend without newline".encode())
    url = assert_created(curl("-H", "Content-Type: text/plain", "--data-binary", f"@{notes}", site))
    assert curl(url).body == notes.read_bytes()


# --- options --------------------------------------------------------------------------


def test_options_as_form_fields(site: str, script: Path) -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    url = assert_created(
        curl(
            "-F", f"file=@{script}",
            "-F", "title=Fibonacci",
            "-F", "language=Cython",
            "-F", "visibility=public",
            "-F", f"expires_at={tomorrow.isoformat()}",
            site,
        )
    )  # fmt: skip
    snippet = read_json(url)
    version = snippet["current_version"]
    assert isinstance(version, dict)
    assert (snippet["title"], version["language"]) == ("Fibonacci", "cython")
    assert datetime.fromisoformat(str(version["expires_at"])) == tomorrow


def test_options_as_query_parameters(site: str) -> None:
    url = assert_created(
        curl(
            "-H", "Content-Type: text/plain",
            "--data-binary", "package main",
            f"{site}?title=main.go&language=go",
        )
    )  # fmt: skip
    snippet = read_json(url)
    version = snippet["current_version"]
    assert isinstance(version, dict)
    assert (snippet["title"], version["language"]) == ("main.go", "go")


def test_the_sharing_options_as_form_fields(site: str) -> None:
    burned = assert_created(
        curl("-F", "content=read me once", "-F", "burn_after_reading=true", site)
    )
    assert curl(burned).text == "read me once"
    assert refusal(curl(burned)).startswith("snippet_burned:")
    locked = assert_created(
        curl(
            "-F", "content=behind a password",
            "-F", "password=open sesame",
            "-F", "expires_in=1h",
            "-F", "max_views=5",
            site,
        )
    )  # fmt: skip
    assert curl(locked).status == 401
    answer = curl("-H", "X-Snippet-Password: open sesame", locked)
    assert answer.text == "behind a password"
    version = read_json_with(locked, {"X-Snippet-Password": "open sesame"})["current_version"]
    assert isinstance(version, dict)
    assert (version["max_views"], version["password_protected"]) == (5, True)
    expires = datetime.fromisoformat(str(version["expires_at"]))
    assert timedelta(minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=1)


def test_with_a_token_the_paste_is_the_users_and_may_be_private(site: str, token: str) -> None:
    answer = curl(
        "-H", f"Authorization: Bearer {token}",
        "-F", "content=secret notes",
        "-F", "visibility=private",
        site,
    )  # fmt: skip
    url = assert_created(answer)
    assert "x-delete-token" not in answer.headers
    assert curl(url).status == 404
    assert curl("-H", f"Authorization: Bearer {token}", url).text == "secret notes"


# --- errors: the envelope ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "status", "line"),  # line: `code: message`
    [
        (
            ("-F", "content=x", "-F", "visibility=secret"),
            422,
            (
                "validation_error: request is invalid: form.visibility: Input should be"
                " 'public', 'unlisted' or 'private'"
            ),
        ),
        (
            ("-F", "content=x", "-F", "visibility=private"),
            422,
            "invalid_snippet: an anonymous snippet cannot be private: nobody could read it",
        ),
        (
            ("-F", "content=x", "-F", "colour=blue"),
            422,
            "validation_error: request is invalid: form.colour: Extra inputs are not permitted",
        ),
        (
            ("-F", "language=go"),
            422,
            (
                "validation_error: request is invalid: body.content: no content: send"
                " `-F file=@name`, `-F content=…` or a text/plain body"
            ),
        ),
        (
            ("-F", "content=x", "-F", "content=y"),
            422,
            (
                "validation_error: request is invalid: form.content: give the content once:"
                " as `file` or as `content`"
            ),
        ),
        (
            ("-H", "Content-Type: application/json", "--data", '{"content": "x"}'),
            415,
            (
                "unsupported_media_type: send the content as multipart/form-data"
                " (`-F file=@name` or `-F content=…`), a form, or a text/plain body"
            ),
        ),
        (
            ("-H", "Authorization: Bearer sp_pat_not-a-token", "-F", "content=x"),
            401,
            "not_authenticated: personal access token is invalid or revoked",
        ),
    ],
    ids=[
        "bad-option",
        "private-anonymous",
        "unknown-option",
        "no-content",
        "content-twice",
        "json-body",
        "bad-token",
    ],
)
def test_bad_input_gets_the_envelope_and_stores_nothing(
    site: str, database_url: str, arguments: tuple[str, ...], status: int, line: str
) -> None:
    title = f"refused-{uuid.uuid4()}"
    answer = curl(*arguments, f"{site}?title={title}")
    assert answer.status == status
    assert answer.headers["content-type"] == "application/json"
    assert refusal(answer) == line
    rows = query_titled(database_url, title)
    assert rows == 0


def refusal(answer: CurlAnswer) -> str:
    """The envelope's code and message, as `code: message`."""
    error = json.loads(answer.body)["error"]
    return f"{error['code']}: {error['message']}"


def query_titled(database_url: str, title: str) -> int:

    rows = asyncio.run(
        query_database(database_url, "SELECT 1 FROM snippets WHERE title = $1", title)
    )
    return len(rows)


def test_content_over_the_limit_is_refused(site: str, tmp_path: Path) -> None:
    too_long = tmp_path / "big.txt"
    too_long.write_bytes(b"x" * (512 * 1024 + 1))
    answer = curl("-F", f"file=@{too_long}", site)
    assert answer.status == 413
    assert refusal(answer).startswith("content_too_large: content is 524289 bytes")
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"x" * (7 * 512 * 1024))
    refused_early = curl("-H", "Content-Type: text/plain", "--data-binary", f"@{huge}", site)
    assert refused_early.status == 413
    assert refusal(refused_early).startswith("payload_too_large: request body is larger than")


# --- idempotency ------------------------------------------------------------------------


def test_a_retried_paste_with_a_key_is_answered_as_the_first(
    site: str, script: Path, database_url: str
) -> None:
    title = f"retried-{uuid.uuid4()}"
    arguments = (
        "-H",
        f"Idempotency-Key: {uuid.uuid4()}",
        "-F",
        f"file=@{script}",
        "-F",
        f"title={title}",
    )
    first, again = curl(*arguments, site), curl(*arguments, site)
    assert again.status == first.status == 201
    assert again.body == first.body
    for name in ("location", "x-delete-token", "x-snippet-id", "content-type"):
        assert again.headers[name] == first.headers[name]
    assert query_titled(database_url, title) == 1
