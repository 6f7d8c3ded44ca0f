"""pytest plugin loaded with -p (pyproject addopts), before pytest-django reads the settings.

Each test run gets its own var/ (SQLite file, media, uploads, secret key), so tests never touch
the developer's data. Limits are relaxed for the suite; rate-limit tests switch them on.
"""

from __future__ import annotations

import os
import shutil
import tempfile

_VAR_DIR = tempfile.mkdtemp(prefix="nekosite-test-")
os.environ["VAR_DIR"] = _VAR_DIR
os.makedirs(os.path.join(_VAR_DIR, "static"), exist_ok=True)
os.environ.setdefault("PLAIN_STATICFILES", "true")
os.environ.setdefault("RATELIMIT_ENABLE", "false")
# Queued tasks run at once in the test process (in-memory queue); tests/test_task_worker.py and
# the real servers run real workers.
os.environ.setdefault("TASKS_IMMEDIATE", "true")
# Django's test Client sends no User-Agent; the API-conventions tests switch the rule on.
os.environ.setdefault("REQUIRE_USER_AGENT", "false")
# Playwright's sync API runs an event loop in the test thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# A real deployment sets this; tests must not depend on the machine's environment.
os.environ.pop("PRODUCTION", None)


def pytest_unconfigure(config: object) -> None:
    shutil.rmtree(_VAR_DIR, ignore_errors=True)
