"""The task queue: huey (huey.contrib.djhuey), configured by settings.HUEY.

Why huey: one small, well-kept library that keeps its queue in a SQLite file (the embedded
default: nothing to install, the worker starts beside gunicorn) or in Redis (production: any
number of worker processes on any number of machines), with retries that back off
exponentially, delayed and periodic tasks, and a Django integration (`manage.py run_huey`).

What huey does not promise: a task taken off the queue by a worker that is then killed
(kill -9, power loss) is gone. Work that must not be lost is therefore also a database row
(webhook deliveries, pending thumbnails, ...) that a periodic sweep enqueues again when it was
not finished in time; its task is idempotent.

Tasks live in each app's `tasks.py` and use the decorators below, which are djhuey's `db_task`
and `db_periodic_task` (database connections closed around each run) with task ids that start
with the time they were made, so /healthz can tell how long the oldest task has waited.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from huey import crontab
from huey.api import Task
from huey.contrib import djhuey

__all__ = ["crontab", "periodic_task", "stats", "task", "worker_seen_seconds_ago"]

HUEY = djhuey.HUEY
HEARTBEAT_KEY = "nekosite:worker-heartbeat"


class TimedTask(Task):
    """A huey Task whose id starts with when it was first enqueued (hex nanoseconds)."""

    def create_id(self) -> str:
        return f"{time.time_ns():x}-{uuid.uuid4().hex[:12]}"


def enqueued_at(task_id: str) -> float | None:
    """When a TimedTask with this id was made (UNIX seconds), None for other ids."""
    head, _, _ = task_id.partition("-")
    try:
        return int(head, 16) / 1e9 if len(head) >= 15 else None
    except ValueError:
        return None


def task(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """A queued task (djhuey.db_task): retries, retry_delay, retry_backoff, ... as huey's."""
    return djhuey.db_task(task_base=TimedTask, **options)


def periodic_task(schedule: Any, **options: Any) -> Callable[[Callable[..., Any]], Any]:
    """A task the worker's scheduler enqueues whenever `schedule` (a huey crontab) matches."""
    return djhuey.db_periodic_task(schedule, **options)


def stats() -> dict[str, Any]:
    """Queue depth, tasks waiting for their time (retries, delays) and the age of the oldest
    task waiting to run, in seconds (None when none waits)."""
    depth = HUEY.pending_count()
    oldest = None
    if depth:
        head = HUEY.pending(limit=1)
        made = enqueued_at(head[0].id) if head else None
        if made is not None:
            oldest = round(max(0.0, time.time() - made), 1)
    return {"depth": depth, "scheduled": HUEY.scheduled_count(), "oldest_waiting_s": oldest}


def record_heartbeat() -> None:
    """A worker is running (nekosite.tasks.heartbeat, every minute, and at worker start-up)."""
    HUEY.storage.put_data(HEARTBEAT_KEY, str(time.time()).encode())


def worker_seen_seconds_ago() -> float | None:
    """Seconds since a worker last said it was running; None when none ever did."""
    value = HUEY.storage.peek_data(HEARTBEAT_KEY)
    if not value or not isinstance(value, bytes):
        return None
    return round(max(0.0, time.time() - float(value)), 1)
