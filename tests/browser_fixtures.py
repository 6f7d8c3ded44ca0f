"""Real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, no browser download.

Loaded for the whole suite from the root conftest (pytest_plugins), so every app's browser tests
share one Playwright and one Chromium. Fixtures:

- `site`: the server users run — `make run` itself on a free port (tests/realserver.py), one per
  session; the integration run overrides it with the deploy/ stack (nginx, two gunicorn app
  servers, PostgreSQL, Redis). `site_page`: a fresh browser context on it. User journeys use these.
- `page`: a fresh context on pytest-django's `live_server` (Django's threaded dev server), for
  page-level unit tests (audits, screenshots of screens set up through the ORM).
- `shoot(page, name)`: desktop and phone screenshots under the test's tmp dir (and
  $SCREENSHOT_DIR when that is set).

Any test using `browser` is marked `browser`; any test using `site` is marked `server`.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.realserver import RealServer, start_make_run

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
        names = getattr(item, "fixturenames", ())
        if "browser" in names:
            item.add_marker(pytest.mark.browser)
        if "site" in names:
            item.add_marker(pytest.mark.server)


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


@contextmanager
def new_tab(browser: Any, base_url: str, *origins: str, **options: Any) -> Iterator[Any]:
    """A fresh context (empty cookies, storage and cache) and a tab on `base_url`; fails the test
    if any request goes anywhere but `origins` (no CDN) or the page logs a console error."""
    context = browser.new_context(viewport=DESKTOP, base_url=base_url, **options)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    foreign: list[str] = []
    console_errors: list[str] = []

    def _check(request: Any) -> None:
        if not request.url.startswith((*origins, "data:", "blob:", "about:")):
            foreign.append(request.url)

    def _console(message: Any) -> None:
        # A 429 is part of the protocol: the dashboard's uploader waits and retries it.
        if message.type == "error" and "status of 429" not in message.text:
            console_errors.append(f"{message.text} ({message.location.get('url')})")

    context.on("request", _check)
    tab = context.new_page()
    tab.on("console", _console)
    tab.set_default_timeout(15000)
    tab.console_errors = console_errors
    yield tab
    context.close()
    assert not foreign, f"requests left the server (CDN?): {foreign}"


@pytest.fixture
def page(browser: Any, live_server: Any, settings: Any) -> Iterator[Any]:
    """A fresh browser context per test; every request must stay on the live server."""
    settings.SITE_URL = live_server.url
    settings.UPLOAD_BASE_URL = f"{live_server.url}/u/"
    with new_tab(browser, live_server.url, live_server.url) as tab:
        yield tab


@pytest.fixture(scope="session")
def embedded_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    """`make run` on a free port, with a superuser (tests/realserver.py), for the session.

    Rate limits stay on, at higher rates: every test of the session comes from 127.0.0.1, and
    the anonymous 1/s (seed 001) would turn the next test's first request into a 429."""
    server = start_make_run(
        tmp_path_factory.mktemp("make-run"),
        RATELIMIT_ANON_RATE="50/s",
        RATELIMIT_AUTH_RATE="200/m",
        # The file-host admin API's own signup (seed 004) is part of the flows tested on it.
        ADMIN_REGISTRATION="true",
        ADMIN_KEY=secrets.token_urlsafe(24),
        # Webhooks to the tests' receiver on 127.0.0.1 (refused by default), retried fast.
        WEBHOOK_ALLOW_PRIVATE_TARGETS="true",
        WEBHOOK_TIMEOUT_SECONDS="2",
        WEBHOOK_RETRY_BASE_SECONDS="1",
    )
    try:
        server.create_superuser()
        yield server
    finally:
        server.stop()


@pytest.fixture
def site(embedded_site: RealServer) -> RealServer:
    """The server under test; tests/integration overrides it with the deploy/ stack."""
    return embedded_site


@pytest.fixture
def site_page(browser: Any, site: RealServer) -> Iterator[Any]:
    """A fresh browser context on the real server; requests may go to the site and its upload
    origin only, and the page may log no console error (a 404 favicon, a failed script)."""
    with new_tab(browser, site.url, site.url, site.upload_url) as tab:
        yield tab
    assert tab.console_errors == [], tab.console_errors


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
