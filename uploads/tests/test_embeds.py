"""Issue #20, embeds: "an embed page per file at a documented path with OpenGraph, Twitter-card
and oEmbed data so that Discord, Slack and Twitter show the image or video with a title and
colour the user sets" — checked with a real OpenGraph parser (extruct)."""

from __future__ import annotations

import json
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import extruct
import pytest
from django.test import Client
from django.utils import timezone

from nekosite.lib.errors import is_json_path, json_error_prefixes
from uploads import services
from uploads.models import Upload
from uploads.tests.conftest import png_bytes

pytestmark = pytest.mark.django_db
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200


class MetaTags(HTMLParser):
    """<meta name=...> (Twitter cards, theme-color), <link rel=alternate> and <img>/<video>:
    what extruct's OpenGraph syntax (property=og:...) does not cover."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.names: dict[str, str] = {}
        self.links: list[dict[str, str]] = []
        self.tags: list[str] = []
        self.inline_scripts = 0
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        self.tags.append(tag)
        if tag == "script" and not values.get("src"):
            self.inline_scripts += 1
        if tag == "meta" and "name" in values:
            self.names[values["name"]] = values.get("content", "")
        if tag == "link":
            self.links.append(values)


def opengraph(html: str, url: str) -> dict[str, str]:
    data = extruct.extract(html, base_url=url, syntaxes=["opengraph"], uniform=False)
    (item,) = data["opengraph"]
    properties = dict(item["properties"])
    assert len(properties) == len(item["properties"]), "a property given twice"
    return properties


def upload(upload_file: Any, token: str, data: bytes, name: str, **headers: str) -> str:
    response = upload_file(token, data, name, **headers)
    assert response.status_code == 200, response.content
    return str(response.json()["url"]).rsplit("/", 1)[-1]


def embed_page(client: Client, name: str) -> tuple[Any, dict[str, str], MetaTags]:
    response = client.get(f"/e/{name}")
    assert response.status_code == 200, response.content
    html = response.content.decode()
    return response, opengraph(html, f"http://testserver/e/{name}"), MetaTags(html)


def oembed(client: Client, url: str, **params: str) -> Any:
    return client.get("/api/oembed", {"url": url, **params})


# --- the embed page ---------------------------------------------------------------------------


def test_an_image_page_has_opengraph_twitter_theme_colour_and_oembed_discovery(
    client: Client, owner_token: str, upload_file: Any, settings: Any
) -> None:
    name = upload(
        upload_file,
        owner_token,
        png_bytes((40, 30)),
        "cat.png",
        HTTP_EMBED_TITLE="My cat",
        HTTP_EMBED_COLOR="#FF66AA",
        HTTP_EMBED_DESCRIPTION="Sleeping on the keyboard",
    )
    response, og, meta = embed_page(client, name)
    page = f"{settings.SITE_URL}/e/{name}"
    image = f"{settings.UPLOAD_BASE_URL}{name}"
    assert og == {
        "og:type": "website",
        "og:site_name": "nekosite",
        "og:title": "My cat",
        "og:url": page,
        "og:description": "Sleeping on the keyboard",
        "og:image": image,
        "og:image:type": "image/png",
        "og:image:width": "40",
        "og:image:height": "30",
        "og:image:alt": "My cat",
    }
    assert meta.names["twitter:card"] == "summary_large_image"
    assert meta.names["twitter:image"] == image
    assert meta.names["twitter:title"] == "My cat"
    # Discord colours the embed's bar with theme-color; the option is stored lowercased.
    assert meta.names["theme-color"] == "#ff66aa"
    (discovery,) = [link for link in meta.links if link.get("type") == "application/json+oembed"]
    assert discovery["rel"] == "alternate"
    href = urlsplit(discovery["href"])
    assert f"{href.scheme}://{href.netloc}{href.path}" == f"{settings.SITE_URL}/api/oembed"
    assert parse_qs(href.query) == {"url": [page], "format": ["json"]}
    # For people: the image itself, in the site's layout, and never indexed.
    html = response.content.decode()
    assert 'class="site-header"' in html and f'src="{image}"' in html
    assert response["X-Robots-Tag"] == "noindex"
    assert meta.inline_scripts == 0  # the site's pages load scripts from files only


def test_the_title_falls_back_to_the_original_file_name(
    client: Client, owner_token: str, upload_file: Any
) -> None:
    name = upload(upload_file, owner_token, png_bytes(), "holiday.png")
    _, og, meta = embed_page(client, name)
    assert og["og:title"] == "holiday.png"
    assert "og:description" not in og and "theme-color" not in meta.names


def test_the_embed_url_of_the_upload_answer_is_the_embed_page(
    client: Client, owner_token: str, upload_file: Any, settings: Any
) -> None:
    response = upload_file(owner_token, png_bytes(), "cat.png", HTTP_EMBED="true")
    name = response.json()["url"].rsplit("/", 1)[-1]
    assert response.json()["embed"] == f"{settings.SITE_URL}/e/{name}"
    assert client.get(urlsplit(response.json()["embed"]).path).status_code == 200


def test_a_video_page_has_og_video_and_a_player_card(
    client: Client, owner_token: str, upload_file: Any, settings: Any
) -> None:
    name = upload(upload_file, owner_token, MP4, "clip.mp4", HTTP_EMBED_TITLE="Clip")
    _, og, meta = embed_page(client, name)
    video = f"{settings.UPLOAD_BASE_URL}{name}"
    assert og["og:video"] == video and og["og:video:type"] == "video/mp4"
    assert "og:image" not in og and og["og:title"] == "Clip"
    assert meta.names["twitter:card"] == "player"
    assert meta.names["twitter:player:stream"] == video
    assert "video" in meta.tags


def test_a_plain_file_page_is_a_summary_with_a_download_link(
    client: Client, owner_token: str, upload_file: Any, settings: Any
) -> None:
    name = upload(upload_file, owner_token, b"hello world\n", "notes.txt")
    response, og, meta = embed_page(client, name)
    assert og["og:title"] == "notes.txt" and og["og:type"] == "website"
    assert not {"og:image", "og:video"} & set(og)
    assert meta.names["twitter:card"] == "summary"
    assert f'href="{settings.UPLOAD_BASE_URL}{name}"' in response.content.decode()


def test_a_password_protected_page_reveals_nothing_of_the_file(
    client: Client, owner_token: str, upload_file: Any, settings: Any
) -> None:
    name = upload(
        upload_file,
        owner_token,
        png_bytes(),
        "secret-plans.png",
        HTTP_FILE_PASSWORD="open sesame",
        HTTP_EMBED_TITLE="Secret plans",
        HTTP_EMBED_DESCRIPTION="Do not share",
    )
    response, og, meta = embed_page(client, name)
    html = response.content.decode()
    assert og["og:title"] == "Password-protected file"
    assert not {"og:image", "og:video", "og:description"} & set(og)
    assert "twitter:image" not in meta.names and meta.names["twitter:card"] == "summary"
    assert "Secret plans" not in html and "secret-plans" not in html and "<img" not in html
    # It links to the file URL, which shows the password page.
    assert f'href="{settings.UPLOAD_BASE_URL}{name}"' in html
    assert "This file is protected" in client.get(f"/u/{name}").content.decode()


def test_a_max_views_page_has_no_media_tags_and_does_not_embed_the_file(
    client: Client, owner_token: str, upload_file: Any
) -> None:
    name = upload(
        upload_file, owner_token, png_bytes(), "once.png", HTTP_MAX_VIEWS="3",
        HTTP_EMBED_TITLE="Only three times",
    )  # fmt: skip
    response, og, meta = embed_page(client, name)
    assert og["og:title"] == "Only three times"
    assert not {"og:image", "og:video"} & set(og)
    assert meta.names["twitter:card"] == "summary" and "twitter:image" not in meta.names
    # A browser showing the page must not burn a view either: a link, no <img>.
    assert "img" not in meta.tags and "limited number of times" in response.content.decode()


def test_the_embed_page_never_counts_a_view(
    client: Client, owner_token: str, upload_file: Any, settings: Any
) -> None:
    """Chat apps' crawlers fetch the page: a max-views=1 file is still served once after."""
    name = upload(upload_file, owner_token, png_bytes(), "once.png", HTTP_MAX_VIEWS="1")
    for _ in range(5):
        assert client.get(f"/e/{name}").status_code == 200
        assert client.head(f"/e/{name}").status_code == 200
        assert oembed(client, f"{settings.SITE_URL}/e/{name}").status_code == 200
    assert Upload.objects.get(name=name).view_count == 0
    assert client.get(f"/u/{name}").status_code == 200
    assert client.get(f"/u/{name}").status_code == 404
    assert client.get(f"/e/{name}").status_code == 404


def test_the_embed_page_does_not_count_views_of_unlimited_files(
    client: Client, owner_token: str, upload_file: Any
) -> None:
    from uploads import viewcount

    name = upload(upload_file, owner_token, png_bytes(), "cat.png")
    for _ in range(3):
        client.get(f"/e/{name}")
    viewcount.flush()
    assert Upload.objects.get(name=name).view_count == 0


@pytest.mark.parametrize("gone", ["expired", "views used up", "deleted", "unknown"])
def test_an_unavailable_file_is_the_sites_html_404_page(
    gone: str, client: Client, owner_token: str, upload_file: Any
) -> None:
    name = upload(upload_file, owner_token, png_bytes(), "cat.png", HTTP_MAX_VIEWS="1")
    if gone == "expired":
        Upload.objects.filter(name=name).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif gone == "views used up":
        assert client.get(f"/u/{name}").status_code == 200
    elif gone == "deleted":
        services.upload_delete(upload=Upload.objects.get(name=name))
    else:
        name = "nothere.png"
    response = client.get(f"/e/{name}")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "<h1>Page not found</h1>" in response.content.decode()


def test_embed_pages_are_not_a_json_error_path() -> None:
    prefixes = json_error_prefixes()
    assert not is_json_path("/e/abcdefg.png", prefixes)
    assert is_json_path("/api/oembed", prefixes)


# --- oEmbed ------------------------------------------------------------------------------------


def test_oembed_of_an_image_is_a_photo_from_the_page_or_the_file_url(
    client: Client, owner_token: str, upload_file: Any, settings: Any
) -> None:
    name = upload(
        upload_file, owner_token, png_bytes((40, 30)), "cat.png", HTTP_EMBED_TITLE="My cat"
    )
    expected = {
        "version": "1.0",
        "type": "photo",
        "title": "My cat",
        "provider_name": "nekosite",
        "provider_url": f"{settings.SITE_URL}/",
        "url": f"{settings.UPLOAD_BASE_URL}{name}",
        "width": 40,
        "height": 30,
    }
    for url in (f"{settings.SITE_URL}/e/{name}", f"{settings.UPLOAD_BASE_URL}{name}"):
        response = oembed(client, url, format="json")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert response.json() == expected


def test_oembed_answers_a_link_for_a_photo_over_maxwidth(
    client: Client, owner_token: str, upload_file: Any, settings: Any
) -> None:
    name = upload(upload_file, owner_token, png_bytes((40, 30)), "cat.png")
    page = f"{settings.SITE_URL}/e/{name}"
    assert oembed(client, page, maxwidth="40", maxheight="30").json()["type"] == "photo"
    small = oembed(client, page, maxwidth="39").json()
    assert small["type"] == "link" and "url" not in small and "width" not in small


def test_oembed_of_an_expiring_file_carries_its_cache_age(
    client: Client, owner_token: str, upload_file: Any, settings: Any
) -> None:
    name = upload(upload_file, owner_token, png_bytes(), "cat.png", HTTP_EXPIRES="1h")
    answer = oembed(client, f"{settings.SITE_URL}/e/{name}").json()
    assert 3590 <= answer["cache_age"] <= 3600


@pytest.mark.parametrize(
    ("data", "filename", "headers", "title"),
    [
        (MP4, "clip.mp4", {}, "clip.mp4"),
        (b"hello\n", "notes.txt", {}, "notes.txt"),
        (png_bytes(), "x.png", {"HTTP_FILE_PASSWORD": "open sesame"}, "Password-protected file"),
        (png_bytes(), "x.png", {"HTTP_MAX_VIEWS": "2", "HTTP_EMBED_TITLE": "Twice"}, "Twice"),
    ],
    ids=["video", "plain file", "password", "max views"],
)
def test_oembed_of_videos_files_protected_and_limited_files_is_a_link_without_the_file(
    data: bytes,
    filename: str,
    headers: dict[str, str],
    title: str,
    client: Client,
    owner_token: str,
    upload_file: Any,
    settings: Any,
) -> None:
    name = upload(upload_file, owner_token, data, filename, **headers)
    response = oembed(client, f"{settings.SITE_URL}/e/{name}")
    assert response.status_code == 200
    assert response.json() == {
        "version": "1.0",
        "type": "link",
        "title": title,
        "provider_name": "nekosite",
        "provider_url": f"{settings.SITE_URL}/",
    }
    assert Upload.objects.get(name=name).view_count == 0


def test_oembed_errors_are_the_json_envelope(
    client: Client, owner_token: str, upload_file: Any, settings: Any
) -> None:
    name = upload(upload_file, owner_token, png_bytes(), "cat.png")
    page = f"{settings.SITE_URL}/e/{name}"
    cases = [
        ({}, 400),  # no url
        ({"url": ""}, 400),
        ({"url": page, "maxwidth": "wide"}, 400),
        ({"url": page, "maxwidth": "0"}, 400),
        ({"url": page, "format": "yaml"}, 400),
        ({"url": page, "format": "xml"}, 501),  # oembed.com: "cannot return ... in that format"
        ({"url": f"https://elsewhere.example/e/{name}"}, 404),  # a foreign host
        ({"url": f"{settings.SITE_URL}/e/nothere.png"}, 404),
        ({"url": f"{settings.SITE_URL}/image/{name}"}, 404),
        ({"url": "http://[broken"}, 404),
        ({"url": "not a url"}, 404),
    ]
    for params, status in cases:
        response = client.get("/api/oembed", params)
        assert response.status_code == status, (params, response.content)
        body = response.json()
        assert body["code"] == status and body["success"] is False and body["message"], params


def test_oembed_xml_is_a_501_that_is_not_logged_as_a_server_error(
    client: Client, owner_token: str, upload_file: Any, settings: Any, caplog: Any
) -> None:
    name = upload(upload_file, owner_token, png_bytes(), "cat.png")
    with caplog.at_level("WARNING", logger="django.request"):
        response = client.get(
            "/api/oembed", {"url": f"{settings.SITE_URL}/e/{name}", "format": "xml"}
        )
    assert response.status_code == 501
    assert [r for r in caplog.records if r.name == "django.request"] == []


def test_oembed_of_an_unavailable_file_is_a_404(
    client: Client, owner_token: str, upload_file: Any, settings: Any
) -> None:
    name = upload(upload_file, owner_token, png_bytes(), "cat.png")
    Upload.objects.filter(name=name).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert oembed(client, f"{settings.SITE_URL}/e/{name}").status_code == 404


def test_oembed_is_in_the_openapi_schema(client: Client) -> None:
    schema = json.loads(client.get("/api/schema/", {"format": "json"}).content)
    operation = schema["paths"]["/api/oembed"]["get"]
    assert operation["operationId"] == "filehost_oembed"
    assert {p["name"] for p in operation["parameters"]} >= {"url", "format", "maxwidth"}
    assert {"200", "400", "404", "501"} <= set(operation["responses"])


# --- ShareX -------------------------------------------------------------------------------------


def test_the_default_sharex_config_is_unchanged(
    logged_in: Client, owner_token: str, settings: Any
) -> None:
    expected = {
        "Version": "15.0.0",
        "Name": f"nekosite ({settings.SITE_URL})",
        "DestinationType": "ImageUploader, TextUploader, FileUploader",
        "RequestMethod": "POST",
        "RequestURL": f"{settings.SITE_URL}/api/files/upload",
        "Headers": {"token": owner_token},
        "Body": "MultipartFormData",
        "FileFormName": "uploadFile",
        "URL": "{json:url}",
    }
    response = logged_in.get("/dashboard/files/sharex.sxcu")
    assert response.content == json.dumps(expected, indent=2).encode()
    assert response["Content-Disposition"] == 'attachment; filename="nekosite.sxcu"'


def test_the_sharex_embed_config_copies_the_embed_page(
    logged_in: Client, owner_token: str, settings: Any
) -> None:
    response = logged_in.get("/dashboard/files/sharex.sxcu", {"link": "embed"})
    assert response["Content-Disposition"] == 'attachment; filename="nekosite-embed.sxcu"'
    assert response["Cache-Control"] == "no-store"
    config = json.loads(response.content)
    assert config["Headers"] == {"token": owner_token, "embed": "true"}
    assert config["URL"] == "{json:embed}"
    assert config["RequestURL"] == f"{settings.SITE_URL}/api/files/upload"
    # Posting exactly as the config says answers the key ShareX reads.
    headers = {f"HTTP_{key.upper()}": value for key, value in config["Headers"].items()}
    from uploads.tests.conftest import named

    answer = Client().post(
        config["RequestURL"].removeprefix(settings.SITE_URL),
        {config["FileFormName"]: named(png_bytes(), "shot.png")},
        **headers,
    )
    assert answer.json()["embed"].startswith(f"{settings.SITE_URL}/e/")


def test_a_kept_exif_orientation_turns_the_og_image_size(
    client: Client, owner_token: str, upload_file: Any
) -> None:
    """A 32x24 JPEG stored with orientation 6 (keep-metadata) is shown 24 wide, 32 high."""
    from uploads.tests.test_upload_options import gps_jpeg

    name = upload(
        upload_file, owner_token, gps_jpeg(orientation=6), "phone.jpg", HTTP_KEEP_METADATA="true"
    )
    _, og, _ = embed_page(client, name)
    assert (og["og:image:width"], og["og:image:height"]) == ("24", "32")
