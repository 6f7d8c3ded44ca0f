"""The scope registry: every scope a catalog API token can carry, in one place.

Seed 002 names `image:list` and `image:custom-expiry:<N>` (N = the longest link lifetime in
seconds the token may ask for); `image:submit` is ours (POST /api/v1/image, issue #22). Add new
scopes to SCOPES / PARAMETRIC_SCOPES.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

IMAGE_LIST = "image:list"
IMAGE_SUBMIT = "image:submit"
CUSTOM_EXPIRY_PREFIX = "image:custom-expiry:"

# Plain scopes: name -> what it allows (shown to staff when they approve an application).
SCOPES: dict[str, str] = {
    IMAGE_LIST: "List every image with GET /api/v1/image.",
    IMAGE_SUBMIT: "Submit images with POST /api/v1/image (staff review them before they show).",
}
# Scopes with a parameter: regex -> description.
PARAMETRIC_SCOPES: dict[str, str] = {
    r"image:custom-expiry:(\d{1,9})": "Ask for signed image links valid up to N seconds (expiry).",
}
_PARAMETRIC = [re.compile(f"^{pattern}$") for pattern in PARAMETRIC_SCOPES]


def is_known(scope: str) -> bool:
    return scope in SCOPES or any(p.match(scope) for p in _PARAMETRIC)


def unknown_scopes(scopes: Iterable[str]) -> list[str]:
    return [scope for scope in scopes if not is_known(scope)]


def has_scope(scopes: Iterable[str], scope: str) -> bool:
    return scope in set(scopes)


def max_custom_expiry(scopes: Iterable[str]) -> int | None:
    """The largest N of the `image:custom-expiry:<N>` scopes, or None when there is none."""
    values = [
        int(scope[len(CUSTOM_EXPIRY_PREFIX) :])
        for scope in scopes
        if scope.startswith(CUSTOM_EXPIRY_PREFIX) and scope[len(CUSTOM_EXPIRY_PREFIX) :].isdigit()
    ]
    return max(values) if values else None


def choices() -> list[tuple[str, str]]:
    """(scope, description) pairs for forms; parametric scopes appear with an example value."""
    examples = [
        (f"{CUSTOM_EXPIRY_PREFIX}86400", PARAMETRIC_SCOPES[r"image:custom-expiry:(\d{1,9})"])
    ]
    return [*SCOPES.items(), *examples]
