"""Issue 16: what users get from the server `make run` starts (gunicorn, deploy/gunicorn.conf.py,
the whole middleware stack) — not from Django's test client or live_server.

Under gunicorn every URL-encoded form POST was a 500 (`'DeadlineStream' object has no attribute
'close'`) while the whole suite passed on live_server, where the slow-body guard is off.
"""

from __future__ import annotations

import json
import re
import subprocess
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from tests.realserver import ADMIN_PASSWORD, ADMIN_USERNAME, RealServer

UA = {"User-Agent": "nekosite-tests/1.0"}


def fetch(
    url: str, *, method: str = "GET", headers: dict[str, str] | None = None, data: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(
        url, data=data or None, method=method, headers={**UA, **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def assert_envelope(status: int, headers: dict[str, str], body: bytes, expected: int) -> dict:
    assert status == expected, body[:300]
    assert headers["Content-Type"].startswith("application/json"), body[:300]
    payload = json.loads(body)
    assert payload["code"] == expected and payload["success"] is False and payload["message"]
    return payload


def filehost_token(site: RealServer, username: str, password: str = "a long passphrase 42") -> str:
    """Seed 004: "It requires the headers username, password" — signup, then /api/token/get."""
    status, _, body = fetch(
        f"{site.url}/api/user/signup",
        method="POST",
        headers={"username": username, "password": password},
    )
    assert (status, body) == (200, b"Success!")
    status, _, body = fetch(
        f"{site.url}/api/token/get",
        method="POST",
        headers={"username": username, "password": password},
    )
    assert status == 200, body
    return json.loads(body)["token"]


def test_url_encoded_login_sent_with_curl_gets_its_302(site: RealServer, tmp_path: Path) -> None:
    jar = tmp_path / "cookies"
    login = f"{site.url}/accounts/login/"
    subprocess.run(["curl", "-sf", "-c", str(jar), "-o", "/dev/null", login], check=True)
    csrf = next(
        line.split("\t")[6] for line in jar.read_text().splitlines() if "\tcsrftoken\t" in line
    )
    answer = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
         "-b", str(jar), "-c", str(jar), "-H", f"Referer: {login}",
         "--data-urlencode", f"csrfmiddlewaretoken={csrf}",
         "--data-urlencode", f"username={ADMIN_USERNAME}",
         "--data-urlencode", f"password={ADMIN_PASSWORD}", login],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert answer.stdout == f"302 {site.url}/dashboard/", site.log_tail()
    assert "DeadlineStream" not in site.log_tail(20000)


def test_a_wrong_password_in_the_url_encoded_form_shows_the_form_again(site: RealServer) -> None:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = list(UA.items())
    opener.open(f"{site.url}/accounts/login/").read()
    csrf = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    form = f"csrfmiddlewaretoken={csrf}&username=nobody&password=wrong".encode()
    request = urllib.request.Request(
        f"{site.url}/accounts/login/", data=form, headers={"Referer": f"{site.url}/"}
    )
    with opener.open(request) as response:  # a wrong password: the form again, not a 500
        assert response.status == 200
        assert b"Please enter a correct username and password" in response.read()


def test_api_post_whose_body_is_neither_json_nor_multipart_gets_415(site: RealServer) -> None:
    token = filehost_token(site, "form-poster")
    status, headers, body = fetch(
        f"{site.url}/api/files/upload",
        method="POST",
        headers={"token": token, "Content-Type": "application/x-www-form-urlencoded"},
        data=b"uploadFile=not-a-file",
    )
    assert_envelope(status, headers, body, 415)


def test_a_long_valid_query_reaches_django_and_gets_the_envelope(site: RealServer) -> None:
    # 8,000 characters of request line: over gunicorn's default 4,094, within nginx's 8 KB.
    status, headers, body = fetch(f"{site.url}/api/v1/artist?search={'a' * 7900}")
    payload = assert_envelope(status, headers, body, 400)
    assert "search" in payload["message"].lower() or "query" in payload["message"].lower()


@pytest.mark.parametrize(
    "path",
    ["/api", "/api/", "/api/nope", "/api/v1/nope", "/u/nope.png", "/u/%ff", "/assets/nope.png",
     "/assets/%ff.png", "/thumbs/%ff.webp", "/thumbs/nope.webp", "/healthz/nope"],
)  # fmt: skip
def test_api_and_file_paths_answer_every_error_in_the_envelope(site: RealServer, path: str) -> None:
    assert_envelope(*fetch(f"{site.url}{path}"), 404)


@pytest.mark.parametrize("path", ["/nope", "/apix", "/dashboard/nope/", "/%ff"])
def test_site_pages_get_the_styled_error_page(site: RealServer, path: str) -> None:
    status, headers, body = fetch(f"{site.url}{path}")
    assert status == 404
    assert headers["Content-Type"].startswith("text/html")
    assert b'class="site-header"' in body


def test_favicon_is_served(site: RealServer) -> None:
    status, headers, body = fetch(f"{site.url}/favicon.ico")
    assert status == 200 and headers["Content-Type"] == "image/svg+xml"
    assert body.startswith(b"<svg")


def test_every_absolute_link_follows_make_runs_port(site: RealServer) -> None:
    assert not site.url.endswith(":8000")
    status, _, body = fetch(f"{site.url}/api/info")
    assert json.loads(body)["uploadURL"] == f"{site.url}/u/"

    status, _, body = fetch(f"{site.url}/api/v1/image/random?limit=1")
    assert json.loads(body)["data"][0]["url"].startswith(f"{site.url}/assets/")

    token = filehost_token(site, "port-checker")
    boundary = "nekosite-boundary"
    multipart = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="uploadFile"; '
        f'filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n'
    ).encode()
    status, _, body = fetch(
        f"{site.url}/api/files/upload",
        method="POST",
        headers={"token": token, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        data=multipart,
    )
    assert status == 200, body
    url = json.loads(body)["url"]
    assert re.fullmatch(rf"{re.escape(site.url)}/u/\w+\.txt", url)
    assert fetch(url)[2] == b"hello"


def test_make_run_serves_with_the_one_gunicorn_config(site: RealServer) -> None:
    """`make run` starts gunicorn with deploy/gunicorn.conf.py: 2 workers, as production does."""
    log = site.log.read_text(errors="replace")
    assert "gunicorn -c deploy/gunicorn.conf.py nekosite.wsgi:application" in log
    assert len(re.findall(r"Booting worker with pid", log)) >= 2


def test_an_upload_reaches_a_webhook_and_the_request_never_waits_for_the_receiver(
    site: RealServer,
) -> None:
    """Issue #19: the worker `make run` starts beside gunicorn delivers the event; the upload
    request itself is answered while the receiver still holds the delivery."""
    import time

    from tests.webhook_receiver import webhook_receiver

    token = filehost_token(site, "hooked-uploader")
    boundary = "nekosite-boundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="uploadFile"; '
        f'filename="note.txt"\r\nContent-Type: text/plain\r\n\r\nhello hooks\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    with webhook_receiver() as receiver:
        receiver.hold_first_seconds = 10
        site.manage(
            "shell",
            "-c",
            "from accounts.models import User\nfrom webhooks import services\n"
            "services.webhook_create(user=User.objects.get(username='hooked-uploader'), "
            f"url={receiver.url!r}, event_types=['upload.created'])\n",
        )
        started = time.monotonic()
        status, _, answer = fetch(
            f"{site.url}/api/files/upload",
            method="POST",
            headers={"token": token, "Content-Type": f"multipart/form-data; boundary={boundary}"},
            data=body,
        )
        answered_in = time.monotonic() - started
        assert status == 200, answer
        (got,) = receiver.wait_for(1, timeout=30)
        assert answered_in < 5  # the receiver holds the delivery for 10 s
    url = json.loads(answer)["url"]
    assert got.json["type"] == "upload.created"
    assert got.json["data"]["upload"]["url"] == url
