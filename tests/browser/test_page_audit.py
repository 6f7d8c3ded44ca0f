"""Every main page, as a phone and a desktop user sees it: no sideways scrolling, readable
contrast (WCAG AA), a label for every form control, alt text on every image, one h1, and the
navigation marks the current page. Screenshots of each page are saved."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from accounts import services as account_services
from accounts.models import User
from catalog.models import Image
from catalog.services import character_get_or_create, image_thumbnail_ensure
from catalog.tests.factories import make_category, make_image
from uploads.options import UploadOptions
from uploads.services import album_add_uploads, album_create, upload_create
from uploads.tests.conftest import png_bytes
from webhooks import services as webhook_services
from webhooks import signing
from webhooks.models import Delivery, Event, Webhook

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a long passphrase 42"

# Runs in the page: returns a list of problems (empty when the page is fine).
AUDIT_JS = """
() => {
  const problems = [];
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = ({r, g, b}) => { const f = (v) => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const background = (el) => { for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a >= 0.99) return c;
      if (getComputedStyle(e).backgroundImage !== 'none') return null; }
    return {r: 255, g: 255, b: 255, a: 1}; };
  const visible = (el) => { const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 1 && r.height > 1 && s.visibility !== 'hidden' && s.display !== 'none'; };
  for (const el of document.querySelectorAll('main *, header *, footer *')) {
    if (el.closest('svg') || !visible(el)) continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const s = getComputedStyle(el);
    const fg = parse(s.color), bg = background(el);
    if (!fg || !bg) continue;
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(s.fontSize), bold = parseInt(s.fontWeight, 10) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) problems.push(
      `contrast ${ratio.toFixed(2)} for "${el.textContent.trim().slice(0, 30)}"`);
  }
  for (const img of document.querySelectorAll('img')) {
    if (!img.hasAttribute('alt')) problems.push(`img without alt: ${img.src}`);
  }
  for (const c of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    const named = (c.id && document.querySelector(`label[for="${c.id}"]`)) || c.closest('label')
      || c.getAttribute('aria-label') || c.getAttribute('aria-labelledby');
    if (!named) problems.push(`control without label: ${c.name || c.id}`);
  }
  if (document.querySelectorAll('h1').length !== 1) problems.push('not exactly one h1');
  if (document.documentElement.scrollWidth > window.innerWidth + 1)
    problems.push(`page scrolls sideways: ${document.documentElement.scrollWidth}px`);
  return problems;
}
"""


@pytest.fixture
def site(settings: Any, live_server: Any, tmp_path: Path) -> dict[str, str]:
    """A small but complete site: catalog, an uploader with files and API applications."""
    settings.SITE_URL = live_server.url
    settings.UPLOAD_BASE_URL = f"{live_server.url}/u/"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "uploads": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "uploads"), "base_url": None},
        },
    }
    miku = character_get_or_create(name="Hatsune Miku")
    maid = make_category(name="Maid")
    image = make_image(categories=[maid], characters=[miku], width=64, height=48)
    for _ in range(4):
        make_image(categories=[maid], width=48, height=64)
    make_image(nsfw="nsfw")
    for row in Image.objects.all():
        image_thumbnail_ensure(image=row)
    staff = User.objects.create_superuser(username="boss", password=PASSWORD)
    owner = User.objects.create_user(username="moptop", password=PASSWORD)
    for name, data in (("a-rather-long-file-name-for-a-phone.txt", b"hello\n"), ("b.txt", b"x")):
        upload_create(owner=owner, file=io.BytesIO(data), client_name=name, size=len(data))
    # Issue #20: a file with every option, so the table's expiry, views and markers are audited.
    with_options = upload_create(
        owner=owner,
        file=io.BytesIO(b"secret"),
        client_name="with-options.txt",
        size=6,
        options=UploadOptions(
            expires_in=timedelta(hours=3),
            max_views=10,
            password="open sesame",
            keep_metadata=True,
            embed_title="Neko of the day",
            embed_color="#ff66aa",
        ),
    )
    # Issue #21: an album, shared, with a picture, a text file and a locked file.
    picture_data = png_bytes((64, 48))
    picture = upload_create(
        owner=owner,
        file=io.BytesIO(picture_data),
        client_name="a-cat-with-a-long-name-for-phones.png",
        size=len(picture_data),
    )
    album = album_create(
        owner=owner,
        title="Summer trip with a rather long title for a phone",
        description="Cats, beaches and notes.",
        is_public=True,
    )
    album_add_uploads(album=album, uploads=[picture, with_options, *owner.uploads.all()])
    approved = account_services.application_request(
        user=owner, name="Kaguya bot", purpose="Discord images", scopes=["image:list"]
    )
    account_services.application_approve(
        application=approved, scopes=["image:list"], expires_at=None, by=staff
    )
    webhook = Webhook.objects.create(
        user=owner,
        url="https://hooks.example.org/a-rather-long-path/for-a-phone-screen?token=abcdef0123456789",
        events=["upload.created", "upload.deleted"],
        secret_nonce=signing.new_nonce(),
    )
    Delivery.objects.create(
        webhook=webhook,
        event=Event.objects.create(type="upload.created"),
        status=Delivery.Status.FAILED,
        attempts=30,
        response_code=502,
        latency_ms=1234,
        error="HTTP 502 Bad Gateway",
    )
    webhook_services.webhook_disable(
        webhook=webhook, reason="Disabled after 24 hours of failed deliveries (last: 502)."
    )
    return {
        "image": f"/image/{image.pk}/",
        "application": f"/dashboard/applications/{approved.pk}/",
        "webhook": f"/dashboard/webhooks/{webhook.pk}/",
        "file_options": f"/dashboard/files/{with_options.name}/options/",
        "album": f"/dashboard/files/albums/{album.pk}/",
        "album_public": f"/a/{album.slug}/",
    }


def audit(page: Any, shoot: Any, path: str, name: str, current: str | None) -> list[str]:
    page.goto(path)
    return audit_here(page, shoot, path, name, current)


def audit_here(page: Any, shoot: Any, path: str, name: str, current: str | None) -> list[str]:
    """Audit the page the tab is on now (one reached by a form, say)."""
    page.wait_for_load_state("networkidle")
    problems = []
    for width, label in ((1280, "desktop"), (390, "phone")):
        page.set_viewport_size({"width": width, "height": 844})
        problems += [f"{path} ({label}): {p}" for p in page.evaluate(AUDIT_JS)]
    page.set_viewport_size({"width": 1280, "height": 900})
    if current:
        marked = page.locator("#nav-links a[aria-current=page]").all_inner_texts()
        if marked != [current]:
            problems.append(f"{path}: navigation marks {marked}, expected [{current!r}]")
    shoot(page, f"audit-{name}")
    return problems


def test_public_pages_pass_the_audit(page: Any, shoot: Any, site: dict[str, str]) -> None:
    problems = []
    for path, name, current in (
        ("/", "gallery", "Gallery"),
        (site["image"], "image", "Gallery"),
        ("/stats/", "stats", "Stats"),
        ("/accounts/login/", "login", "Log in"),
        ("/accounts/signup/", "signup", "Sign up"),
        ("/?q=nothing-matches", "gallery-empty", "Gallery"),
        (site["album_public"], "album-public", None),
    ):
        problems += audit(page, shoot, path, name, current)
    assert problems == []


def test_dashboard_pages_pass_the_audit(page: Any, shoot: Any, site: dict[str, str]) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", "moptop")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/dashboard/")
    problems = []
    for path, name, current in (
        ("/dashboard/", "dashboard", "Dashboard"),
        ("/dashboard/files/", "files", "My files"),
        ("/dashboard/files/?view=grid", "files-grid", "My files"),
        ("/dashboard/files/?view=list&q=nothing-matches", "files-no-match", "My files"),
        ("/dashboard/files/albums/", "albums", "My files"),
        (site["album"], "album", "My files"),
        (site["album"] + "delete/", "album-delete", "My files"),
        (site["file_options"], "file-options", "My files"),
        ("/dashboard/applications/", "applications", "Dashboard"),
        ("/dashboard/applications/new/", "application-new", "Dashboard"),
        (site["application"], "application-detail", "Dashboard"),
        (site["application"] + "?reveal=1", "application-revealed", "Dashboard"),
        ("/dashboard/webhooks/", "webhooks", "Dashboard"),
        ("/dashboard/submissions/", "submissions", "Dashboard"),
        ("/dashboard/submissions/new/", "submission-new", "Dashboard"),
        (site["webhook"], "webhook-detail", "Dashboard"),
        (site["webhook"] + "delete/", "webhook-delete", "Dashboard"),
        ("/accounts/password/", "password", "Dashboard"),
        ("/accounts/delete/", "delete-account", "Dashboard"),
    ):
        problems += audit(page, shoot, path, name, current)
    # The library's bulk pages, reached by its form.
    for action, name in (("delete", "delete"), ("options", "options"), ("album", "album")):
        page.goto("/dashboard/files/")
        page.check("#select-all")
        page.click(f"button[name=action][value={action}]")
        problems += audit_here(page, shoot, f"bulk {action}", f"files-bulk-{name}", "My files")
    assert problems == []
    # The dashboard tabs mark where you are, too.
    page.goto("/dashboard/files/")
    tabs = page.locator("nav[aria-label=Dashboard] a[aria-current=page]").all_inner_texts()
    assert tabs == ["My files"]


# Runs in the page: the dashboard tabs that are not wholly on screen, or the row's overflow.
TABS_OFF_SCREEN_JS = """
() => {
  const row = document.querySelector('nav[aria-label=Dashboard] ul');
  const off = [...row.querySelectorAll('a')].filter((a) => {
    const r = a.getBoundingClientRect();
    return r.width < 1 || r.left < 0 || r.right > window.innerWidth;
  }).map((a) => a.textContent.trim());
  if (row.scrollWidth > row.clientWidth + 1) off.push(`the row scrolls: ${row.scrollWidth}px`);
  return off;
}
"""


def test_every_dashboard_tab_is_on_a_phone_screen(
    page: Any, shoot: Any, site: dict[str, str]
) -> None:
    """Issue #21: "Phones: usable at 390 px (today the dashboard tabs "Password" and "Delete
    account" scroll off-screen with no hint)"."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/accounts/login/")
    page.fill("#id_username", "moptop")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/dashboard/")
    for path in ("/dashboard/", "/dashboard/files/", "/accounts/delete/"):
        page.goto(path)
        assert page.evaluate(TABS_OFF_SCREEN_JS) == [], path
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    page.goto("/dashboard/files/")
    page.get_by_role("link", name="Delete account").click()
    page.wait_for_url("**/accounts/delete/")
    shoot(page, "audit-dashboard-tabs-phone")


def test_the_file_picker_is_a_button_not_a_bar_across_the_page(
    page: Any, site: dict[str, str]
) -> None:
    """Issue #21: "the native file input is stretched across the page"."""
    page.goto("/accounts/login/")
    page.fill("#id_username", "moptop")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/dashboard/")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 844})
        page.goto("/dashboard/files/")
        picker = page.locator("#id_files").bounding_box()
        zone = page.locator("#drop-zone").bounding_box()
        assert picker["width"] < zone["width"] * (0.6 if width > 600 else 0.95)
        assert picker["x"] >= 0 and picker["x"] + picker["width"] <= width


def test_form_errors_are_announced_and_tied_to_their_fields(
    page: Any, shoot: Any, site: dict[str, str]
) -> None:
    page.goto("/accounts/signup/")
    page.fill("#id_username", "moptop")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", "something else entirely")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    field = page.locator("#id_password2")
    assert field.get_attribute("aria-invalid") == "true"
    described = field.get_attribute("aria-describedby").split()
    assert "id_password2_error" in described
    assert "do not match" in page.inner_text("#id_password2_error")
    assert page.locator("#id_password2_error[role=alert]").count() == 1
    shoot(page, "audit-signup-errors")
