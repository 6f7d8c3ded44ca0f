"""HTML error pages share the site's layout (JSON paths keep the JSON envelope)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_unknown_page_is_a_404_in_the_site_layout() -> None:
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Page not found</h1>" in html
    assert 'class="site-header"' in html and 'href="/"' in html


def test_unknown_image_page_is_a_404_in_the_site_layout() -> None:
    response = Client().get("/image/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.content.decode()


def test_api_paths_keep_the_json_error_envelope() -> None:
    response = Client().get("/api/v1/no-such-endpoint")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["success"] is False


def test_the_500_page_renders_without_any_context() -> None:
    from django.template import loader

    html = loader.get_template("500.html").render()
    assert "<h1>Something went wrong</h1>" in html and "site.css" in html
