"""Issue 22, item 4: "2FA enrolment and login", in headless Chromium on `make run` with
ADMIN_2FA=true. The shared session server runs with ADMIN_2FA off (its other journeys log in to
the admin with a password only), so this module starts a second real server of its own.
"""

from __future__ import annotations

import time
from base64 import b32decode
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django_otp.oath import TOTP

from tests.browser_fixtures import new_tab
from tests.realserver import ADMIN_PASSWORD, ADMIN_USERNAME, RealServer, start_make_run

pytestmark = [pytest.mark.server, pytest.mark.browser]


@pytest.fixture(scope="module")
def strict_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    server = start_make_run(
        tmp_path_factory.mktemp("make-run-2fa"),
        ADMIN_2FA="true",
        RATELIMIT_ANON_RATE="50/s",
        RATELIMIT_AUTH_RATE="200/m",
    )
    try:
        server.create_superuser()
        yield server
    finally:
        server.stop()


def authenticator_code(secret: str, steps_ahead: int = 0) -> str:
    """What a phone shows for the secret typed from the page (RFC 6238, 30 s, 6 digits)."""
    totp = TOTP(b32decode(secret), step=30, t0=0, digits=6)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def password_log_in(page: Any) -> None:
    page.goto("/admin/")
    page.wait_for_url("**/admin/login/**")
    page.fill("#id_username", ADMIN_USERNAME)
    page.fill("#id_password", ADMIN_PASSWORD)
    page.click("input[type=submit]")


def enter_code(page: Any, code: str) -> None:
    page.fill("#id_code", code)
    with page.expect_navigation():
        page.click("main button[type=submit]")


def test_a_superuser_enrols_then_logs_in_with_a_code_and_a_backup_code_once(
    browser: Any, strict_site: RealServer, tmp_path: Path
) -> None:
    url = strict_site.url
    with new_tab(browser, url, url) as page:
        password_log_in(page)
        page.wait_for_url("**/accounts/2fa/setup/?next=%2Fadmin%2F")
        assert page.locator(".qr-code svg").is_visible()
        secret = page.inner_text("#totp-secret").strip()
        enter_code(page, authenticator_code(secret))
        codes = [c.strip() for c in page.locator(".backup-codes code").all_inner_texts()]
        assert len(codes) == 10
        page.click("#backup-codes-done")
        page.wait_for_url(f"{url}/admin/")
        assert page.inner_text("#site-name") == "nekosite administration"
        assert page.console_errors == []

    # A fresh login asks for a code; a backup code lets the admin in.
    with new_tab(browser, url, url) as page:
        password_log_in(page)
        page.wait_for_url("**/accounts/2fa/verify/?next=%2Fadmin%2F")
        enter_code(page, codes[0])
        page.wait_for_url(f"{url}/admin/")
        assert "Backup code used; 9 left." in page.inner_text("ul.messagelist")

    # The same backup code a second time is refused; the app's code works.
    with new_tab(browser, url, url) as page:
        password_log_in(page)
        page.wait_for_url("**/accounts/2fa/verify/**")
        enter_code(page, codes[0])
        assert "That code is not valid." in page.inner_text("main")
        assert "/accounts/2fa/verify/" in page.url
        enter_code(page, authenticator_code(secret, steps_ahead=1))
        page.wait_for_url(f"{url}/admin/")
        page.goto("/admin/accounts/user/")
        assert page.inner_text("#site-name") == "nekosite administration"
        assert page.console_errors == []
