"""Linear-time REGEXP for SQLite, backed by google-re2.

Django's SQLite backend evaluates __regex/__iregex with Python's backtracking `re`, where a
pattern such as (a+)+$ never finishes. We replace the REGEXP function on every new SQLite
connection with RE2, whose matching time is linear in the input.
"""

from __future__ import annotations

import functools
from typing import Any

import re2
from django.db.backends.signals import connection_created


@functools.lru_cache(maxsize=512)
def _compile(pattern: str) -> Any:
    options = re2.Options()
    options.max_mem = 8 << 20
    return re2.compile(pattern, options)


def _regexp(pattern: str | None, value: Any) -> bool | None:
    if pattern is None or value is None:
        return None
    try:
        compiled = _compile(pattern)
    except re2.error:
        return False
    return compiled.search(str(value)) is not None


def _on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("REGEXP", 2, _regexp, deterministic=True)


def install() -> None:
    connection_created.connect(_on_connection_created, dispatch_uid="nekosite-re2-regexp")
