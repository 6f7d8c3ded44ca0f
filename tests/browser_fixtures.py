"""Real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, no browser download.

Loaded for the whole suite from the root conftest (pytest_plugins), so every app's browser tests
share one Playwright and one Chromium: fixtures `browser` (session), `page` (a fresh context on
the live server, with SITE_URL pointing at it) and `shoot`. Any test using `browser` is marked
`browser`. Every browser test takes screenshots at desktop and phone width with
`shoot(page, name)`, written under the test's tmp dir (and $SCREENSHOT_DIR when that is set).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any, live_server: Any, settings: Any) -> Iterator[Any]:
    """A fresh browser context per test; every request must stay on the live server."""
    settings.SITE_URL = live_server.url
    settings.UPLOAD_BASE_URL = f"{live_server.url}/u/"
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    foreign: list[str] = []

    def _check(request: Any) -> None:
        if not request.url.startswith((live_server.url, "data:", "blob:", "about:")):
            foreign.append(request.url)

    context.on("request", _check)
    tab = context.new_page()
    tab.set_default_timeout(15000)
    yield tab
    context.close()
    assert not foreign, f"requests left the live server (CDN?): {foreign}"


@pytest.fixture
def shoot(tmp_path: Path) -> Callable[[Any, str], None]:
    """Save desktop and phone screenshots of the current page."""
    extra = os.environ.get("SCREENSHOT_DIR")

    def _shoot(tab: Any, name: str) -> None:
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            tab.set_viewport_size(size)
            path = tmp_path / f"{name}-{label}.png"
            tab.screenshot(path=str(path), full_page=True)
            if extra:
                Path(extra).mkdir(parents=True, exist_ok=True)
                shutil.copy(path, Path(extra) / path.name)
        tab.set_viewport_size(DESKTOP)

    return _shoot
