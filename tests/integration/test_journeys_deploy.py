"""Issue 16: every browser journey of tests/browser/test_journeys.py again, through the deploy/
stack (nginx with deploy/nginx/nekosite.conf, two gunicorn app servers with
deploy/gunicorn.conf.py, PostgreSQL, Redis, files by X-Accel-Redirect on their own origin)."""

from __future__ import annotations

import pytest

from tests.browser.test_journeys import *  # noqa: F403
from tests.realserver import RealServer


@pytest.fixture
def site(deploy_site: RealServer) -> RealServer:
    return deploy_site
