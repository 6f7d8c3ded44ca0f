from __future__ import annotations

import os

from django.apps import AppConfig


class TaskAppConfig(AppConfig):
    """Test-only tasks for tests/test_task_worker.py's real workers (tests/worker_settings.py)."""

    name = "tests.taskapp"
    label = "taskapp"

    def ready(self) -> None:
        if os.environ.get("TASK_TEST_FAST_SCHEDULER"):
            # huey's scheduler looks for due periodic tasks once a minute; the periodic-task
            # test looks every second so that a schedule in seconds (tasks.tick) can be seen
            # in a few seconds. Production keeps huey's minute.
            from huey.consumer import Scheduler

            Scheduler.periodic_task_seconds = 1
