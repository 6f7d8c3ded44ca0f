"""Parsing of the per-upload options (issue #20): every header's good and bad values."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import RequestFactory

from uploads import options
from uploads.options import OptionError, UploadOptions


@pytest.mark.parametrize(("text", "seconds"), [
    ("90s", 90), ("30m", 1800), ("12h", 43200), ("7d", 604800), ("2w", 1209600), ("3600", 3600),
    (" 10S ", 10), ("365d", 31536000),
])  # fmt: skip
def test_durations_in_every_unit(text: str, seconds: int) -> None:
    assert options.parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "soon", "1y", "-5m", "1.5h", "9s", "366d", "5 minutes"])
def test_bad_or_out_of_range_durations_are_refused(text: str) -> None:
    with pytest.raises(OptionError, match="expires"):
        options.parse_duration(text)


def test_durations_are_shown_in_the_largest_whole_unit() -> None:
    assert [options.format_duration(timedelta(seconds=s)) for s in (90, 1800, 86400, 1209600)] == [
        "90s", "30m", "1d", "2w",
    ]  # fmt: skip


@pytest.mark.parametrize("text", ["0", "-1", "ten", "1.0", "1000001", ""])
def test_max_views_must_be_a_positive_whole_number(text: str) -> None:
    with pytest.raises(OptionError, match="max-views"):
        options.parse_views(text)


@pytest.mark.parametrize(("text", "color"), [("#FF66AA", "#ff66aa"), ("00ff00", "#00ff00")])
def test_embed_colours_are_normalised(text: str, color: str) -> None:
    assert options.parse_color(text) == color


@pytest.mark.parametrize("text", ["red", "#fff", "#12345g", "rgb(0,0,0)"])
def test_other_colour_spellings_are_refused(text: str) -> None:
    with pytest.raises(OptionError, match="embed-color"):
        options.parse_color(text)


def test_headers_become_options_and_no_header_is_the_seeds_behaviour() -> None:
    factory = RequestFactory()
    assert options.from_headers(factory.post("/api/files/upload")) == UploadOptions()
    request = factory.post(
        "/api/files/upload",
        HTTP_EXPIRES="1h",
        HTTP_MAX_VIEWS="3",
        HTTP_FILE_PASSWORD="open sesame",
        HTTP_KEEP_METADATA="true",
        HTTP_EMBED_TITLE="  My   cat  ",
        HTTP_EMBED_COLOR="#FFAA00",
        HTTP_EMBED="true",
    )
    assert options.from_headers(request) == UploadOptions(
        expires_in=timedelta(hours=1),
        max_views=3,
        password="open sesame",
        keep_metadata=True,
        embed_title="My cat",
        embed_color="#ffaa00",
        want_embed_url=True,
    )


@pytest.mark.parametrize(("header", "value", "named"), [
    ("HTTP_FILE_PASSWORD", "abc", "file-password"),
    ("HTTP_KEEP_METADATA", "maybe", "keep-metadata"),
    ("HTTP_EMBED_TITLE", "x" * 101, "embed-title"),
    ("HTTP_EMBED", "2", "embed"),
])  # fmt: skip
def test_a_bad_header_is_named_in_the_error(header: str, value: str, named: str) -> None:
    request = RequestFactory().post("/api/files/upload")
    request.META[header] = value
    with pytest.raises(OptionError, match=named):
        options.from_headers(request)


def test_the_schema_patterns_accept_only_what_the_parsers_accept() -> None:
    """A request the OpenAPI schema calls valid must never get a 400 (schemathesis checks it)."""
    import re

    expires = re.compile(options.EXPIRES_PATTERN)
    for unit, size in (("", 1), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400), ("w", 604800)):
        for number in [*range(0, 130), *range(8700, 8800), 52, 53, 365, 366, 525600, 525601,
                       31536000, 31536001, 99999999]:  # fmt: skip
            text = f"{number}{unit}"
            try:
                options.parse_duration(text)
                parsed = True
            except OptionError:
                parsed = False
            if expires.match(text):
                assert parsed, text
            elif number >= 1 and options.MIN_EXPIRY.total_seconds() <= number * size <= (
                options.MAX_EXPIRY.total_seconds()
            ):
                raise AssertionError(f"{text} is valid but the schema refuses it")
    views = re.compile(options.MAX_VIEWS_PATTERN)
    for number in [0, 1, 9, 10, 999999, 1000000, 1000001]:
        ok = bool(views.match(str(number)))
        assert ok == (1 <= number <= options.MAX_VIEWS), number
    password = re.compile(options.PASSWORD_PATTERN)
    assert (
        password.match("open sesame")
        and not password.match(" open")
        and not password.match("open ")
    )


def test_one_line_values_refuse_tabs_and_form_text_keeps_its_line_breaks() -> None:
    with pytest.raises(OptionError, match="control characters"):
        options.parse_text("a\tb", name="embed-description", limit=300, one_line=True)
    with pytest.raises(OptionError, match="control characters"):
        options.parse_text("a\x00b", name="embed-description", limit=300)
    assert options.parse_text("A cat\nin a hat", name="embed-description", limit=300) == (
        "A cat in a hat"
    )
