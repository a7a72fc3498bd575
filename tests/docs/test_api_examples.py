"""docs/api.md's client examples work as written: the `paste` shell function, run by bash
with the real curl, and the httpx snippet, run by Python, against a served API."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import PROJECT_ROOT, ServedApi, served_api_token

DOCUMENT = (PROJECT_ROOT / "docs" / "api.md").read_text(encoding="utf-8")
CODE_BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)


def documented(language: str, containing: str) -> str:
    """The one code block of `language` in docs/api.md that contains `containing`."""
    blocks: list[str] = [
        code
        for kind, code in CODE_BLOCK.findall(DOCUMENT)
        if kind == language and containing in code
    ]
    (block,) = blocks
    return block


PASTE_FUNCTION = documented("bash", "paste() {")
HTTPX_EXAMPLE = documented("python", "import httpx")


def shell(
    api: ServedApi, command: str, *, token: str | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `command` in bash after defining the documented function, as a user would."""
    assert shutil.which("curl"), "the documented function runs the real curl: install it"
    environment = {"PATH": os.environ["PATH"], "SWIFTPASTE_URL": api.base_url}
    if token is not None:
        environment["SWIFTPASTE_TOKEN"] = token
    return subprocess.run(
        ["bash", "-c", f"{PASTE_FUNCTION}\n{command}"],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=30,
        check=False,
    )


def pasted_url(completed: subprocess.CompletedProcess[str], api: ServedApi) -> str:
    assert completed.returncode == 0, completed.stderr + completed.stdout
    url = completed.stdout.removesuffix("\n")
    assert url.startswith(f"{api.base_url}/v1/api/snippet/")
    return url


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "script.py"
    path.write_text("print('pasted from a file')\n")
    return path


def test_the_function_pastes_a_file(served_api: ServedApi, script: Path) -> None:
    url = pasted_url(shell(served_api, f"paste {script}"), served_api)
    assert httpx.get(url).text == script.read_text()
    snippet = httpx.get(url.removesuffix("/raw")).json()
    assert (snippet["title"], snippet["current_version"]["language"]) == ("script.py", "python")


def test_the_function_pastes_standard_input_with_options(served_api: ServedApi) -> None:
    diff = "--- a\n+++ b\n@@ -1 +1 @@\n-old\n+new\n"
    completed = shell(served_api, "paste title=fix.diff language=diff", stdin=diff)
    url = pasted_url(completed, served_api)
    assert httpx.get(url).text == diff
    snippet = httpx.get(url.removesuffix("/raw")).json()
    assert (snippet["title"], snippet["current_version"]["language"]) == ("fix.diff", "diff")


def test_the_function_pastes_as_the_user_of_the_token(served_api: ServedApi, script: Path) -> None:
    token = served_api_token(served_api)
    completed = shell(served_api, f"paste {script} visibility=private", token=token)
    url = pasted_url(completed, served_api)
    assert httpx.get(url).status_code == 404
    assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_the_function_shows_a_refusal_and_fails(served_api: ServedApi, script: Path) -> None:
    completed = shell(served_api, f"paste {script} visibility=secret")
    assert completed.returncode == 22  # curl's --fail-with-body on an HTTP error
    error = json.loads(completed.stdout)["error"]
    assert error["code"] == "validation_error"
    assert error["message"] == (
        "request is invalid: form.visibility: Input should be 'public', 'unlisted' or 'private'"
    )


def test_the_httpx_example_creates_reads_and_edits(served_api: ServedApi) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", HTTPX_EXAMPLE],
        capture_output=True,
        text=True,
        env=os.environ
        | {"SWIFTPASTE_URL": served_api.base_url, "SWIFTPASTE_TOKEN": served_api_token(served_api)},
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    created, unchanged, edited = completed.stdout.splitlines()
    assert re.fullmatch(r"created [A-Za-z0-9]{8}", created)
    assert unchanged == "unchanged 304"
    assert edited == "edited, version 2"
