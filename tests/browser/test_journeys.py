"""Issue 16: what an uploader, a developer and an admin do, in a real headless Chromium, on the
server users run.

`site` is `make run` itself (gunicorn with deploy/gunicorn.conf.py, 2 workers, SQLite); the
integration run repeats every journey through the deploy/ stack (nginx, two app servers,
PostgreSQL, Redis: tests/integration/test_journeys_deploy.py). Nothing here reads the database:
a journey sees only what a user sees, from an empty browser (`site_page` is a fresh context that
fails the test on a request to another origin or a console error).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from PIL import Image as PillowImage
from playwright.sync_api import Error as PlaywrightError

from tests.browser_fixtures import new_tab
from tests.realserver import ADMIN_PASSWORD, ADMIN_USERNAME, RealServer

PASSWORD = "a long passphrase 42"


def unique(prefix: str) -> str:
    """One user per journey: the server is shared by the whole session."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def png(path: Path, size: tuple[int, int], color: str) -> Path:
    buffer = io.BytesIO()
    PillowImage.new("RGB", size, color).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def sign_up(page: Any, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/signup/")
    page.fill("#id_username", username)
    page.fill("#id_password1", password)
    page.fill("#id_password2", password)
    page.click("main button[type=submit]")
    page.wait_for_url("**/dashboard/")
    assert f"Welcome, {username}! Your account is ready." in page.inner_text(".messages")


def log_in(page: Any, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_url("**/dashboard/")


def log_out(page: Any) -> None:
    page.click("button.nav-logout")
    page.wait_for_load_state()
    assert page.locator("a[href='/accounts/login/']").first.is_visible()


def filehost_token(page: Any) -> str:
    page.goto("/dashboard/files/")
    page.click(".token-box summary")
    return page.inner_text("#filehost-token").strip()


def api_post(page: Any, site: RealServer, path: str, **headers: str) -> tuple[int, str]:
    answer = page.request.post(f"{site.url}{path}", headers=headers)
    return answer.status, answer.text()


def assert_refused_within_read_cache_ms(page: Any, site: RealServer, token: str) -> None:
    """README: a revoked token is refused at once by the worker that revoked it and within
    READ_CACHE_MS (1 s) by every other worker; allow that, plus a little for the journey."""
    deadline = time.monotonic() + 1.5
    while api_post(page, site, "/api/token/valid", token=token)[0] != 401:
        assert time.monotonic() < deadline, "the old token is still accepted after 1.5 s"
        time.sleep(0.1)


def choose_upload_options(
    page: Any,
    *,
    expires: str = "",
    max_views: str = "",
    password: str = "",
    keep_metadata: bool = False,
) -> None:
    """Fill the upload form's options (issue #20); `expires` is a label of its select."""
    if expires:
        page.select_option("#id_expires", label=expires)
    page.fill("#id_max_views", max_views)
    page.fill("#id_file_password", password)
    page.set_checked("#id_keep_metadata", keep_metadata)


def upload_with_the_javascript_uploader(page: Any, files: list[Path], **options: Any) -> None:
    page.goto("/dashboard/files/")
    if options:
        choose_upload_options(page, **options)
    page.set_input_files("#id_files", [str(path) for path in files])
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector(f"#upload-progress li.success >> nth={len(files) - 1}")
    assert page.locator("#upload-progress li.error").count() == 0
    assert page.eval_on_selector_all(
        "#upload-progress progress", "bars => bars.map(bar => bar.value)"
    ) == [100] * len(files)


def file_row(page: Any, original_name: str) -> Any:
    """The row whose original name is exactly `original_name` (a stored random name such as
    "EqV39db.png" contains "b.png": matching the row's whole text picked two rows)."""
    name = page.locator("small.muted").get_by_text(original_name, exact=True)
    return page.locator("table.files-table tbody tr", has=name)


def test_sign_up_log_out_and_log_in_after_a_wrong_password(site_page: Any, shoot: Any) -> None:
    page, username = site_page, unique("moptop")
    sign_up(page, username)
    shoot(page, "journey-signed-up")
    log_out(page)

    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "not my password at all")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert "/accounts/login/" in page.url
    assert "Please enter a correct username and password" in page.inner_text("main")
    shoot(page, "journey-wrong-password")

    log_in(page, username)
    assert f"Welcome back, {username}." in page.inner_text(".messages")


def test_change_password_then_only_the_new_one_logs_in(site_page: Any, shoot: Any) -> None:
    page, username = site_page, unique("changer")
    new_password = "an even longer passphrase 43"
    sign_up(page, username)
    page.goto("/accounts/password/")
    page.fill("#id_old_password", PASSWORD)
    page.fill("#id_new_password1", new_password)
    page.fill("#id_new_password2", new_password)
    shoot(page, "journey-password-change")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert "Your password has been changed." in page.inner_text(".messages")

    log_out(page)
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert "Please enter a correct username and password" in page.inner_text("main")
    log_in(page, username, new_password)


def test_upload_several_files_copy_a_link_open_it_and_delete_a_file(
    site: RealServer, site_page: Any, shoot: Any, tmp_path: Path
) -> None:
    page = site_page
    sign_up(page, unique("uploader"))
    cat = png(tmp_path / "cat.png", (120, 80), "orange")
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list: tuna\n")
    dog = png(tmp_path / "dog.png", (50, 60), "teal")
    upload_with_the_javascript_uploader(page, [cat, notes, dog])
    shoot(page, "journey-uploaded")

    page.reload()
    assert page.locator("table.files-table tbody tr").count() == 3
    assert "3 files" in page.inner_text("main .lead")

    # "Copy link" puts the public URL on the clipboard, and it opens.
    file_row(page, "cat.png").locator("button.js-copy").click()
    page.wait_for_selector("button.js-copy:text('Copied!')")
    link = page.evaluate("navigator.clipboard.readText()")
    assert link.startswith(site.upload_url) and link.endswith(".png")
    answer = page.request.get(link)
    assert answer.status == 200
    assert answer.headers["content-type"] == "image/png"
    assert answer.body() == cat.read_bytes()
    viewer = page.context.new_page()
    viewer.goto(link)
    assert viewer.evaluate("document.images[0].naturalWidth") == 120
    viewer.close()

    # Delete with confirmation: dismissing keeps the file, accepting deletes it.
    name = link.rsplit("/", 1)[1]
    row = file_row(page, "cat.png")
    questions: list[str] = []

    def dismiss(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    row.locator("button[type=submit]").click()
    assert questions == [f"Delete {name}?"]
    assert page.request.get(link).status == 200

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    assert f"{name} has been deleted." in page.inner_text(".messages")
    assert page.locator("table.files-table tbody tr").count() == 2
    shoot(page, "journey-deleted")
    assert page.request.get(link).status == 404


def test_upload_with_the_plain_form_without_javascript(
    site: RealServer, browser: Any, shoot: Any, tmp_path: Path
) -> None:
    with new_tab(browser, site.url, site.url, site.upload_url, java_script_enabled=False) as page:
        sign_up(page, unique("plain"))
        page.goto("/dashboard/files/")
        assert page.locator("button.js-copy:visible").count() == 0
        files = [
            png(tmp_path / "a.png", (30, 30), "teal"),
            png(tmp_path / "b.png", (20, 20), "red"),
        ]
        page.set_input_files("#id_files", [str(path) for path in files])
        page.click("#upload-form button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("table.files-table tbody tr").count() == 2
        assert "a.png uploaded as" in page.inner_text(".messages")
        link = file_row(page, "b.png").locator("a.file-name").get_attribute("href")
        assert link.startswith(site.upload_url)
        assert page.request.get(link).body() == files[1].read_bytes()
        shoot(page, "journey-plain-form")


# --- issue #20: upload options on the dashboard ----------------------------------------------
GPS_IFD = 0x8825


def gps_jpeg(path: Path) -> Path:
    """A phone photo: a maker and a GPS position (Tokyo) in its EXIF."""
    exif = PillowImage.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (35.0, 39.0, 29.0), 3: "E", 4: (139.0, 42.0, 5.0)})
    buffer = io.BytesIO()
    PillowImage.new("RGB", (48, 32), "teal").save(buffer, format="JPEG", exif=exif, quality=90)
    path.write_bytes(buffer.getvalue())
    return path


def uploaded_link(page: Any) -> str:
    """The URL the JavaScript uploader shows for the last file it uploaded."""
    return page.locator("#upload-progress li.success a").last.get_attribute("href")


def test_a_password_protected_file_with_two_views(
    site: RealServer, site_page: Any, shoot: Any, tmp_path: Path
) -> None:
    """Issue #20: "the share URL shows a password page; the right password gives a short-lived
    signed link to the bytes"; a file with max views N is served N times, then answers 404."""
    page = site_page
    sign_up(page, unique("secretive"))
    picture = png(tmp_path / "secret.png", (40, 30), "pink")
    upload_with_the_javascript_uploader(page, [picture], max_views="2", password="open sesame")
    link = uploaded_link(page)
    assert link.startswith(site.upload_url)

    # The bare link never gives the bytes, and asking for the password is no view.
    answer = page.request.get(link)
    assert answer.status == 200 and answer.body() != picture.read_bytes()
    assert "This file is protected" in answer.text()

    # Its own tab: the wrong password's 403 is logged by Chromium as a console error.
    viewer = page.context.new_page()
    viewer.goto(link)
    assert viewer.inner_text("h1") == "This file is protected"
    viewer.fill("#id_file_password", "not the password")
    viewer.click("main button[type=submit]")
    viewer.wait_for_load_state()
    assert "That password is not right." in viewer.inner_text("#file-password-error")
    shoot(viewer, "journey-file-password-wrong")
    viewer.fill("#id_file_password", "open sesame")
    with viewer.expect_navigation():
        viewer.click("main button[type=submit]")
    assert "signature=" in viewer.url
    assert viewer.evaluate("document.images[0].naturalWidth") == 40  # view 1 of 2
    signed = viewer.url
    viewer.close()

    page.goto("/dashboard/files/")
    row = file_row(page, "secret.png")
    assert row.locator(".file-views").inner_text() == "1 / 2"
    assert "Password-protected" in row.inner_text()
    shoot(page, "journey-file-views")

    assert page.request.get(signed).body() == picture.read_bytes()  # view 2 of 2
    assert page.request.get(signed).status == 404
    # The last view has the worker delete the file: it leaves the list ("2 / 2 (used up)"
    # may show for the moment before).
    deadline = time.monotonic() + 20
    while True:
        page.reload()
        if row.count() == 0:
            break
        assert "(used up)" in row.inner_text()
        assert time.monotonic() < deadline, "the used-up file was not deleted"
        time.sleep(0.5)


def test_plain_form_upload_with_an_expiry_then_change_the_options(
    site: RealServer, browser: Any, shoot: Any, tmp_path: Path
) -> None:
    """Without JavaScript: upload for 10 minutes keeping metadata; then, on the options page,
    remove the expiry and limit the views; the table follows."""
    with new_tab(browser, site.url, site.url, site.upload_url, java_script_enabled=False) as page:
        sign_up(page, unique("expiring"))
        page.goto("/dashboard/files/")
        choose_upload_options(page, expires="10 minutes", keep_metadata=True)
        page.set_input_files("#id_files", str(png(tmp_path / "soon.png", (30, 20), "gold")))
        page.click("#upload-form button[type=submit]")
        page.wait_for_load_state()
        assert "soon.png uploaded as" in page.inner_text(".messages")
        row = file_row(page, "soon.png")
        assert row.locator("time.file-expiry").inner_text() == "in 10 minutes"
        assert row.locator("time.file-expiry").get_attribute("title")  # the exact time
        assert row.locator(".file-views").inner_text() == "0"
        assert "metadata kept" in row.inner_text()
        shoot(page, "journey-file-expiring")

        row.locator("a.file-options-link").click()
        page.wait_for_url("**/options/")
        assert "kept at upload" in page.inner_text("#file-metadata")
        page.select_option("#id_expires", "never")
        page.fill("#id_max_views", "5")
        shoot(page, "journey-file-options")
        page.click("main button[type=submit]")
        page.wait_for_url("**/dashboard/files/")
        assert "have been saved." in page.inner_text(".messages")
        row = file_row(page, "soon.png")
        assert row.locator("time.file-expiry").count() == 0
        assert "never" in row.locator("td[data-label=Expires]").inner_text()
        assert row.locator(".file-views").inner_text() == "0 / 5"

        # A value the service refuses comes back on the form, and nothing changes.
        row.locator("a.file-options-link").click()
        page.wait_for_url("**/options/")
        page.fill("#id_max_views", "0")
        page.click("main button[type=submit]")
        page.wait_for_load_state()
        assert "Maximum views must be a whole number" in page.inner_text("#id_max_views_error")
        page.goto("/dashboard/files/")
        assert file_row(page, "soon.png").locator(".file-views").inner_text() == "0 / 5"


def test_gps_is_removed_from_a_photo_unless_metadata_is_kept(
    site_page: Any, tmp_path: Path
) -> None:
    """Issue #20: "a downloaded stripped JPEG has no GPS tag" (checked with Pillow)."""
    page = site_page
    sign_up(page, unique("photographer"))
    photo = gps_jpeg(tmp_path / "phone.jpg")
    with PillowImage.open(photo) as original:
        assert GPS_IFD in original.getexif()

    upload_with_the_javascript_uploader(page, [photo])
    stripped = page.request.get(uploaded_link(page))
    assert stripped.status == 200 and stripped.headers["content-type"] == "image/jpeg"
    with PillowImage.open(io.BytesIO(stripped.body())) as image:
        assert GPS_IFD not in image.getexif() and image.size == (48, 32)

    upload_with_the_javascript_uploader(page, [photo], keep_metadata=True)
    kept = page.request.get(uploaded_link(page))
    assert kept.body() == photo.read_bytes()
    with PillowImage.open(io.BytesIO(kept.body())) as image:
        assert image.getexif().get_ifd(GPS_IFD)[1] == "N"


def test_an_embed_title_in_japanese_goes_through_the_tus_uploader(
    site_page: Any, tmp_path: Path
) -> None:
    """A header could not carry it (the old uploader posted the form instead); tus metadata is
    base64 UTF-8, so the title goes with the resumable upload as it is."""
    page = site_page
    sign_up(page, unique("embedder"))
    page.goto("/dashboard/files/")
    page.click(".embed-options summary")
    page.fill("#id_embed_title", "猫の日")
    page.check("#id_use_embed_color")
    page.set_input_files("#id_files", str(png(tmp_path / "neko.png", (20, 20), "white")))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#upload-progress li.success")
    marker = file_row(page, "neko.png").locator(".marker-embed")
    marker.wait_for()  # the list follows without a reload
    assert marker.get_attribute("title") == "Embed: 猫の日"
    assert marker.locator(".swatch").count() == 1


def test_regenerate_the_file_host_token(site: RealServer, site_page: Any) -> None:
    page = site_page
    sign_up(page, unique("regen"))
    old = filehost_token(page)
    assert api_post(page, site, "/api/token/valid", token=old) == (200, "This token is valid!")

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("form[action$='/token/regenerate/'] button[type=submit]")
    assert "Your file-host token has been regenerated" in page.inner_text(".messages")
    new = filehost_token(page)
    assert new != old
    assert api_post(page, site, "/api/token/valid", token=new) == (200, "This token is valid!")
    assert_refused_within_read_cache_ms(page, site, old)


def test_sharex_config_describes_a_request_that_uploads(
    site: RealServer, site_page: Any, tmp_path: Path
) -> None:
    page = site_page
    sign_up(page, unique("sharex"))
    page.goto("/dashboard/files/")
    with page.expect_download() as download_info:
        page.click("a[href$='sharex.sxcu']")
    config = json.loads(Path(download_info.value.path()).read_text())
    assert config["RequestURL"] == f"{site.url}/api/files/upload"
    assert config["Body"] == "MultipartFormData" and config["RequestMethod"] == "POST"
    assert config["URL"] == "{json:url}"

    # Do what ShareX does with it: POST the file in FileFormName with the config's headers.
    picture = png(tmp_path / "shot.png", (64, 48), "purple")
    answer = page.request.post(
        config["RequestURL"],
        headers=config["Headers"],
        multipart={
            config["FileFormName"]: {
                "name": picture.name,
                "mimeType": "image/png",
                "buffer": picture.read_bytes(),
            }
        },
    )
    assert answer.status == 200, answer.text()
    link = answer.json()["url"]  # {json:url}
    assert link.startswith(site.upload_url)
    assert page.request.get(link).body() == picture.read_bytes()
    page.reload()
    assert file_row(page, "shot.png").count() == 1


def test_register_a_webhook_send_a_test_event_upload_and_read_the_delivery_log(
    site_page: Any, tmp_path: Path, shoot: Any
) -> None:
    """Issue #19: a user registers a webhook, copies its secret (shown once), sends a test
    event and uploads a file; the receiver gets both, signed; the log shows them delivered."""
    from tests.webhook_receiver import webhook_receiver
    from webhooks import signing

    page = site_page
    sign_up(page, unique("hooks"))
    with webhook_receiver() as receiver:
        page.goto("/dashboard/webhooks/")
        page.fill("#id_url", receiver.url)
        page.check("input[name=events][value='upload.created']")
        page.click("form.card button[type=submit]")
        page.wait_for_selector("#signing-secret")
        secret = page.input_value("#secret-value")
        assert secret.startswith("whsec_")
        shoot(page, "webhook-created")
        page.reload()
        assert page.locator("#signing-secret").count() == 0  # shown once

        page.click("button:has-text('Send test event')")
        page.wait_for_load_state()
        ping = receiver.wait_for(1)[0]
        assert ping.json["type"] == "ping"
        upload_with_the_javascript_uploader(page, [png(tmp_path / "hooked.png", (40, 30), "teal")])
        upload_event = receiver.wait_for(2)[1]
    assert upload_event.json["type"] == "upload.created"
    assert upload_event.json["data"]["upload"]["original_name"] == "hooked.png"
    for got in (ping, upload_event):
        assert signing.verify(secret, got.headers["X-Nekosite-Timestamp"], got.body,
                              got.headers["X-Nekosite-Signature"], now=time.time())  # fmt: skip

    page.goto("/dashboard/webhooks/")
    page.click("a.webhook-url")
    log = page.locator("#delivery-log tbody tr")
    deadline = time.monotonic() + 15
    while log.filter(has_text="Delivered").count() < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
        page.reload()
    assert log.filter(has_text="upload.created").filter(has_text="Delivered").count() == 1
    assert log.filter(has_text="ping").filter(has_text="200").count() == 1
    shoot(page, "webhook-delivery-log")


def admin_log_in(page: Any) -> None:
    page.goto("/admin/")
    page.wait_for_url("**/admin/login/**")
    page.fill("#id_username", ADMIN_USERNAME)
    page.fill("#id_password", ADMIN_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")


def admin_run_action(page: Any, changelist: str, search: str, row_text: str, action: str) -> str:
    """Search a changelist, tick the row showing `row_text`, run `action`; returns the message."""
    page.goto(f"{changelist}?q={search}")
    page.locator("#result_list tbody tr", has_text=row_text).locator("input.action-select").check()
    page.select_option("select[name=action]", action)
    with page.expect_navigation():
        page.click("button[name=index]")
    return page.inner_text("ul.messagelist")


def test_an_api_application_approved_by_an_admin_who_also_deletes_an_upload(
    site: RealServer, site_page: Any, browser: Any, shoot: Any, tmp_path: Path
) -> None:
    page, username = site_page, unique("developer")
    sign_up(page, username)
    upload_with_the_javascript_uploader(page, [png(tmp_path / "dmca.png", (40, 40), "black")])
    page.reload()
    link = file_row(page, "dmca.png").locator("a.file-name").get_attribute("href")

    # The developer asks for a token.
    page.goto("/dashboard/applications/")
    assert "No applications yet." in page.inner_text("main")
    page.click("main >> text=Request an API token")
    page.wait_for_url("**/dashboard/applications/new/")
    page.click("main button[type=submit]")  # empty form: errors next to the fields
    assert page.locator("#id_name[aria-invalid=true]").count() == 1
    app_name = unique("Kaguya bot")
    page.fill("#id_name", app_name)
    page.fill("#id_purpose", "Posts a random catgirl in our Discord server.")
    page.check("input[value='image:list']")
    page.click("main button[type=submit]")
    page.wait_for_url("**/dashboard/applications/*/")
    assert "Staff have not decided yet." in page.inner_text("main")
    application_url = page.url

    # An admin, in another browser, approves it and takes the upload down.
    with new_tab(browser, site.url, site.url, site.upload_url) as admin:
        admin_log_in(admin)
        message = admin_run_action(
            admin, "/admin/accounts/apiapplication/", username, app_name, "approve_selected"
        )
        assert "1 application(s) approved." in message
        shoot(admin, "journey-admin-approved")
        message = admin_run_action(
            admin, "/admin/uploads/upload/", username, link.rsplit("/", 1)[1], "delete_with_files"
        )
        assert "Deleted 1 file(s)." in message
    assert page.request.get(link).status == 404

    # The developer sees the token and it works.
    page.goto(application_url)
    assert page.inner_text("main strong") == "Approved"
    page.click("[data-token-toggle]")
    assert page.get_attribute("#token-value", "type") == "text"
    page.click("[data-token-copy]")
    page.wait_for_selector("[data-token-status]:text('Copied.')")
    token = page.evaluate("navigator.clipboard.readText()")
    assert len(token) == 100 and token == page.input_value("#token-value")
    assert f'Bearer {token}" ' in page.inner_text("pre.snippet")
    assert f"{site.url}/api/v1/token" in page.inner_text("pre.snippet")
    shoot(page, "journey-token")
    answer = page.request.get(
        f"{site.url}/api/v1/token", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status == 200, answer.text()
    assert "image:list" in answer.text()


def test_delete_the_account_and_every_file_with_it(
    site: RealServer, site_page: Any, shoot: Any, tmp_path: Path
) -> None:
    page, username = site_page, unique("leaver")
    sign_up(page, username)
    upload_with_the_javascript_uploader(page, [png(tmp_path / "bye.png", (30, 30), "gray")])
    page.reload()
    link = file_row(page, "bye.png").locator("a.file-name").get_attribute("href")
    token = filehost_token(page)

    page.click("text=Delete my account…")
    page.wait_for_url("**/accounts/delete/")
    page.fill("#id_password", PASSWORD)
    page.check("#id_confirm")
    shoot(page, "journey-delete-account")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert "Your account and 1 file(s) have been deleted." in page.inner_text(".messages")

    assert page.request.get(link).status == 404
    assert_refused_within_read_cache_ms(page, site, token)
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert "Please enter a correct username and password" in page.inner_text("main")


def test_an_uploaded_html_file_is_downloaded_and_its_script_never_runs(
    site_page: Any, shoot: Any, tmp_path: Path
) -> None:
    page = site_page
    sign_up(page, unique("mallory"))
    evil = tmp_path / "evil.html"
    evil.write_text(
        "<!doctype html><title>evil</title><script>"
        "document.title = 'pwned'; window.name = 'pwned'; alert('pwned');"
        "</script><p>hello</p>"
    )
    upload_with_the_javascript_uploader(page, [evil])
    page.reload()
    url = file_row(page, "evil.html").locator("a.file-name").get_attribute("href")

    # The server says: a download, of opaque bytes, that may not run scripts if rendered anyway.
    answer = page.request.get(url)
    assert answer.status == 200
    assert answer.headers["content-disposition"].startswith("attachment")
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in answer.headers["content-security-policy"]

    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.evaluate("window.name = 'before'")
    title = page.title()
    with page.expect_download() as download_info:
        file_row(page, "evil.html").locator("a.file-name").click()
    assert Path(download_info.value.path()).read_bytes() == evil.read_bytes()
    with page.expect_download():
        try:
            page.goto(url)
        except PlaywrightError as error:  # Chromium aborts the navigation for a download
            assert "Download is starting" in str(error) or "ERR_ABORTED" in str(error)
    page.wait_for_timeout(300)
    assert dialogs == []
    assert page.title() == title != "pwned"
    assert page.evaluate("window.name") == "before"
    shoot(page, "journey-html-downloaded")


@pytest.mark.parametrize("path", ["/", "/api/docs/", "/admin/login/", "/stats/"])
def test_pages_load_without_a_console_error(site_page: Any, path: str) -> None:
    """Every page loads its icon, styles and scripts (site_page fails on a console error)."""
    answer = site_page.goto(path)
    assert answer.status == 200
    site_page.wait_for_load_state("networkidle")


# --- issue #22: the gallery -------------------------------------------------------------------


def test_gallery_tag_autocomplete_sort_oldest_and_step_through_images(site_page: Any) -> None:
    """The demo catalog of `make run`: pick the "Maid" category from the autocomplete, sort
    oldest first, open an image, go next and back, and find the download button."""
    page = site_page
    page.goto("/")
    search = page.get_by_role("combobox", name="Search names")
    search.press_sequentially("mai")
    maid = page.get_by_role("option").filter(has_text="Maid").filter(has_text="category")
    maid.wait_for()
    # Down to the Maid option with the keyboard, then Enter.
    for _ in range(page.get_by_role("option").count()):
        search.press("ArrowDown")
        if maid.get_attribute("aria-selected") == "true":
            break
    search.press("Enter")
    page.wait_for_url("**category=*")
    assert page.locator(".filter-chip").inner_text().startswith("Category: Maid")
    total = int(page.locator(".result-count").inner_text().split()[0])
    assert total >= 2

    page.get_by_label("Sort").select_option("oldest")
    page.wait_for_url("**sort=oldest*")
    dates = []
    page.locator(".gallery-grid a").first.click()
    page.wait_for_url("**/image/**")
    first_url = page.url
    dates.append(page.locator("time").get_attribute("datetime"))
    download = page.get_by_role("link", name="Download")
    assert download.get_attribute("download")
    assert download.get_attribute("href").startswith("/assets/")
    assert page.locator("a[rel=prev]").count() == 0  # the oldest maid: nothing before it

    page.locator("a[rel=next]").click()
    page.wait_for_url(lambda url: url != first_url)
    dates.append(page.locator("time").get_attribute("datetime"))
    assert dates[1] >= dates[0]  # oldest first
    assert "sort=oldest" in page.url and "category=" in page.url
    page.locator("a[rel=prev]").click()
    page.wait_for_url(first_url)


# --- issue #21: the media library and albums --------------------------------------------------
def upload_with_the_plain_form(
    browser: Any, site: RealServer, username: str, batches: list[tuple[list[Path], dict]]
) -> None:
    """Sign up and upload without JavaScript (the stable no-JS form), one POST per batch with
    that batch's options."""
    with new_tab(browser, site.url, site.url, site.upload_url, java_script_enabled=False) as tab:
        sign_up(tab, username)
        for files, options in batches:
            tab.goto("/dashboard/files/")
            if options:
                choose_upload_options(tab, **options)
            tab.set_input_files("#id_files", [str(path) for path in files])
            tab.click("#upload-form button[type=submit]")
            tab.wait_for_load_state()
            for path in files:
                assert f"{path.name} uploaded as" in tab.inner_text(".messages")


def card(page: Any, original_name: str) -> Any:
    name = page.locator(".file-original").get_by_text(original_name, exact=True)
    return page.locator(".library-card", has=name)


def test_media_library_grid_search_sort_and_bulk_delete(
    site: RealServer, site_page: Any, browser: Any, shoot: Any, tmp_path: Path
) -> None:
    """Issue #21: "grid and list views with thumbnails, search by name and type, sort by date,
    size and name ... bulk select with delete"."""
    page, username = site_page, unique("librarian")
    files = [
        png(tmp_path / "alpha-cat.png", (40, 30), "orange"),
        png(tmp_path / "beta-cat.png", (30, 40), "teal"),
        png(tmp_path / "delta-cat.png", (20, 20), "pink"),
    ]
    notes = tmp_path / "gamma-notes.txt"
    notes.write_text("not a cat\n")
    upload_with_the_plain_form(browser, site, username, [([*files, notes], {})])
    log_in(page, username)

    page.goto("/dashboard/files/")
    page.click("a.view-grid")
    page.wait_for_selector(".library-grid")
    assert page.locator(".library-card").count() == 4
    page.goto("/dashboard/files/")  # the choice is remembered
    assert page.locator(".library-grid").count() == 1
    # Pictures show their server-made thumbnail; the text file an icon.
    thumb = card(page, "alpha-cat.png").locator("img.library-thumb")
    thumb.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    assert card(page, "gamma-notes.txt").locator(".file-icon-text").count() == 1

    page.fill("#library_q", "CAT")
    page.select_option("#library_sort", "name-desc")
    page.click(".library-filters button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".library-card .file-original").all_inner_texts() == [
        "delta-cat.png",
        "beta-cat.png",
        "alpha-cat.png",
    ]
    page.select_option("#library_type", "text")
    page.fill("#library_q", "")
    page.click(".library-filters button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".library-card .file-original").all_inner_texts() == ["gamma-notes.txt"]
    page.goto("/dashboard/files/?q=cat&sort=name")
    shoot(page, "journey-library-grid")

    # Select all on the page, then just two.
    page.check("#select-all")
    assert page.locator("input.js-select:checked").count() == 3
    page.uncheck("#select-all")
    assert page.locator("input.js-select:checked").count() == 0
    links = []
    for original in ("alpha-cat.png", "beta-cat.png"):
        card(page, original).locator("input.js-select").check()
        links.append(card(page, original).locator("a.file-name").get_attribute("href"))
    assert all(link.startswith(site.upload_url) for link in links)
    assert page.inner_text("#library-results .selected-count") == "2 selected"

    page.click("button[name=action][value=delete]")
    page.wait_for_url("**/dashboard/files/bulk/")
    assert page.inner_text("h1") == "Delete 2 files?"
    shoot(page, "journey-library-bulk-delete")
    page.click("#bulk-confirm button[type=submit]")
    page.wait_for_url("**/dashboard/files/?q=cat&sort=name")
    assert "Deleted 2 file(s)." in page.inner_text(".messages")
    assert page.locator(".library-card .file-original").all_inner_texts() == ["delta-cat.png"]
    for link in links:
        assert page.request.get(link).status == 404


def test_album_shared_by_link_shows_files_locks_protected_ones_and_the_link_rotates(
    site: RealServer, site_page: Any, browser: Any, shoot: Any, tmp_path: Path
) -> None:
    """Issue #21: "albums — create, add and remove files, a public album page with a share
    link that honours each file's options (password, expiry)"."""
    page, username = site_page, unique("curator")
    notes = tmp_path / "trip-notes.txt"
    notes.write_text("day 1: cats\n")
    upload_with_the_plain_form(
        browser,
        site,
        username,
        [
            ([png(tmp_path / "beach.png", (64, 48), "gold"), notes], {}),
            ([png(tmp_path / "secret.png", (30, 30), "black")], {"password": "open sesame"}),
        ],
    )
    log_in(page, username)
    page.goto("/dashboard/files/?view=grid")
    page.check("#select-all")
    page.click("button[name=action][value=album]")
    page.wait_for_url("**/dashboard/files/bulk/")
    page.fill("#id_new_title", "Summer trip")
    page.click("#bulk-confirm button[type=submit]")
    page.wait_for_url("**/dashboard/files/albums/*/")
    assert "Added 3 file(s) to Summer trip." in page.inner_text(".messages")
    assert page.locator(".album-items .library-card").count() == 3
    assert "Private: only you see it." in page.inner_text("main")

    page.check("#id_is_public")
    page.click("form:has(#id_title) button[type=submit]")
    page.wait_for_load_state()
    share = page.input_value("#share-url")
    assert share.startswith(f"{site.url}/a/")
    shoot(page, "journey-album")

    with new_tab(browser, site.url, site.url, site.upload_url) as visitor:
        visitor.goto(share)
        assert visitor.inner_text("h1") == "Summer trip"
        assert visitor.locator(".library-card").count() == 3
        beach = visitor.locator(".library-card", has_text="beach.png")
        image = beach.locator("img")
        visitor.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )
        assert "trip-notes.txt" in visitor.inner_text(".shared-album")
        locked = visitor.locator(".library-card.locked")
        assert locked.count() == 1 and locked.locator("img").count() == 0
        assert "Password-protected" in locked.inner_text()
        link = locked.locator("a.file-name").get_attribute("href")
        assert link.startswith(site.upload_url)
        assert "This file is protected" in visitor.request.get(link).text()
        beach_link = beach.locator("a.file-name").get_attribute("href")
        assert beach_link.startswith(site.upload_url)
        assert visitor.request.get(beach_link).body() == (tmp_path / "beach.png").read_bytes()
        shoot(visitor, "journey-album-shared")

        # Remove a file: it leaves the shared page.
        page.locator(".album-items .library-card", has_text="trip-notes.txt").locator(
            "input[name=names]"
        ).check()
        page.click("#album-remove-form button[type=submit]")
        page.wait_for_load_state()
        assert "Removed 1 file(s) from Summer trip." in page.inner_text(".messages")
        visitor.reload()
        assert visitor.locator(".library-card").count() == 2

        # A new link ends the old one.
        page.click("form[action$='/rotate/'] button[type=submit]")
        page.wait_for_load_state()
        assert "the old one no longer works" in page.inner_text(".messages")
        new_share = page.input_value("#share-url")
        assert new_share != share
        assert visitor.request.get(share).status == 404
        assert visitor.request.get(new_share).status == 200


# --- issue #21: the dashboard uploads through tus --------------------------------------------
MB = 1024 * 1024
CHUNK = 5 * MB  # uploader.js's chunkSize


def random_file(path: Path, size: int) -> Path:
    path.write_bytes(os.urandom(size))
    return path


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def upload_row(page: Any, name: str) -> Any:
    return page.locator("#upload-progress li.upload-row", has=page.get_by_text(name, exact=True))


def forgive_network_errors(page: Any) -> None:
    """Requests a journey fails on purpose (offline, aborted) are logged by Chromium."""
    page.console_errors[:] = [e for e in page.console_errors if "net::ERR_" not in e]


class PatchGate:
    """Routes the tus PATCHes of a page: lets the first `allow` through, then fails every
    other one (as a dropped connection would) until `open()`; remembers what was sent."""

    def __init__(self, page: Any, allow: int, offline: bool = False) -> None:
        self.page, self.allow, self.offline = page, allow, offline
        self.seen = 0
        self.closed = True
        page.route("**/api/files/tus/*", self._route)

    def _route(self, route: Any) -> None:
        if route.request.method != "PATCH":
            route.continue_()
            return
        self.seen += 1
        if self.seen <= self.allow or not self.closed:
            route.continue_()
            return
        if self.offline:
            self.page.context.set_offline(True)
        route.abort("internetdisconnected")

    def wait_until_blocked(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.seen <= self.allow:
            assert time.monotonic() < deadline, "the upload never sent the PATCH to block"
            self.page.wait_for_timeout(100)

    def open(self) -> None:
        self.closed = False
        self.page.unroute("**/api/files/tus/*", self._route)


def record_tus_requests(page: Any) -> list[tuple[str, str, str | None]]:
    """(method, url, Upload-Offset) of every tus request the page sends from now on."""
    sent: list[tuple[str, str, str | None]] = []

    def on_request(request: Any) -> None:
        if "/api/files/tus/" in request.url:
            sent.append((request.method, request.url, request.headers.get("upload-offset")))

    page.on("request", on_request)
    return sent


def test_tus_uploader_shows_percent_copies_the_link_and_lists_the_files_without_a_reload(
    site: RealServer, site_page: Any, shoot: Any, tmp_path: Path
) -> None:
    """Issue #21: per-file progress with percent, "the link copied when a file finishes, new
    files in the list at once with counts and storage used updated"."""
    page = site_page
    sign_up(page, unique("tusser"))
    page.goto("/dashboard/files/")
    assert page.inner_text("#files-usage").startswith("0 files, 0\xa0bytes used")
    assert page.locator("[data-files-list] .empty-state").count() == 1
    # Nothing on the page goes away: this stays set unless the page reloads.
    page.evaluate(
        "window.uploadedEvents = [];"
        "document.addEventListener('nekosite:uploaded',"
        " (e) => window.uploadedEvents.push(e.detail.originalName))"
    )
    cat = png(tmp_path / "cat.png", (120, 80), "orange")
    big = random_file(tmp_path / "video.bin", 6 * MB)  # two chunks
    page.set_input_files("#id_files", [str(cat), str(big)])
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#upload-progress li.success >> nth=1", timeout=60000)
    shoot(page, "journey-tus-uploaded")

    assert page.locator("#upload-progress li.error").count() == 0
    assert page.locator("#upload-progress .upload-percent").all_inner_texts() == ["100%"] * 2
    assert page.eval_on_selector_all(
        "#upload-progress progress", "bars => bars.map(bar => bar.value)"
    ) == [100, 100]
    links = [
        upload_row(page, name).locator("a.upload-link").get_attribute("href")
        for name in ("cat.png", "video.bin")
    ]
    assert all(link.startswith(site.upload_url) for link in links)
    for name in ("cat.png", "video.bin"):
        assert upload_row(page, name).locator(".upload-copied").inner_text() == "Copied"
    assert page.evaluate("navigator.clipboard.readText()") == links[1]  # the last one copied
    assert page.request.get(links[0]).body() == cat.read_bytes()
    assert sha256_of(page.request.get(links[1]).body()) == sha256_of(big.read_bytes())

    # The list and the header follow, without a reload.
    file_row(page, "cat.png").wait_for()
    file_row(page, "video.bin").wait_for()
    page.wait_for_function(
        "document.getElementById('files-usage').textContent.startsWith('2 files, 6.0')"
    )
    assert page.locator("[data-files-list] .empty-state").count() == 0
    assert page.evaluate("window.uploadedEvents") == ["cat.png", "video.bin"]
    # A row brought in by the refresh works like one rendered with the page.
    file_row(page, "cat.png").locator("button.js-copy").click()
    page.wait_for_selector("button.js-copy:text('Copied!')")
    assert page.evaluate("navigator.clipboard.readText()") == links[0]
    shoot(page, "journey-tus-listed")


def test_a_big_upload_cut_off_by_a_network_drop_resumes_and_finishes_byte_identical(
    site_page: Any, shoot: Any, tmp_path: Path
) -> None:
    """Issue #21: "interrupt by killing the connection, resume". The browser goes offline in
    the middle of a 30 MB upload; back online, it goes on from the server's offset."""
    page = site_page
    sign_up(page, unique("offline"))
    page.goto("/dashboard/files/")
    big = random_file(tmp_path / "big.bin", 30 * MB)
    gate = PatchGate(page, allow=2, offline=True)  # the third chunk's connection dies
    sent = record_tus_requests(page)
    page.set_input_files("#id_files", str(big))
    page.click("#upload-form button[type=submit]")
    row = upload_row(page, "big.bin")
    row.locator(".upload-status:text('Offline')").wait_for(timeout=60000)
    shoot(page, "journey-tus-offline")
    percent = int(row.locator(".upload-percent").inner_text().rstrip("%"))
    assert 0 < percent < 100
    assert row.locator(".upload-speed").inner_text() == ""  # no speed while stalled
    gate.open()
    before = len(sent)
    page.context.set_offline(False)
    page.wait_for_selector("#upload-progress li.success", timeout=120000)
    forgive_network_errors(page)

    resumed = sent[before:]
    assert resumed[0][0] == "HEAD"  # where did the server stop?
    assert [method for method, _, _ in resumed].count("POST") == 0  # the same upload
    first_patch = next(offset for method, _, offset in resumed if method == "PATCH")
    assert int(first_patch or 0) == 2 * CHUNK
    link = row.locator("a.upload-link").get_attribute("href")
    assert sha256_of(page.request.get(link).body()) == sha256_of(big.read_bytes())


def test_reload_mid_upload_then_the_same_file_resumes_where_it_stopped(
    site_page: Any, tmp_path: Path
) -> None:
    """Issue #21: "resume after ... a page reload": the upload's URL is kept in localStorage,
    so choosing the same file again asks the server for its offset and goes on from there."""
    page = site_page
    sign_up(page, unique("reloader"))
    page.goto("/dashboard/files/")
    big = random_file(tmp_path / "movie.bin", 12 * MB)
    gate = PatchGate(page, allow=1)
    page.set_input_files("#id_files", str(big))
    page.click("#upload-form button[type=submit]")
    gate.wait_until_blocked()
    gate.open()
    page.reload()
    hint = page.locator("#upload-progress li.upload-unfinished")
    assert hint.inner_text().startswith(
        "movie.bin: unfinished upload. Choose the file again to resume it."
    )

    sent = record_tus_requests(page)
    page.set_input_files("#id_files", str(big))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#upload-progress li.success", timeout=60000)
    forgive_network_errors(page)
    assert hint.count() == 0
    methods = [method for method, _, _ in sent]
    assert "POST" not in methods and methods[0] == "HEAD"
    first_patch = next(offset for method, _, offset in sent if method == "PATCH")
    assert int(first_patch or 0) == CHUNK  # the first chunk was not sent again
    link = upload_row(page, "movie.bin").locator("a.upload-link").get_attribute("href")
    assert sha256_of(page.request.get(link).body()) == sha256_of(big.read_bytes())
    file_row(page, "movie.bin").wait_for()
    assert file_row(page, "movie.bin").count() == 1
    # Finished: nothing is left to resume.
    assert page.evaluate("Object.keys(localStorage).filter((key) => key.startsWith('tus::'))") == []


def test_pasting_an_image_uploads_it(site: RealServer, site_page: Any) -> None:
    """Issue #21: paste-to-upload (a screenshot pasted anywhere on the page)."""
    page = site_page
    sign_up(page, unique("paster"))
    page.goto("/dashboard/files/")
    page.evaluate(
        """async () => {
          const canvas = document.createElement("canvas");
          canvas.width = 32; canvas.height = 24;
          const ctx = canvas.getContext("2d");
          ctx.fillStyle = "#c0ffee"; ctx.fillRect(0, 0, 32, 24);
          const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
          const data = new DataTransfer();
          data.items.add(new File([blob], "screenshot.png", {type: "image/png"}));
          document.body.dispatchEvent(new ClipboardEvent("paste",
            {clipboardData: data, bubbles: true, cancelable: true}));
        }"""
    )
    page.wait_for_selector("#upload-progress li.success", timeout=30000)
    link = upload_row(page, "screenshot.png").locator("a.upload-link").get_attribute("href")
    assert link.startswith(site.upload_url) and link.endswith(".png")
    answer = page.request.get(link)
    assert answer.headers["content-type"] == "image/png"
    with PillowImage.open(io.BytesIO(answer.body())) as image:
        assert image.size == (32, 24)
    file_row(page, "screenshot.png").wait_for()


def test_cancel_stops_an_upload_and_deletes_it_on_the_server_then_retry_uploads_it(
    site_page: Any, shoot: Any, tmp_path: Path
) -> None:
    """Issue #21: cancel and retry. Cancel terminates the partial upload (tus DELETE): the
    server no longer knows it. Retry then sends the file afresh."""
    page = site_page
    sign_up(page, unique("canceller"))
    token = filehost_token(page)
    big = random_file(tmp_path / "huge.bin", 12 * MB)
    gate = PatchGate(page, allow=1)
    sent = record_tus_requests(page)
    choose_upload_options(page, password="open sesame")
    page.set_input_files("#id_files", str(big))
    page.click("#upload-form button[type=submit]")
    gate.wait_until_blocked()
    # The unfinished upload's URL waits in localStorage for a resume; its password does not.
    stored = page.evaluate("JSON.stringify(Object.entries(localStorage))")
    assert "huge.bin" in stored and "open sesame" not in stored and "file-password" not in stored
    row = upload_row(page, "huge.bin")
    with page.expect_response(lambda r: r.request.method == "DELETE") as deleted:
        row.locator("button.upload-cancel").click()
    assert deleted.value.status == 204
    upload_url = deleted.value.url
    assert row.locator(".upload-status").inner_text() == "Cancelled."
    shoot(page, "journey-tus-cancelled")
    gone = page.request.head(upload_url, headers={"token": token, "Tus-Resumable": "1.0.0"})
    assert gone.status == 404
    patches = sum(1 for method, _, _ in sent if method == "PATCH")
    page.wait_for_timeout(1500)  # no retry goes on behind the user's back
    assert sum(1 for method, _, _ in sent if method == "PATCH") == patches
    assert page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('tus::'))") == []

    gate.open()
    row.locator("button.upload-retry").click()
    page.wait_for_selector("#upload-progress li.success", timeout=60000)
    forgive_network_errors(page)
    link = row.locator("a.upload-link").get_attribute("href")
    assert "This file is protected" in page.request.get(link).text()  # the options went along
    page.wait_for_function(
        "document.getElementById('files-usage').textContent.startsWith('1 file,')"
    )


def test_submit_an_image_an_admin_approves_it_and_it_shows_in_the_gallery_and_the_api(
    site: RealServer, site_page: Any, browser: Any, shoot: Any, tmp_path: Path
) -> None:
    """Issue #22: submit -> moderate -> visible, each step in the browser on the real server."""
    page, username = site_page, unique("submitter")
    sign_up(page, username)
    page.goto("/dashboard/submissions/")
    page.click("#submit-image")
    page.wait_for_url("**/dashboard/submissions/new/")
    page.click("main button[type=submit]")  # no file: the error is next to the field
    assert "This field is required." in page.inner_text("#id_file_error")
    picture = png(tmp_path / "submitted.png", (48, 40), "#%06x" % (uuid.uuid4().int % 0xFFFFFF))
    page.set_input_files("#id_file", str(picture))
    page.select_option("#id_nsfw", "sfw")
    page.fill("#id_source_name", "my sketchbook")
    page.select_option("#id_original", "true")
    page.click("main button[type=submit]")
    page.wait_for_url("**/dashboard/submissions/")
    assert "Staff will review your image" in page.inner_text(".messages")
    row = page.locator("main tbody tr").first
    assert "Pending review" in row.inner_text()
    image_id = row.locator("code").inner_text().strip()
    shoot(page, "journey-submission-pending")
    # Invisible to the public meanwhile.
    assert page.request.get(f"{site.url}/api/v1/image/{image_id}").status == 404
    assert page.request.get(f"{site.url}/image/{image_id}/").status == 404

    with new_tab(browser, site.url, site.url, site.upload_url) as admin:
        admin_log_in(admin)
        message = admin_run_action(
            admin, "/admin/catalog/submission/", username, image_id, "approve"
        )
        assert "Approved 1 submission(s)." in message
        shoot(admin, "journey-submission-approved")

    page.reload()
    row = page.locator("main tbody tr").first
    assert "Approved" in row.inner_text()
    row.locator(f"a[href='/image/{image_id}/']").click()
    page.wait_for_url(f"**/image/{image_id}/")
    assert "my sketchbook" in page.inner_text("main")
    answer = page.request.get(f"{site.url}/api/v1/image/{image_id}")
    assert answer.status == 200, answer.text()
    data = answer.json()["data"]
    assert (data["source"]["name"], data["original"]) == ("my sketchbook", True)
    assert page.request.get(data["url"]).status == 200
