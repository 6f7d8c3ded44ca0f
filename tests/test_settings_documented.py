"""Every setting read from the environment is documented in README's table and .env.example."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = (ROOT / "nekosite" / "settings.py").read_text()
GUNICORN = (ROOT / "deploy" / "gunicorn.conf.py").read_text()
NAMES = sorted(
    set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z0-9_]+)"', SETTINGS))
    | set(re.findall(r"os\.environ\.get\(\s*[\"']([A-Z0-9_]+)[\"']", GUNICORN))
)


def test_settings_are_found() -> None:
    assert {"DATABASE_URL", "READ_CACHE_MS", "RATELIMIT_ENABLE", "GUNICORN_WORKERS"} <= set(NAMES)


def test_every_setting_is_in_the_readme_table() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in NAMES if f"| `{name}`" not in readme and f"`{name}` /" not in readme
               and f"/ `{name}`" not in readme]  # fmt: skip
    assert missing == []


def test_every_setting_is_in_env_example() -> None:
    example = (ROOT / ".env.example").read_text()
    missing = [name for name in NAMES if f"# {name}=" not in example]
    assert missing == []
