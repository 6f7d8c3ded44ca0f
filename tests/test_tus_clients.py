"""Issue #21: tus uploads "working unchanged with the real clients tus-js-client (npm) and tuspy
(PyPI)", against the real server (`make run`: gunicorn, the slow-body guard, rate limits on).

Each client uploads a file, is stopped midway and resumes with a new client from the stored
upload URL; the file the server then serves is byte-identical. The 1 GB upload interrupted twice
is in the benchmark (bench/tus.py): too slow for the suite.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from tusclient import client as tus_client

from tests.realserver import ROOT, RealServer

UA = {"User-Agent": "nekosite-tests"}
JS_DIR = ROOT / "tests" / "js"
MB = 1024 * 1024


@pytest.fixture
def token(site: RealServer) -> str:
    creds = {"username": f"tus-{uuid.uuid4().hex[:8]}", "password": "a long passphrase 42"}
    for path in ("/api/user/signup", "/api/token/get"):
        answer = requests.post(f"{site.url}{path}", headers={**UA, **creds}, timeout=30)
        assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


def download(url: str) -> bytes:
    answer = requests.get(url, headers=UA, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.content


def random_file(tmp_path: Path, size: int) -> tuple[Path, bytes]:
    data = os.urandom(size)
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    return path, data


def test_tuspy_stopped_midway_resumes_from_the_stored_url_byte_identical(
    site: RealServer, token: str, tmp_path: Path
) -> None:
    path, data = random_file(tmp_path, 3 * MB)
    endpoint = f"{site.url}/api/files/tus/"
    first = tus_client.TusClient(endpoint, headers={"token": token, **UA})
    uploader = first.uploader(
        str(path), chunk_size=MB, metadata={"filename": "cat.bin"}, upload_checksum=True
    )
    uploader.upload(stop_at=MB)  # one chunk, then the client stops
    stored_url = uploader.url
    assert stored_url is not None and stored_url.startswith(endpoint)

    # A new client that only knows the URL: it asks the server where to go on from.
    second = tus_client.TusClient(endpoint, headers={"token": token, **UA})
    resumed = second.uploader(str(path), url=stored_url, chunk_size=2 * MB)
    assert resumed.offset == MB
    resumed.upload()
    assert resumed.request is not None
    file_url = resumed.request.response_headers["file-url"]  # tuspy lowercases the names
    assert hashlib.sha256(download(file_url)).digest() == hashlib.sha256(data).digest()


def test_a_patch_cut_off_midway_keeps_the_bytes_that_arrived(site: RealServer, token: str) -> None:
    """Under gunicorn the client closes the connection in the middle of a PATCH body: the
    server keeps what it received, so HEAD tells the client where to resume."""
    headers = {**UA, "token": token, "Tus-Resumable": "1.0.0"}
    created = requests.post(
        f"{site.url}/api/files/tus/", headers={**headers, "Upload-Length": str(4 * MB)}, timeout=30
    )
    assert created.status_code == 201, created.text
    url = created.headers["Location"]
    parts = urlsplit(url)
    lines = [
        f"PATCH {parts.path} HTTP/1.1",
        f"Host: {parts.netloc}",
        *(f"{k}: {v}" for k, v in headers.items()),
        "Content-Type: application/offset+octet-stream",
        "Upload-Offset: 0",
        f"Content-Length: {4 * MB}",
    ]
    sent = 3 * MB // 2
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + b"x" * sent)
        time.sleep(0.5)
    deadline = time.monotonic() + 10
    while True:
        head = requests.head(url, headers=headers, timeout=30)
        assert head.status_code == 200 and head.headers["Tus-Resumable"] == "1.0.0"
        if int(head.headers["Upload-Offset"]) == sent or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert int(head.headers["Upload-Offset"]) == sent
    rest = requests.patch(
        url,
        headers={
            **headers,
            "Content-Type": "application/offset+octet-stream",
            "Upload-Offset": str(sent),
        },
        data=b"x" * (4 * MB - sent),
        timeout=60,
    )
    assert rest.status_code == 204, rest.text
    assert download(rest.headers["File-Url"]) == b"x" * (4 * MB)


def test_tus_js_client_aborted_midway_resumes_byte_identical(
    site: RealServer, token: str, tmp_path: Path
) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: tus-js-client runs under node (apt-get install nodejs)")
    if not (JS_DIR / "node_modules" / "tus-js-client").is_dir():
        pytest.skip("tus-js-client is not installed: run `npm ci` in tests/js (.ci/run does)")
    path, data = random_file(tmp_path, 48 * MB)
    env = {
        **os.environ,
        "TUS_ENDPOINT": f"{site.url}/api/files/tus/",
        "TUS_TOKEN": token,
        "FILE": str(path),
    }
    done = subprocess.run(
        [node, "tus_resume.mjs"],
        cwd=JS_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr + site.log_tail()
    result = json.loads(done.stdout.strip().splitlines()[-1])
    tus_log = [line for line in site.log_tail(200000).splitlines() if "tus" in line]
    assert 0 < result["offsetAfterAbort"] < len(data), (result, done.stderr, tus_log)
    assert hashlib.sha256(download(result["fileUrl"])).digest() == hashlib.sha256(data).digest()
