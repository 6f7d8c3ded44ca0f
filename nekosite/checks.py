"""System checks of the site's own settings (run by `manage.py check`, `migrate` and tests).

In production a signing key that is a shipped placeholder, short, or used for two purposes is
an error: anyone who has read the example file (or one leaked key) could forge sessions, signed
image links and every API token. So is WEBHOOK_ALLOW_PRIVATE_TARGETS: it would let users point
webhooks at this host's own network.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import Error, register

MIN_KEY_LENGTH = 50
MIN_KEY_UNIQUE_CHARACTERS = 5  # Django's own rule for SECRET_KEY (security.W009)
# Words that only a placeholder contains; the values shipped in the example files count too.
PLACEHOLDER_MARKERS = ("change-me", "changeme", "change_me", "replace-me", "placeholder",
                       "django-insecure", "example", "your-secret")  # fmt: skip
EXAMPLE_FILES = (".env.example", "deploy/.env.production.example")
_KEY_LINE = re.compile(r"^\s*#?\s*(SECRET_KEY|TOKEN_SECRET)=(.+?)\s*$", re.MULTILINE)


def shipped_placeholders() -> set[str]:
    """The SECRET_KEY/TOKEN_SECRET values written in the example env files of this checkout."""
    values: set[str] = set()
    for name in EXAMPLE_FILES:
        path = Path(settings.BASE_DIR) / name
        if path.exists():
            values.update(value for _, value in _KEY_LINE.findall(path.read_text()))
    return values


def _is_placeholder(key: str) -> bool:
    lowered = key.lower()
    return key in shipped_placeholders() or any(mark in lowered for mark in PLACEHOLDER_MARKERS)


def _is_weak(key: str) -> bool:
    return len(key) < MIN_KEY_LENGTH or len(set(key)) < MIN_KEY_UNIQUE_CHARACTERS


@register(deploy=False)
def production_keys_are_strong_and_separate(**kwargs: Any) -> list[Error]:
    """PRODUCTION=true refuses placeholder, short and reused signing keys."""
    if not settings.PRODUCTION:
        return []
    errors = []
    for name, placeholder_id, weak_id in (
        ("SECRET_KEY", "nekosite.E001", "nekosite.E002"),
        ("TOKEN_SECRET", "nekosite.E004", "nekosite.E005"),
    ):
        key = str(getattr(settings, name))
        if _is_placeholder(key):
            errors.append(
                Error(
                    f"{name} is a placeholder.",
                    hint=f"Set {name} to a new random value, e.g. the output of "
                    "`python3 -c 'import secrets; print(secrets.token_urlsafe(50))'`.",
                    id=placeholder_id,
                )
            )
        elif _is_weak(key):
            errors.append(
                Error(
                    f"{name} is too short or too simple for production.",
                    hint=f"Use at least {MIN_KEY_LENGTH} random characters.",
                    id=weak_id,
                )
            )
    if settings.TOKEN_SECRET == settings.SECRET_KEY:
        errors.append(
            Error(
                "TOKEN_SECRET must have its own value in production, not SECRET_KEY's.",
                hint="Set TOKEN_SECRET to another random value of 50 or more characters. "
                "Changing it changes every API and file-host token.",
                id="nekosite.E003",
            )
        )
    return errors


@register(deploy=False)
def production_webhooks_reach_public_addresses_only(**kwargs: Any) -> list[Error]:
    """Webhooks must not reach this host or its network in production (webhooks/targets.py)."""
    if settings.PRODUCTION and settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        return [
            Error(
                "WEBHOOK_ALLOW_PRIVATE_TARGETS must be off in production.",
                hint="It lets any user make the server send requests to loopback, private and "
                "link-local addresses (the database, the cloud metadata service); it is for "
                "tests and development.",
                id="nekosite.E006",
            )
        ]
    return []
