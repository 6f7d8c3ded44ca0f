"""OpenAPI: every /api/v1 endpoint is described; the docs page loads no external asset."""

from __future__ import annotations

import re

import pytest
import yaml
from django.test import Client

pytestmark = pytest.mark.django_db

V1_PATHS = {
    "/api/v1",
    "/api/v1/stats",
    "/api/v1/token",
    "/api/v1/image",
    "/api/v1/image/random",
    "/api/v1/image/{id}",
    "/api/v1/artist",
    "/api/v1/artist/{id}",
    "/api/v1/artist/{id}/images",
    "/api/v1/character",
    "/api/v1/character/{id}",
    "/api/v1/category",
    "/api/v1/category/{id}",
}


def _schema(client: Client) -> dict:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    content = response.getvalue()  # streamed or not
    return yaml.safe_load(content)


def test_schema_lists_every_v1_path_with_its_errors(client: Client) -> None:
    schema = _schema(client)
    v1 = {path for path in schema["paths"] if path.startswith("/api/v1")}
    assert v1 == V1_PATHS
    for path in V1_PATHS:
        operation = schema["paths"][path]["get"]
        assert "200" in operation["responses"]
        assert "429" in operation["responses"]
    image_list = schema["paths"]["/api/v1/image"]["get"]
    assert {"400", "401", "403"} <= set(image_list["responses"])
    assert {p["name"] for p in image_list["parameters"]} >= {"limit", "offset", "expiry"}
    detail = schema["paths"]["/api/v1/category/{id}"]["get"]
    assert {"400", "404"} <= set(detail["responses"])


def test_schema_describes_the_image_object(client: Client) -> None:
    image = _schema(client)["components"]["schemas"]["Image"]
    assert set(image["properties"]) == {
        "id",
        "url",
        "artist",
        "source",
        "nsfw",
        "categories",
        "characters",
        "createdAt",
        "meta",
        "original",
    }


def test_docs_page_loads_without_any_external_url(client: Client) -> None:
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    external = [
        url
        for url in re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", html)
        if url.startswith(("http:", "https:", "//"))
    ]
    assert external == []
    assert "cdn" not in html.lower()


def test_schema_declares_the_bearer_token(client: Client) -> None:
    schema = _schema(client)
    assert schema["components"]["securitySchemes"]["CatalogToken"]["scheme"] == "bearer"
    # Required on /token and /image, optional ({}) everywhere else.
    assert schema["paths"]["/api/v1/image"]["get"]["security"] == [{"CatalogToken": []}]
    assert schema["paths"]["/api/v1/token"]["get"]["security"] == [{"CatalogToken": []}]
    assert {} in schema["paths"]["/api/v1/image/random"]["get"]["security"]


def test_schema_says_which_search_queries_and_offsets_are_valid(client: Client) -> None:
    """What schemathesis (.ci/fuzz) generates must be what the API accepts: a search has no
    control characters; an offset has no upper bound (past the end is an empty page)."""
    parameters = {
        p["name"]: p["schema"]
        for p in _schema(client)["paths"]["/api/v1/artist"]["get"]["parameters"]
    }
    assert parameters["search"]["maxLength"] == 50
    pattern = re.compile(parameters["search"]["pattern"])
    assert pattern.match("Megumin (Konosuba)|Aqua%")
    assert not pattern.match("Megu\x0cmin")
    assert parameters["offset"]["minimum"] == 0 and "maximum" not in parameters["offset"]
    assert (parameters["limit"]["minimum"], parameters["limit"]["maximum"]) == (1, 25)


def test_schema_documents_errors_and_rate_limit_headers(client: Client) -> None:
    schema = _schema(client)
    responses = schema["paths"]["/api/v1/image/random"]["get"]["responses"]
    error = responses["400"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/Error"}
    assert set(schema["components"]["schemas"]["Error"]["properties"]) == {
        "code",
        "message",
        "success",
    }
    # Seed 003's headers, sent while rate limits are on; Retry-After on every 429 (seed 001).
    assert responses["200"]["headers"]["X-RateLimit-Remaining"]["required"] is False
    assert responses["429"]["headers"]["Retry-After"]["required"] is True
