"""Issue 16: /api/schema/ tells the truth about every response body.

The seed flows (seed 004's file host, seeds 001/002's catalog) run against `make run`'s real
server, calling every operation the schema lists. Each 2xx answer must be declared and match its
schema (schemathesis validates it), and a Python client generated from the schema with
openapi-python-client must parse every one of them. `/api/admin/token/get` was documented with no
body although it returns {"token"} (a fields dict shared by two inline_serializer calls is
emptied by DRF's serializer metaclass).
"""

from __future__ import annotations

import importlib
import io
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from PIL import Image as PillowImage

from tests.realserver import ADMIN_PASSWORD, ADMIN_USERNAME, RealServer

UA = {"User-Agent": "nekosite-contract-tests/1.0"}
PASSWORD = "a long passphrase 42"
CATALOG_TOKEN_SCRIPT = """
from accounts import services
from accounts.models import User
user = User.objects.create_user(username="{username}", password="unused passphrase 1")
application = services.application_request(
    user=user, name="contract", purpose="contract tests", scopes=["image:list"]
)
token = services.application_approve(
    application=application, scopes=["image:list"], expires_at=None,
    by=User.objects.get(username="{admin}"),
)
print(services.token_value(token=token))
"""
# The operator's own catalog token: staff (a superuser), allowed to submit too.
STAFF_TOKEN_SCRIPT = """
from accounts.models import User
from accounts.services import token_issue
boss = User.objects.get(username="{admin}")
print(token_issue(user=boss, kind="api", scopes=["image:submit"])[1])
"""


@dataclass
class Call:
    method: str
    template: str  # the schema's path
    path: str
    response: requests.Response


@dataclass
class SeedFlows:
    """Every operation of both APIs, in the order a client would call them."""

    site: RealServer
    calls: list[Call] = field(default_factory=list)

    def call(
        self,
        method: str,
        template: str,
        *,
        path: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        path = path or template
        for _ in range(10):
            response = requests.request(
                method,
                f"{self.site.url}{path}",
                headers={**UA, **(headers or {})},
                timeout=30,
                **kwargs,
            )
            if response.status_code != 429:
                break
            # Seed 003: "retry_after" is in milliseconds; a client waits that long.
            time.sleep(response.json()["retry_after"] / 1000 + 0.05)
        assert 200 <= response.status_code < 300, (method, path, response.text)
        self.calls.append(Call(method, template, path, response))
        return response

    def file_host(self) -> None:
        user, other = f"flow-{uuid.uuid4().hex[:8]}", f"flow-{uuid.uuid4().hex[:8]}"
        credentials = {"username": user, "password": PASSWORD}
        self.call("GET", "/api/info")
        for name in (user, other):
            self.call("POST", "/api/user/signup", headers={"username": name, "password": PASSWORD})
        token = self.call("POST", "/api/token/get", headers=credentials).json()["token"]
        self.call("POST", "/api/token/valid", headers={"token": token})
        self.call("POST", "/api/user/info", headers={"token": token})
        files = {"uploadFile": ("a.txt", b"hello", "text/plain")}
        url = self.call("POST", "/api/files/upload", headers={"token": token}, files=files).json()[
            "url"
        ]
        self.call("POST", "/api/files/list", headers={"token": token})
        # Issue #20: what chat apps ask about a shared link (a text file: a "link").
        self.call("GET", "/api/oembed", params={"url": url, "format": "json"})
        name = url.rsplit("/", 1)[1]
        self.call("POST", "/api/files/delete", headers={"token": token, "file": name})
        self.call("POST", "/api/token/regen", headers={"token": token})
        self.call(
            "POST", "/api/user/passreset", headers={**credentials, "newpassword": PASSWORD + "!"}
        )
        self.call(
            "POST",
            "/api/user/delete",
            headers={"username": user, "password": PASSWORD + "!"},
        )
        # The admin side, with the operator's account.
        self.call(
            "POST",
            "/api/admin/signup",
            headers={
                "username": f"mod-{uuid.uuid4().hex[:8]}",
                "password": PASSWORD,
                "adminkey": self.site.env["ADMIN_KEY"],
            },
        )
        admin = {"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}
        staff = self.call("POST", "/api/admin/token/get", headers=admin).json()["token"]
        self.call("POST", "/api/admin/token/valid", headers={"token": staff})
        self.call("POST", "/api/admin/regkeygen", headers={"token": staff})
        # Seed 004 says query " "; an empty value means the same (README: HTTP libraries
        # refuse a header value that is only whitespace).
        self.call("POST", "/api/admin/list/users", headers={"token": staff, "query": ""})
        other_token = self.call(
            "POST", "/api/token/get", headers={"username": other, "password": PASSWORD}
        ).json()["token"]
        url = self.call(
            "POST", "/api/files/upload", headers={"token": other_token}, files=files
        ).json()["url"]
        self.call("POST", "/api/admin/list/uploads", headers={"token": staff, "query": ""})
        self.call(
            "POST",
            "/api/admin/delete/file",
            headers={"token": staff, "file": url.rsplit("/", 1)[1]},
        )
        self.call("POST", "/api/admin/delete/user", headers={"token": staff, "username": other})

    def catalog(self, token: str) -> None:
        bearer = {"Authorization": f"Bearer {token}"}
        for path in ("/api/v1", "/api/v1/stats", "/api/v1/token"):
            self.call("GET", path, headers=bearer)
        self.call("GET", "/api/v1/image", headers=bearer, params={"limit": 3})
        self.call("GET", "/api/v1/image/random", headers=bearer, params={"limit": 2})
        image = self.call("GET", "/api/v1/image/random", headers=bearer).json()["data"][0]
        self.call("GET", "/api/v1/image/{id}", path=f"/api/v1/image/{image['id']}", headers=bearer)
        for kind in ("artist", "character", "category"):
            first = self.call("GET", f"/api/v1/{kind}", headers=bearer).json()["data"][0]
            self.call(
                "GET",
                f"/api/v1/{kind}/{{id}}",
                path=f"/api/v1/{kind}/{first['id']}",
                headers=bearer,
            )
            if kind == "artist":
                self.call(
                    "GET",
                    "/api/v1/artist/{id}/images",
                    path=f"/api/v1/artist/{first['id']}/images",
                    headers=bearer,
                )

    def catalog_writes(self, token: str) -> None:
        """Issue #22's write API: a submission, then staff edits of each kind."""
        bearer = {"Authorization": f"Bearer {token}"}
        picture = io.BytesIO()
        PillowImage.effect_noise((32, 32), 64).convert("RGB").save(picture, format="PNG")
        image = self.call(
            "POST",
            "/api/v1/image",
            headers=bearer,
            files={"file": ("contract.png", picture.getvalue(), "image/png")},
            data={"nsfw": "sfw", "source_name": "contract tests"},
        ).json()["data"]
        at = f"/api/v1/image/{image['id']}"
        self.call("PATCH", "/api/v1/image/{id}", path=at, headers=bearer, json={"original": True})
        bodies = {
            "artist": {"name": "Contract Artist", "url": "https://example.com/contract"},
            "character": {"name": "Contract Character", "ages": [17]},
            "category": {"name": f"contract-{uuid.uuid4().hex[:8]}", "nsfw": False},
        }
        for kind, body in bodies.items():
            created = self.call("POST", f"/api/v1/{kind}", headers=bearer, json=body).json()
            at = f"/api/v1/{kind}/{created['data']['id']}"
            template = f"/api/v1/{kind}/{{id}}"
            self.call("PATCH", template, path=at, headers=bearer, json={"name": f"{kind} renamed"})
            self.call("DELETE", template, path=at, headers=bearer)
        self.call(
            "DELETE", "/api/v1/image/{id}", path=f"/api/v1/image/{image['id']}", headers=bearer
        )


def catalog_token(site: RealServer) -> str:
    script = CATALOG_TOKEN_SCRIPT.format(username=f"dev-{uuid.uuid4().hex[:8]}", admin="boss")
    return site.manage("shell", "-c", script).strip().splitlines()[-1]


@pytest.fixture(scope="module")
def raw_schema(embedded_site: RealServer) -> dict[str, Any]:
    answer = requests.get(
        f"{embedded_site.url}/api/schema/", params={"format": "json"}, headers=UA, timeout=30
    )
    assert answer.status_code == 200
    return answer.json()


@pytest.fixture(scope="module")
def flows(embedded_site: RealServer) -> SeedFlows:
    flows = SeedFlows(embedded_site)
    flows.file_host()
    flows.catalog(catalog_token(embedded_site))
    staff = STAFF_TOKEN_SCRIPT.format(admin=ADMIN_USERNAME)
    flows.catalog_writes(embedded_site.manage("shell", "-c", staff).strip().splitlines()[-1])
    return flows


def operations(raw: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for path, methods in raw["paths"].items():
        for method in methods:
            yield method.upper(), path


def test_the_seed_flows_call_every_operation_of_the_schema(
    raw_schema: dict[str, Any], flows: SeedFlows
) -> None:
    called = {(call.method, call.template) for call in flows.calls}
    assert set(operations(raw_schema)) - called == set()


def test_every_2xx_body_is_declared_and_matches_its_schema(
    raw_schema: dict[str, Any], flows: SeedFlows
) -> None:
    schema = schemathesis.openapi.from_dict(raw_schema)
    for call in flows.calls:
        operation = schema[call.template][call.method]
        declared = raw_schema["paths"][call.template][call.method.lower()]["responses"]
        assert str(call.response.status_code) in declared, (call.method, call.path)
        if call.response.status_code == 204:  # No Content: nothing to match
            assert call.response.content == b"" and "content" not in declared["204"]
            continue
        media = declared[str(call.response.status_code)].get("content", {})
        content_type = call.response.headers["Content-Type"].split(";")[0]
        assert content_type in media, (call.method, call.path, content_type, list(media))
        operation.validate_response(call.response)  # raises on a body that breaks the schema


def test_admin_token_get_documents_its_token_body(raw_schema: dict[str, Any]) -> None:
    response = raw_schema["paths"]["/api/admin/token/get"]["post"]["responses"]["200"]
    ref = response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    body = raw_schema["components"]["schemas"][ref]
    assert body["required"] == ["token"] and body["properties"]["token"]["type"] == "string"


@pytest.fixture(scope="module")
def generated_client(raw_schema: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """openapi-python-client's package for /api/schema/, importable as `nekosite_client`."""
    where = tmp_path_factory.mktemp("client")
    schema_file = where / "schema.json"
    schema_file.write_text(json.dumps(raw_schema))
    config = where / "config.json"
    config.write_text(json.dumps({"package_name_override": "nekosite_client"}))
    subprocess.run(
        [str(Path(sys.executable).parent / "openapi-python-client"), "generate",
         "--path", str(schema_file), "--output-path", str(where / "nekosite_client"),
         "--meta", "none", "--config", str(config)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module("nekosite_client")
    finally:
        sys.path.remove(str(where))
        for name in [n for n in sys.modules if n.startswith("nekosite_client")]:
            del sys.modules[name]


def assert_same_data(rebuilt: Any, body: Any, where: str) -> None:
    """What the generated models give back is what the server sent: the same keys everywhere
    (none dropped, none unknown) and the same values; datetimes may come back in another
    ISO 8601 spelling of the same instant."""
    if isinstance(body, dict):
        assert isinstance(rebuilt, dict) and rebuilt.keys() == body.keys(), where
        for key in body:
            assert_same_data(rebuilt[key], body[key], f"{where}.{key}")
    elif isinstance(body, list):
        assert isinstance(rebuilt, list) and len(rebuilt) == len(body), where
        for index, (left, right) in enumerate(zip(rebuilt, body, strict=True)):
            assert_same_data(left, right, f"{where}[{index}]")
    elif isinstance(body, str) and rebuilt != body:
        parse = datetime.fromisoformat
        assert parse(rebuilt) == parse(body.replace("Z", "+00:00")), where
    else:
        assert rebuilt == body, where


def generated_operation(client_package: Any, operation_id: str) -> Any:
    for tag in ("v1", "file_host_nekos_cafe"):
        try:
            return importlib.import_module(f"{client_package.__name__}.api.{tag}.{operation_id}")
        except ModuleNotFoundError:
            continue
    raise AssertionError(f"the generated client has no module for {operation_id}")


def test_a_client_generated_from_the_schema_parses_every_response_of_the_seed_flows(
    raw_schema: dict[str, Any], flows: SeedFlows, generated_client: Any, embedded_site: RealServer
) -> None:
    import httpx

    client = generated_client.Client(base_url=embedded_site.url, raise_on_unexpected_status=True)
    for call in flows.calls:
        operation_id = raw_schema["paths"][call.template][call.method.lower()]["operationId"]
        module = generated_operation(generated_client, operation_id)
        answer = httpx.Response(
            call.response.status_code,
            headers=dict(call.response.headers),
            content=call.response.content,
        )
        parsed = module._build_response(client=client, response=answer).parsed
        if call.response.status_code == 204:
            continue
        assert parsed is not None, (operation_id, call.response.text)
        if call.response.headers["Content-Type"].startswith("application/json"):
            body = call.response.json()
            rebuilt = (
                [item.to_dict() if hasattr(item, "to_dict") else item for item in parsed]
                if isinstance(parsed, list)
                else parsed.to_dict()
            )
            assert_same_data(rebuilt, body, operation_id)
        else:
            assert parsed == call.response.text, operation_id
