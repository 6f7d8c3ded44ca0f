"""Issue 17, item 2: slow bodies must not lock everyone out of `make run`'s real server.

The review's attack: eight connections sending `Content-Length: 1000000000` to /accounts/login/
(multipart, any csrftoken cookie) at 24 KB/s held every body slot, and for as long as they
trickled every upload and every login got 503. Bodies of endpoints that take no file are now
refused before they are read, and one client address holds at most one body slot per process
(nekosite/lib/slowbody.py). The attacker sends from 127.0.0.2, the other user from 127.0.0.1.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookiejar import CookieJar

from tests.realserver import RealServer
from tests.test_real_server import UA, fetch, filehost_token

ATTACKER = "127.0.0.2"
RATE = 24 * 1024  # bytes per second: above the guard's 16 KB/s minimum, so never cut off
CONNECTIONS = 8


def _trickle(
    site: RealServer, path: str, length: int, headers: str, stop: threading.Event, out: list[bytes]
) -> None:
    port = int(site.url.rsplit(":", 1)[1])
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: slow/1.0\r\n{headers}"
        f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {length}\r\n\r\n"
    ).encode()
    piece = b"--b\r\n" + b"x" * (RATE // 4 - 5)
    try:
        with socket.create_connection(
            ("127.0.0.1", port), timeout=30, source_address=(ATTACKER, 0)
        ) as sock:
            sock.sendall(head)
            sock.settimeout(0.25)
            while not stop.is_set():
                try:
                    answer = sock.recv(200)  # the server answered (413, 503...) or closed
                    out.append(answer)
                    return
                except TimeoutError:
                    pass
                try:
                    sock.sendall(piece)  # 1/4 s of body
                except OSError:
                    sock.settimeout(2)
                    out.append(sock.recv(200))
                    return
    except OSError as error:
        out.append(repr(error).encode())


@contextmanager
def attack(
    site: RealServer, path: str, length: int, headers: list[str] | None = None
) -> Iterator[list[bytes]]:
    """CONNECTIONS trickling bodies from ATTACKER for as long as the block runs (connection i
    sends headers[i])."""
    answers: list[bytes]
    stop, answers = threading.Event(), []
    headers = headers or [""] * CONNECTIONS
    threads = [
        threading.Thread(target=_trickle, args=(site, path, length, extra, stop, answers))
        for extra in headers
    ]
    for thread in threads:
        thread.start()
    time.sleep(1.5)  # every connection has sent its headers and holds whatever it can
    try:
        yield answers
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)


def log_in_with_the_form(site: RealServer, username: str, password: str) -> str:
    """Where the URL-encoded login form leads: /dashboard/ when it worked."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = list(UA.items())
    opener.open(f"{site.url}/accounts/login/").read()
    csrf = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    form = f"csrfmiddlewaretoken={csrf}&username={username}&password={password}".encode()
    request = urllib.request.Request(
        f"{site.url}/accounts/login/", data=form, headers={"Referer": f"{site.url}/"}
    )
    with opener.open(request) as response:
        return response.url


def upload(site: RealServer, token: str) -> tuple[int, bytes]:
    multipart = (
        b'--b\r\nContent-Disposition: form-data; name="uploadFile"; filename="ok.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nstill works\r\n--b--\r\n"
    )
    status, _, body = fetch(
        f"{site.url}/api/files/upload",
        method="POST",
        headers={"token": token, "Content-Type": "multipart/form-data; boundary=b"},
        data=multipart,
    )
    return status, body


def test_a_huge_body_to_the_login_form_is_refused_before_it_is_read(site: RealServer) -> None:
    cookie = ["Cookie: csrftoken=x\r\n"] * CONNECTIONS
    with attack(site, "/accounts/login/", 1_000_000_000, cookie) as answers:
        deadline = time.monotonic() + 10
        while len(answers) < CONNECTIONS and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(answers) == CONNECTIONS
        assert all(answer.startswith(b"HTTP/1.1 413") for answer in answers), answers


def test_trickling_uploads_from_one_address_leave_room_for_everybody_else(
    site: RealServer,
) -> None:
    username, password = f"victim-{uuid.uuid4().hex[:8]}", "a long passphrase 42"
    token = filehost_token(site, username, password)
    # One account per connection, so that no upload rate limit turns any of them away.
    tokens = [filehost_token(site, f"attacker-{uuid.uuid4().hex[:8]}") for _ in range(CONNECTIONS)]
    # 50 MB at 24 KB/s: each body would hold its slot for half an hour.
    with attack(site, "/api/files/upload", 50_000_000, [f"token: {t}\r\n" for t in tokens]):
        for _ in range(3):
            assert log_in_with_the_form(site, username, password).endswith("/dashboard/")
            status, body = upload(site, token)
            assert status == 200, body
            time.sleep(1)  # RATELIMIT_UPLOAD_RATE is 2/s: the victim stays well within it
            assert json.loads(body)["url"].startswith(site.upload_url)
