"""Every seed-004 endpoint is documented in /api/schema/, with its header parameters."""

from __future__ import annotations

import pytest
import yaml
from django.test import Client

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "/api/info": "get",
    "/api/user/info": "post",
    "/api/user/signup": "post",
    "/api/user/delete": "post",
    "/api/user/passreset": "post",
    "/api/token/get": "post",
    "/api/token/regen": "post",
    "/api/token/valid": "post",
    "/api/files/list": "post",
    "/api/files/upload": "post",
    "/api/files/delete": "post",
    "/api/admin/signup": "post",
    "/api/admin/regkeygen": "post",
    "/api/admin/token/valid": "post",
    "/api/admin/token/get": "post",
    "/api/admin/list/uploads": "post",
    "/api/admin/list/users": "post",
    "/api/admin/delete/file": "post",
    "/api/admin/delete/user": "post",
}


def test_schema_lists_every_file_host_endpoint(client: Client) -> None:
    schema = yaml.safe_load(client.get("/api/schema/").content)
    for path, method in ENDPOINTS.items():
        assert method in schema["paths"][path], path


def test_schema_documents_header_parameters(client: Client) -> None:
    schema = yaml.safe_load(client.get("/api/schema/").content)
    params = schema["paths"]["/api/files/delete"]["post"]["parameters"]
    assert {(p["name"], p["in"]) for p in params} >= {("token", "header"), ("file", "header")}
    upload = schema["paths"]["/api/files/upload"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload
