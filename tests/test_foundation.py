"""The foundation: health check, error envelope on unknown routes, settings sanity."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_healthz_reports_database_and_cache_ok(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["data"]["database"] == "ok" and body["data"]["cache"] == "ok"


@pytest.mark.django_db
def test_healthz_shows_the_task_queue(client: Client) -> None:
    """Issue #19: queue depth, tasks waiting for their time, the oldest waiting task's age and
    when a worker last said it was running (nekosite/queue.py)."""
    from nekosite import queue

    queue.HUEY.storage.flush_queue()
    queue.HUEY.storage.delete_data(queue.HEARTBEAT_KEY)
    data = client.get("/healthz").json()["data"]["queue"]
    assert data == {"status": "ok", "depth": 0, "scheduled": data["scheduled"],
                    "oldest_waiting_s": None, "worker_seen_s": None}  # fmt: skip
    queue.record_heartbeat()
    assert 0 <= client.get("/healthz").json()["data"]["queue"]["worker_seen_s"] < 5


def test_task_ids_carry_the_time_they_were_made() -> None:
    import time

    from nekosite import queue

    task = queue.TimedTask()
    made = queue.enqueued_at(task.id)
    assert made is not None and abs(made - time.time()) < 5
    assert queue.enqueued_at("0b2a3c4d-1e2f-4a5b-8c6d-7e8f9a0b1c2d") is None


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
