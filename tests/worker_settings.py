"""Settings of the real workers and producers of tests/test_task_worker.py: the site's own
settings plus the test-only tasks of tests/taskapp."""

from nekosite.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.taskapp.apps.TaskAppConfig"]  # noqa: F405
