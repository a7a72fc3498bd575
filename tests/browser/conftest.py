"""Pages in a real headless Chromium, driven by Selenium, against the app served by
uvicorn on a free port (with the session's real PostgreSQL, Valkey and Tansu).

Chromium and its driver are the distribution's (`chromium`, `chromium-driver`;
`.ci/run` installs them). Each `Chromium` is a fresh profile: a person of its own. Every
page a test looks at is saved as a screenshot in `.data/screenshots/` (git-ignored) for
a person to look at.
"""

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from swiftpaste.main.api import make_api
from tests.conftest import PROJECT_ROOT, Servers, free_port
from tests.e2e.conftest import make_settings

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
SCREENSHOTS = PROJECT_ROOT / ".data" / "screenshots"
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@pytest.fixture(scope="session")
def site(servers: Servers, database_url: str) -> Iterator[str]:
    """The API with its pages, served over HTTP on 127.0.0.1; its base URL."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail(
            f"the browser tests need {CHROMIUM} and {CHROMEDRIVER}:"
            " apt-get install chromium chromium-driver (.ci/run does)"
        )
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    settings = make_settings(servers, database_url, public_base_url=base_url)
    server = uvicorn.Server(
        uvicorn.Config(make_api(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "the server stopped"
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield base_url
    server.should_exit = True
    thread.join(timeout=30)


class Chromium:
    """One person's browser: a fresh profile, a phone or a desktop window."""

    def __init__(self, base_url: str, *, scripts: bool = True) -> None:
        self.base_url = base_url
        self._profile = tempfile.mkdtemp(prefix="swiftpaste-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (*_FLAGS, f"--user-data-dir={self._profile}", "--window-size=1280,900"):
            options.add_argument(flag)
        if not scripts:
            options.add_argument("--blink-settings=scriptEnabled=false")
        self.driver: WebDriver = webdriver.Chrome(
            options=options, service=Service(executable_path=CHROMEDRIVER)
        )

    def open(self, path: str) -> None:
        self.driver.get(path if path.startswith("http") else self.base_url + path)

    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self) -> str:
        return str(self.find("body").text)

    def fill(self, fields: dict[str, str]) -> None:
        for name, value in fields.items():
            field = self.find(f'[name="{name}"]')
            field.clear()
            field.send_keys(value)

    def submit(self, button_css: str = "button[type=submit].primary") -> None:
        """Press the button and wait for the next page."""
        old = self.find("html")
        self.find(button_css).click()
        WebDriverWait(self.driver, 10).until(lambda _: _stale(old))

    def follow(self, link_text: str) -> None:
        old = self.find("html")
        self.driver.find_element(By.LINK_TEXT, link_text).click()
        WebDriverWait(self.driver, 10).until(lambda _: _stale(old))

    def screenshot(self, name: str, *, phone: bool = False, dark: bool = False) -> Path:
        """Save the page as it looks now (optionally on a phone, or in the dark scheme)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        if phone:
            self.driver.set_window_size(390, 844)
        if dark:
            self.driver.execute_cdp_cmd(
                "Emulation.setEmulatedMedia",
                {"features": [{"name": "prefers-color-scheme", "value": "dark"}]},
            )
        path = SCREENSHOTS / f"{name}.png"
        assert self.driver.save_screenshot(str(path)), path
        if phone:
            self.driver.set_window_size(1280, 900)
        if dark:
            self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
        return path

    def close(self) -> None:
        self.driver.quit()
        shutil.rmtree(self._profile, ignore_errors=True)


def _stale(element: WebElement) -> bool:
    try:
        element.is_enabled()
    except Exception:  # StaleElementReferenceException: the page was replaced
        return True
    return False


@pytest.fixture
def chromium(site: str) -> Iterator[Callable[..., Chromium]]:
    """Opens browsers (each a fresh profile) on the served site; closes them after."""
    opened: list[Chromium] = []

    def open_browser(*, scripts: bool = True) -> Chromium:
        browser = Chromium(site, scripts=scripts)
        opened.append(browser)
        return browser

    yield open_browser
    for browser in opened:
        browser.close()
