"""deploy/systemd/nekosite-worker@.service: the production task worker (issue #19). The
integration stack starts its ExecStart (tests/integration/conftest.py)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "deploy" / "systemd" / "nekosite-worker@.service"


def _directives() -> dict[str, str]:
    found = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            found[key.strip()] = value.strip()
    return found


def test_the_worker_unit_runs_run_huey_like_the_app_servers_run_gunicorn() -> None:
    unit, app = _directives(), (ROOT / "deploy" / "systemd" / "nekosite@.service").read_text()
    assert unit["ExecStart"] == "/srv/nekosite/.venv/bin/python manage.py run_huey"
    for key in ("User", "Group", "WorkingDirectory", "EnvironmentFile", "ReadWritePaths"):
        assert f"{key}={unit[key]}\n" in app, key
    assert (unit["NoNewPrivileges"], unit["ProtectSystem"]) == ("true", "full")


def test_the_worker_unit_stops_huey_gracefully_and_restarts_it_after_a_crash() -> None:
    unit = _directives()
    # SIGINT: huey takes no new task and lets running ones finish; SIGTERM would stop at once.
    assert unit["KillSignal"] == "SIGINT"
    assert int(unit["TimeoutStopSec"]) >= 30
    assert unit["Restart"] == "on-failure"


def test_no_systemd_timer_is_left_for_the_storage_check() -> None:
    """It is an hourly periodic task now (uploads/tasks.py)."""
    assert sorted(p.name for p in (ROOT / "deploy" / "systemd").iterdir()) == [
        "nekosite-worker@.service",
        "nekosite@.service",
    ]
