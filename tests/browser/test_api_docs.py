"""The interactive API docs work offline: every asset comes from our own server."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_api_docs_render_without_any_cdn(page: Any, shoot: Any) -> None:
    page.goto("/api/docs/")
    page.wait_for_selector(".swagger-ui .info", timeout=20000)
    assert "nekosite API" in page.inner_text(".swagger-ui .info")
    # A way back to the site above the docs.
    page.click(".docs-bar >> text=Stats")
    page.wait_for_url("**/stats/")
    page.go_back()
    page.wait_for_selector(".swagger-ui .info", timeout=20000)
    shoot(page, "api-docs")
