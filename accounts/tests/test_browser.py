"""The developer dashboard in a real headless Chromium: log in, reveal and copy the token,
and the same page without JavaScript."""

from __future__ import annotations

from typing import Any

import pytest

from accounts import services
from accounts.models import User
from accounts.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _site_on_live_server(live_server: Any, settings: Any) -> None:
    settings.SITE_URL = live_server.url


@pytest.fixture
def approved(owner: User, staff: User) -> tuple[int, str]:
    application = services.application_request(
        user=owner, name="Kaguya bot", purpose="images", scopes=["image:list"]
    )
    token = services.application_approve(
        application=application, scopes=["image:list"], expires_at=None, by=staff
    )
    return application.pk, services.token_value(token=token)


def _log_in(page: Any, live_server: Any) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    assert "Welcome back, alice." in page.inner_text(".messages")


def test_reveal_and_copy_the_token_with_javascript(
    browser: Any, live_server: Any, approved: tuple[int, str]
) -> None:
    pk, value = approved
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    _log_in(page, live_server)
    page.click("#api-tokens >> text=manage")
    page.wait_for_url(f"{live_server.url}/dashboard/applications/{pk}/")
    field = page.locator("#token-value")
    assert field.get_attribute("type") == "password"
    assert "YOUR_TOKEN" in page.inner_text("pre")

    page.click("[data-token-toggle]")  # handled in place by token.js, no navigation
    assert page.url.endswith(f"/dashboard/applications/{pk}/")
    assert field.get_attribute("type") == "text"
    assert field.input_value() == value
    assert f"Bearer {value}" in page.inner_text("pre")

    page.click("[data-token-copy]")
    page.wait_for_selector("[data-token-status]:has-text('Copied.')")
    assert page.evaluate("navigator.clipboard.readText()") == value
    context.close()


def test_reveal_works_without_javascript(
    browser: Any, live_server: Any, approved: tuple[int, str]
) -> None:
    pk, value = approved
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    _log_in(page, live_server)
    page.goto(f"{live_server.url}/dashboard/applications/{pk}/")
    assert page.locator("[data-token-copy]").count() == 0
    page.click("text=Reveal")
    page.wait_for_url(f"{live_server.url}/dashboard/applications/{pk}/?reveal=1")
    assert page.locator("#token-value").get_attribute("type") == "text"
    assert page.locator("#token-value").input_value() == value

    # Regenerate is a plain form POST followed by a redirect and a message.
    page.click("text=Regenerate")
    page.wait_for_url(f"{live_server.url}/dashboard/applications/{pk}/")
    assert "the old one stops working within a second" in page.inner_text(".messages")
    context.close()
