"""Every seed-004 endpoint is documented in /api/schema/, with its header parameters."""

from __future__ import annotations

import re

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


def _operation(client: Client, path: str) -> dict:
    return yaml.safe_load(client.get("/api/schema/").content)["paths"][path]["post"]


def test_required_headers_must_not_be_empty_in_the_schema(client: Client) -> None:
    """An empty `username:` header is a 400 ("The username header is required."), so the
    schema must not call it valid (schemathesis found the mismatch)."""
    params = {p["name"]: p for p in _operation(client, "/api/token/get")["parameters"]}
    for name in ("username", "password"):
        pattern = re.compile(params[name]["schema"]["pattern"])
        assert params[name]["required"] is True
        assert not pattern.match("")
        assert not pattern.match("bad\x01value")
        assert pattern.match("Moptop ünïcode")


def test_empty_header_is_still_a_400(client: Client) -> None:
    response = client.post("/api/token/get", HTTP_USERNAME="", HTTP_PASSWORD="x")
    assert response.status_code == 400
    assert response.json() == {
        "code": 400,
        "message": "The username header is required.",
        "success": False,
    }


def test_signup_schema_states_the_username_and_password_rules(client: Client) -> None:
    params = {p["name"]: p["schema"] for p in _operation(client, "/api/user/signup")["parameters"]}
    username = re.compile(params["username"]["pattern"])
    assert params["username"]["maxLength"] == 150
    assert username.match("moptop.42@example+x-y_z") and not username.match("mop top")
    password = re.compile(params["password"]["pattern"])
    assert params["password"]["minLength"] == 8
    assert password.match("a long passphrase 42") and not password.match("12345678")


def test_json_lists_and_plain_text_answers_are_documented_as_such(client: Client) -> None:
    listed = _operation(client, "/api/files/list")["responses"]["200"]["content"]
    assert listed["application/json"]["schema"] == {"type": "array", "items": {"type": "string"}}
    valid = _operation(client, "/api/token/valid")["responses"]
    assert set(valid["200"]["content"]) == {"text/plain"}


def test_each_endpoint_documents_the_errors_it_can_answer_in_the_envelope(client: Client) -> None:
    expected = {
        "/api/token/valid": {"400", "401", "429"},
        "/api/files/upload": {"400", "401", "413", "415", "429"},
        "/api/files/delete": {"400", "401", "404", "429"},
        "/api/user/signup": {"400", "403", "409", "429"},
        "/api/admin/delete/user": {"400", "401", "403", "404", "429"},
    }
    for path, statuses in expected.items():
        responses = _operation(client, path)["responses"]
        assert set(responses) - {"200"} == statuses, path
        for status in statuses:
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}
    assert "Retry-After" in _operation(client, "/api/token/get")["responses"]["429"]["headers"]
