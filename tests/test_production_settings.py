"""Production mode refuses to start half-configured and passes `check --deploy`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "k3Yq9-" + "x7Rt2pLm4Vz8" * 6
STRONG_TOKEN_SECRET = "Tq8w-" + "mN3bV6cX9zL1" * 6


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION_ENV = {
    "PRODUCTION": "true",
    "SECRET_KEY": STRONG_KEY,
    "TOKEN_SECRET": STRONG_TOKEN_SECRET,
    "ALLOWED_HOSTS": "example.org",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/nekosite_unused",
    "REDIS_URL": "redis://127.0.0.1:6379/9",
}


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_refuses_to_start_without_required_setting(missing: str) -> None:
    env = {**PRODUCTION_ENV}
    env[missing] = ""
    result = _manage("check", **env)
    assert result.returncode != 0
    assert f"{missing} is required when PRODUCTION is on." in result.stderr


def test_production_rate_limits_without_redis_fail_the_system_check() -> None:
    """Counters in each process's memory would multiply every limit by the number of workers."""
    result = _manage("check", **{**PRODUCTION_ENV, "REDIS_URL": "", "RATELIMIT_ENABLE": "true"})
    assert result.returncode != 0
    assert "accounts.E001" in result.stderr
    assert "Rate limits need a shared cache in production." in result.stderr
    off = _manage("check", **{**PRODUCTION_ENV, "REDIS_URL": "", "RATELIMIT_ENABLE": "false"})
    assert off.returncode == 0, off.stderr


def test_production_check_deploy_reports_nothing() -> None:
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_turns_on_secure_cookies_hsts_and_ssl_redirect() -> None:
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.CSRF_COOKIE_HTTPONLY, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS >= 31536000)"
    )
    result = _manage("shell", "-c", code, **PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["True"] * 6


def test_debug_with_production_is_refused() -> None:
    result = _manage("check", **PRODUCTION_ENV, DEBUG="true")
    assert "DEBUG must be off when PRODUCTION is on." in result.stderr


def _example_value(path: str, name: str) -> str:
    for line in (ROOT / path).read_text().splitlines():
        if line.lstrip("# ").startswith(f"{name}="):
            return line.split("=", 1)[1].strip()
    raise AssertionError(f"{name} not in {path}")


@pytest.mark.parametrize(
    ("overrides", "error_id"),
    [
        # The key shipped in deploy/.env.production.example, as issue #17 found it accepted.
        (
            {"SECRET_KEY": _example_value("deploy/.env.production.example", "SECRET_KEY")},
            "nekosite.E001",
        ),
        ({"SECRET_KEY": "django-insecure-" + "a1b2c3d4e5" * 5}, "nekosite.E001"),
        ({"SECRET_KEY": STRONG_KEY[:49]}, "nekosite.E002"),
        ({"SECRET_KEY": "ab" * 40}, "nekosite.E002"),
        ({"TOKEN_SECRET": ""}, "nekosite.E003"),  # defaults to SECRET_KEY
        ({"TOKEN_SECRET": STRONG_KEY}, "nekosite.E003"),
        (
            {"TOKEN_SECRET": _example_value("deploy/.env.production.example", "TOKEN_SECRET")},
            "nekosite.E004",
        ),
        ({"TOKEN_SECRET": STRONG_TOKEN_SECRET[:40]}, "nekosite.E005"),
        ({"WEBHOOK_ALLOW_PRIVATE_TARGETS": "true"}, "nekosite.E006"),
    ],
)
def test_production_refuses_placeholder_short_or_reused_keys(
    overrides: dict[str, str], error_id: str
) -> None:
    result = _manage("check", **{**PRODUCTION_ENV, **overrides})
    assert result.returncode != 0, result.stdout
    assert error_id in result.stderr


def test_placeholder_keys_are_fine_outside_production() -> None:
    env = {**PRODUCTION_ENV, "PRODUCTION": "false", "SECRET_KEY": "short", "TOKEN_SECRET": ""}
    result = _manage("check", **env)
    assert result.returncode == 0, result.stderr
