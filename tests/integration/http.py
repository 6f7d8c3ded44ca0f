"""A tiny HTTP client for integration tests (stdlib only; no redirects followed)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

USER_AGENT = "nekosite-integration-tests/1.0"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


@dataclass
class Reply:
    status: int
    headers: Any
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 30,
) -> Reply:
    req = urllib.request.Request(url, data=body, method=method)
    req.add_header("User-Agent", USER_AGENT)
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with _opener.open(req, timeout=timeout) as response:
            return Reply(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.headers, error.read())


def multipart(field: str, filename: str, content: bytes, content_type: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
        f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
    ).encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode(), (
        f"multipart/form-data; boundary={boundary}"
    )


def upload(base: str, token: str, filename: str, content: bytes, content_type: str) -> Reply:
    body, ctype = multipart("uploadFile", filename, content, content_type)
    return request(
        "POST",
        f"{base}/api/files/upload",
        headers={"token": token, "Content-Type": ctype},
        body=body,
    )


def signup_and_token(base: str, username: str, password: str) -> str:
    credentials = {"username": username, "password": password}
    reply = request("POST", f"{base}/api/user/signup", headers=credentials)
    assert reply.status == 200, reply.body
    reply = request("POST", f"{base}/api/token/get", headers=credentials)
    assert reply.status == 200, reply.body
    return reply.json()["token"]
