"""Issue #20 on the server users run (`make run`: gunicorn with 2 workers x 4 threads, the
worker beside it, SQLite): exact view limits under parallel requests, expiry carried out by
the real worker, password-protected links, and stripped metadata on the bytes served.

Black-box, like the journeys: HTTP only, nothing reads the database.
"""

from __future__ import annotations

import io
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar

from PIL import Image

from tests.realserver import RealServer
from tests.test_real_server import fetch, filehost_token

BOUNDARY = "nekosite-options-boundary"


def upload(site: RealServer, token: str, data: bytes, filename: str, **options: str) -> str:
    body = (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="uploadFile"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        + data
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    headers = {"token": token, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    headers.update({key.replace("_", "-"): value for key, value in options.items()})
    status, _, answer = fetch(f"{site.url}/api/files/upload", method="POST", headers=headers,
                              data=body)  # fmt: skip
    assert status == 200, answer
    return str(json.loads(answer)["url"])


def png(color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), color).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_file_with_max_views_5_is_served_exactly_5_times_to_20_parallel_requests(
    site: RealServer,
) -> None:
    token = filehost_token(site, "viewlimit")
    url = upload(site, token, png(), "limited.png", max_views="5")

    def get(_: int) -> int:
        return fetch(url)[0]

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(get, range(20)))
    assert sorted(statuses) == [200] * 5 + [404] * 15


def test_an_expired_file_answers_404_and_the_worker_deletes_it(site: RealServer) -> None:
    token = filehost_token(site, "expiring")
    url = upload(site, token, png("blue"), "short-lived.png", expires="10s")
    name = url.rsplit("/", 1)[-1]
    assert fetch(url)[0] == 200
    deadline = time.monotonic() + 40
    while fetch(url)[0] == 200:
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert fetch(url)[0] == 404
    # Gone from the owner's list too (the worker deleted the row and the stored file).
    while True:
        status, _, body = fetch(
            f"{site.url}/api/files/list", method="POST", headers={"token": token}
        )
        assert status == 200, body
        if name not in body.decode():
            break
        assert time.monotonic() < deadline, "the worker did not delete the expired file"
        time.sleep(0.5)


def test_a_password_protected_link_needs_the_password_and_gives_a_short_lived_link(
    site: RealServer,
) -> None:
    token = filehost_token(site, "protector")
    url = upload(site, token, png("green"), "secret.png", file_password="open sesame")
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(urllib.request.Request(url, headers={"User-Agent": "t"})) as page:
        html = page.read().decode()
    assert 'type="password"' in html and page.headers["Cache-Control"] == "private, no-store"
    csrf = html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]

    def post(password: str) -> tuple[int, str, bytes]:
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, "password": password})
        request = urllib.request.Request(
            url, data=data.encode(), headers={"User-Agent": "t", "Referer": url}
        )
        try:
            with opener.open(request) as answer:
                return answer.status, answer.url, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, url, error.read()

    status, _, body = post("wrong guess")
    assert status == 403 and b"not right" in body
    status, final_url, body = post("open sesame")  # 302 to the signed link, followed
    assert status == 200 and body == png("green")
    assert "signature=" in final_url and "open+sesame" not in final_url
    assert fetch(url)[0] == 200 and b'type="password"' in fetch(url)[2]  # still asks others


def test_gps_is_gone_from_the_bytes_served(site: RealServer) -> None:
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (35.0, 39.0, 29.0), 3: "E", 4: (139.0, 42.0, 5.0)})
    buffer = io.BytesIO()
    Image.new("RGB", (24, 16), "olive").save(buffer, format="JPEG", exif=exif)
    token = filehost_token(site, "photographer")
    url = upload(site, token, buffer.getvalue(), "phone.jpg")
    status, _, served = fetch(url)
    assert status == 200
    with Image.open(io.BytesIO(served)) as image:
        assert 0x8825 not in image.getexif()
