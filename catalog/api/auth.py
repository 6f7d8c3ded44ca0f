"""How the catalog API's bearer token appears in the OpenAPI schema (and Swagger's Authorize).

The views check the token themselves (catalog/api/inputs.py) because seed 002 words the 401
differently per endpoint; this authentication class only describes the scheme to drf-spectacular
and never authenticates anything.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request


class CatalogTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> None:
        return None

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"


class CatalogTokenScheme(OpenApiAuthenticationExtension):
    target_class = CatalogTokenAuthentication
    name = "CatalogToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A 100-character catalog API token, sent as `Authorization: Bearer <token>`. "
                "Needed for /token and /image (scope image:list) and for `expiry` "
                "(scope image:custom-expiry:<N>); a wrong, revoked or expired token is a 401 "
                "on every endpoint."
            ),
        }
