"""The foundation: health check, error envelope on unknown routes, settings sanity."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_healthz_reports_database_and_cache_ok(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"success": True, "data": {"database": "ok", "cache": "ok"}}


@pytest.mark.django_db
def test_unknown_api_route_answers_404_in_the_envelope(client: Client) -> None:
    response = client.get("/api/does-not-exist")
    assert response.status_code == 404
    body = response.json()
    assert body["success"] is False and body["code"] == 404 and body["message"]


def test_error_envelope_field_order_and_values() -> None:
    from nekosite.lib.errors import error_body

    # Seed 001: {"code": Integer, "message": String, "success": false}
    assert error_body(400, "x") == {"code": 400, "message": "x", "success": False}


@pytest.mark.django_db
def test_a_value_the_database_cannot_hold_is_a_400_not_a_500(client: Client) -> None:
    # PostgreSQL refuses NUL bytes in text; SQLite stores them. Either way: never a 500.
    response = client.get("/api/v1/category", {"search": "a\x00b"}, HTTP_USER_AGENT="t")
    assert response.status_code in (200, 400)
    assert response.json()["success"] is (response.status_code == 200)
