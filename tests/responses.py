"""Helpers for reading the test client's responses."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from django.http.response import HttpResponseBase


def streamed_body(response: HttpResponseBase) -> bytes:
    """The whole body of a streaming response (stored files are streamed, never buffered)."""
    assert isinstance(response, StreamingHttpResponse), f"not streamed: {type(response)}"
    return b"".join(response)
