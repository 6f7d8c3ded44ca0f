"""Per-upload options (issue #20): what a client may ask for when it uploads, and later.

On `POST /api/files/upload` they are optional request headers, in the seed's header style
(seed 004 authenticates with a `token` header); on the dashboard, form fields. A client that
sends none gets exactly the seed's behaviour.

Headers: `expires` (a duration), `max-views`, `file-password`, `keep-metadata`, `embed-title`,
`embed-color`, `embed-description`, `embed` (the answer also carries the embed page's URL).
README.md, "Upload options", has the table of values and effects.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from django.http import HttpRequest

MAX_EXPIRY = timedelta(days=365)
MIN_EXPIRY = timedelta(seconds=10)
MAX_VIEWS = 1_000_000
PASSWORD_LENGTH = (4, 128)
TITLE_LENGTH = 100
DESCRIPTION_LENGTH = 300
_DURATION = re.compile(r"^\s*(\d{1,9})\s*([smhdw]?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_COLOR = re.compile(r"^#?([0-9a-fA-F]{6})$")


# The values the parsers accept, as the OpenAPI schema states them (uploads/api/views.py), so
# that a request the schema calls valid is never refused: every unit's range from 10 seconds
# to 365 days, without leading zeros (uploads/tests/test_options.py checks them against the
# parsers).
EXPIRES_PATTERN = (
    "^(?:"
    "(?:[1-9][0-9]{1,6}|[12][0-9]{7}|30[0-9]{6}|31[0-4][0-9]{5}|315[0-2][0-9]{4}"
    "|3153[0-5][0-9]{3}|31536000)[sS]?"
    "|(?:[1-9][0-9]{0,4}|[1-4][0-9]{5}|5[01][0-9]{4}|52[0-4][0-9]{3}|525[0-5][0-9]{2}|525600)[mM]"
    "|(?:[1-9][0-9]{0,2}|[1-7][0-9]{3}|8[0-6][0-9]{2}|87[0-5][0-9]|8760)[hH]"
    "|(?:[1-9][0-9]?|[12][0-9]{2}|3[0-5][0-9]|36[0-5])[dD]"
    "|(?:[1-9]|[1-4][0-9]|5[0-2])[wW]"
    ")$"
)
MAX_VIEWS_PATTERN = "^(?:[1-9][0-9]{0,5}|1000000)$"
# Passwords: 4 to 128 characters, no space at either end (HTTP servers strip those from header
# values).
# Header values are Latin-1: the schema lists its printable characters (the parsers, which also
# read the dashboard's forms, accept any text without control characters).
PASSWORD_PATTERN = r"^[\x21-\x7e\xa1-\xff](?:[\x20-\x7e\xa0-\xff]*[\x21-\x7e\xa1-\xff])?$"  # noqa: S105
TEXT_PATTERN = r"^[\x20-\x7e\xa0-\xff]*$"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # in one-line values (headers, tus metadata)
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # forms


class OptionError(ValueError):
    """An option value the client must fix; the message names the option."""


def parse_duration(text: str, *, name: str = "expires") -> timedelta:
    match = _DURATION.match(text)
    if match is None:
        raise OptionError(
            f"{name} must be a duration such as 90s, 30m, 12h, 7d or 2w (or a number of seconds)."
        )
    value = timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2).lower()])
    if value < MIN_EXPIRY or value > MAX_EXPIRY:
        raise OptionError(f"{name} must be between 10 seconds and 365 days.")
    return value


def format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_views(text: str, *, name: str = "max-views") -> int:
    text = text.strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_VIEWS:
        raise OptionError(f"{name} must be a whole number from 1 to {MAX_VIEWS:,}.")
    return int(text)


def parse_bool(text: str, *, name: str) -> bool:
    """Exactly `true` or `false` (what the OpenAPI schema's enum says)."""
    value = text.strip()
    if value == "true":
        return True
    if value == "false":
        return False
    raise OptionError(f"{name} must be true or false.")


def parse_password(text: str, *, name: str = "file-password") -> str:
    low, high = PASSWORD_LENGTH
    if not low <= len(text) <= high:
        raise OptionError(f"{name} must be {low} to {high} characters long.")
    if _CONTROL.search(text):
        raise OptionError(f"{name} must not contain control characters.")
    return text


def parse_color(text: str, *, name: str = "embed-color") -> str:
    match = _COLOR.match(text.strip())
    if match is None:
        raise OptionError(f"{name} must be a colour like #ff66aa.")
    return "#" + match.group(1).lower()


def parse_text(text: str, *, name: str, limit: int, one_line: bool = False) -> str:
    """Whitespace runs become one space. `one_line` (headers, tus metadata): no tab or line
    break either, as the OpenAPI schema says; a form's text area may have line breaks."""
    if (_CONTROL if one_line else _CONTROL_BUT_LINES).search(text):
        raise OptionError(f"{name} must not contain control characters.")
    value = " ".join(text.split())
    if len(text.strip()) > limit:
        raise OptionError(f"{name} must be at most {limit} characters long.")
    return value


@dataclass(frozen=True)
class UploadOptions:
    """What the uploader asked for; the defaults are the seed's behaviour."""

    expires_in: timedelta | None = None
    max_views: int | None = None
    password: str | None = None
    keep_metadata: bool = False
    embed_title: str = ""
    embed_color: str = ""
    embed_description: str = ""
    want_embed_url: bool = False
    # Already hashed: a resumable upload (uploads/tus.py) keeps only the hash until it finishes.
    password_hash: str = ""


# Header name -> (UploadOptions field, parser). Django exposes `max-views` as HTTP_MAX_VIEWS.
_HEADERS = {
    "expires": ("expires_in", lambda v: parse_duration(v)),
    "max-views": ("max_views", lambda v: parse_views(v)),
    "file-password": ("password", lambda v: parse_password(v)),
    "keep-metadata": ("keep_metadata", lambda v: parse_bool(v, name="keep-metadata")),
    "embed-title": (
        "embed_title",
        lambda v: parse_text(v, name="embed-title", limit=TITLE_LENGTH, one_line=True),
    ),
    "embed-color": ("embed_color", lambda v: parse_color(v)),
    "embed-description": (
        "embed_description",
        lambda v: parse_text(v, name="embed-description", limit=DESCRIPTION_LENGTH, one_line=True),
    ),
    "embed": ("want_embed_url", lambda v: parse_bool(v, name="embed")),
}
HEADER_NAMES = tuple(_HEADERS)


def from_headers(request: HttpRequest) -> UploadOptions:
    """The options of an API upload; OptionError names the first header that is wrong."""
    sent = {
        header: raw
        for header in HEADER_NAMES
        if (raw := request.META.get("HTTP_" + header.upper().replace("-", "_"))) is not None
    }
    return from_values(sent)


def from_values(sent: Mapping[str, str], *, names: Iterable[str] = HEADER_NAMES) -> UploadOptions:
    """The options named `names` among `sent` (header or tus metadata name -> text), parsed
    as the headers are; other keys are ignored. OptionError names the first one that is wrong."""
    values: dict[str, object] = {}
    for name in names:
        field, parse = _HEADERS[name]
        if name in sent:
            values[field] = parse(sent[name])
    return UploadOptions(**values)  # type: ignore[arg-type]
