"""Fast JSON for the catalog API: orjson instead of the standard library's encoder."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.utils.mediatypes import media_type_matches


def _fallback(value: Any) -> Any:
    # DRF's OPTIONS metadata carries lazy translation strings.
    return str(value)


class OrjsonRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        return orjson.dumps(data, default=_fallback)


class JsonOnlyNegotiation(BaseContentNegotiation):
    """The API speaks JSON only: answer JSON whatever the Accept header says (no 406). Bodies
    are read only in the media type the view parses (seed 003: JSON bodies need
    `Content-Type: application/json`; an image is multipart): another one is a 415."""

    # DRF hands both methods its lists; the stubs say any Iterable.
    def select_parser(self, request: Request, parsers: list[Any]) -> Any:  # type: ignore[override]
        for parser in parsers:
            if media_type_matches(parser.media_type, request.content_type):
                return parser
        return None

    def select_renderer(  # type: ignore[override]
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = renderers[0]
        return renderer, renderer.media_type
