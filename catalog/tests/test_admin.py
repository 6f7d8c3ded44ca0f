"""Catalog moderation in the Django admin: pages, bounded queries, actions through services."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.models import Artist, Category, Character, Image, catalog_storage
from catalog.services import artist_get_or_create, category_get_or_create, character_get_or_create
from catalog.tests.factories import image_bytes, ingest_image

pytestmark = pytest.mark.django_db

MODELS = ["image", "artist", "category", "character"]


@pytest.fixture
def rows() -> dict[str, object]:
    artist = artist_get_or_create(name="Nyan Nyan Works")
    category = category_get_or_create(name="Catgirl")
    character = character_get_or_create(name="Nekomata Okayu")
    image = ingest_image(artist=artist, categories=[category], characters=[character])
    return {"image": image, "artist": artist, "category": category, "character": character}


@pytest.mark.parametrize("model", MODELS)
def test_changelist_add_and_change_pages_render_for_staff(
    staff_client: Client, rows, model: str
) -> None:
    base = f"/admin/catalog/{model}/"
    assert staff_client.get(base).status_code == 200
    assert staff_client.get(f"{base}add/").status_code == 200
    assert staff_client.get(f"{base}{rows[model].pk}/change/").status_code == 200
    assert staff_client.get(f"{base}{rows[model].pk}/delete/").status_code == 200


@pytest.mark.parametrize("model", MODELS)
def test_admin_pages_are_refused_for_non_staff(
    plain_client: Client, client: Client, rows, model: str
) -> None:
    base = f"/admin/catalog/{model}/"
    pk = rows[model].pk
    for url in (base, f"{base}add/", f"{base}{pk}/change/", f"{base}{pk}/delete/"):
        for visitor in (plain_client, client):
            response = visitor.get(url)
            assert response.status_code == 302
            assert "/admin/login/" in response["Location"]


def test_changelist_filters_and_search_render(staff_client: Client, rows) -> None:
    for query in (
        "?missing=artist",
        "?missing=category",
        "?missing=character",
        "?nsfw__exact=sfw",
        f"?categories__id__exact={rows['category'].pk}",
        f"?artist__id__exact={rows['artist'].pk}",
        "?q=Okayu",
    ):
        response = staff_client.get(f"/admin/catalog/image/{query}")
        assert response.status_code == 200, query


def test_missing_filters_select_images_without_links(staff_client: Client, rows) -> None:
    bare = ingest_image()
    html = staff_client.get("/admin/catalog/image/?missing=artist").content.decode()
    assert str(bare.pk) in html and str(rows["image"].pk) not in html
    html = staff_client.get("/admin/catalog/image/?missing=category").content.decode()
    assert str(bare.pk) in html and str(rows["image"].pk) not in html


def test_changelist_with_50_images_uses_bounded_queries(
    staff_client: Client, django_assert_max_num_queries
) -> None:
    artist = artist_get_or_create(name="Pixel-Kitsune")
    category = category_get_or_create(name="Fox-Ears")
    character = character_get_or_create(name="Shirakami Fubuki")

    def add(count: int) -> None:
        for _ in range(count):
            ingest_image(artist=artist, categories=[category], characters=[character])

    add(5)
    with CaptureQueriesContext(connection) as few:
        staff_client.get("/admin/catalog/image/")
    add(45)
    with django_assert_max_num_queries(20), CaptureQueriesContext(connection) as many:
        response = staff_client.get("/admin/catalog/image/")
    assert response.status_code == 200
    assert response.content.decode().count('src="/thumbs/') == 50
    # No query per row: 50 rows cost what 5 rows cost.
    assert len(many) == len(few)


def test_autocomplete_answers_for_related_models(staff_client: Client, rows) -> None:
    for field, term in (("artist", "nyan"), ("categories", "cat"), ("characters", "okayu")):
        response = staff_client.get(
            "/admin/autocomplete/",
            {"app_label": "catalog", "model_name": "image", "field_name": field, "term": term},
        )
        assert response.status_code == 200, field
        assert len(response.json()["results"]) == 1


def test_adding_an_image_computes_metadata_like_import(staff_client: Client) -> None:
    artist = artist_get_or_create(name="Yuki no Hana")
    category = category_get_or_create(name="Cherry-Blossom")
    data = image_bytes("WEBP", size=(600, 900))
    response = staff_client.post(
        "/admin/catalog/image/add/",
        {
            "upload": SimpleUploadedFile("named-wrong.gif", data, content_type="image/gif"),
            "nsfw": "sfw",
            "artist": str(artist.pk),
            "categories": [str(category.pk)],
            "source_name": "Pixiv",
            "source_url": "https://example.com/pixiv/9",
            "original": "unknown",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    image = Image.objects.get()
    assert response["Location"].endswith("/admin/catalog/image/")
    assert image.file.name == f"images/{image.pk}.webp"
    assert image.mimetype == "image/webp" and image.size == len(data)
    assert (image.width, image.height, image.orientation, image.aspect_ratio) == (
        600,
        900,
        "portrait",
        "2:3",
    )
    assert image.artist == artist and list(image.categories.all()) == [category]
    assert catalog_storage().exists(image.thumbnail.name)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"GIF89a but not really", "not a supported image"),
        (b"", "empty"),
    ],
)
def test_adding_a_bad_file_shows_a_form_error_and_stores_nothing(
    staff_client: Client, payload: bytes, message: str
) -> None:
    response = staff_client.post(
        "/admin/catalog/image/add/",
        {"upload": SimpleUploadedFile("x.gif", payload), "nsfw": "sfw", "original": "unknown"},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Image.objects.exists()


def test_adding_a_duplicate_shows_a_form_error(staff_client: Client) -> None:
    data = image_bytes()
    existing = ingest_image(data=data)
    response = staff_client.post(
        "/admin/catalog/image/add/",
        {"upload": SimpleUploadedFile("again.png", data), "nsfw": "sfw", "original": "unknown"},
    )
    assert response.status_code == 200
    assert str(existing.pk) in response.content.decode()
    assert Image.objects.count() == 1


def test_adding_a_bomb_is_refused(staff_client: Client, settings) -> None:
    settings.MAX_IMAGE_PIXELS = 1000
    response = staff_client.post(
        "/admin/catalog/image/add/",
        {
            "upload": SimpleUploadedFile("bomb.png", image_bytes(size=(100, 100))),
            "nsfw": "sfw",
            "original": "unknown",
        },
    )
    assert response.status_code == 200
    assert "too many pixels" in response.content.decode()
    assert not Image.objects.exists()


def test_change_page_edits_descriptive_fields(staff_client: Client, rows) -> None:
    image = rows["image"]
    response = staff_client.post(
        f"/admin/catalog/image/{image.pk}/change/",
        {
            "nsfw": "questionable",
            "artist": "",
            "categories": [],
            "characters": [str(rows["character"].pk)],
            "source_name": "Twitter",
            "source_url": "",
            "original": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    image.refresh_from_db()
    assert image.nsfw == "questionable" and image.artist is None and image.original is True
    assert not image.categories.exists()


def _action(client: Client, action: str, images: list[Image], **extra: str):
    return client.post(
        "/admin/catalog/image/",
        {"action": action, "_selected_action": [str(i.pk) for i in images], **extra},
        follow=True,
    )


def test_bulk_set_rating(staff_client: Client) -> None:
    images = [ingest_image(), ingest_image()]
    response = _action(staff_client, "mark_nsfw", images)
    assert "2 image(s) rated Not safe for work." in response.content.decode()
    assert set(Image.objects.values_list("nsfw", flat=True)) == {"nsfw"}
    _action(staff_client, "mark_questionable", images[:1])
    assert Image.objects.get(pk=images[0].pk).nsfw == "questionable"
    _action(staff_client, "mark_sfw", images)
    assert set(Image.objects.values_list("nsfw", flat=True)) == {"sfw"}


def test_bulk_add_and_remove_a_category(staff_client: Client) -> None:
    maid = category_get_or_create(name="Maid")
    images = [ingest_image(), ingest_image()]
    response = _action(staff_client, "add_category", images, category=str(maid.pk))
    assert "“Maid” added to 2 image(s)." in response.content.decode()
    assert maid.images.count() == 2
    response = _action(staff_client, "remove_category", images[:1], category=str(maid.pk))
    assert "removed from 1 image(s)" in response.content.decode()
    assert list(maid.images.all()) == [images[1]]


def test_category_action_without_a_category_warns(staff_client: Client) -> None:
    response = _action(staff_client, "add_category", [ingest_image()])
    assert "Choose a category" in response.content.decode()


def test_bulk_delete_removes_rows_and_stored_files(
    staff_client: Client, django_capture_on_commit_callbacks
) -> None:
    images = [ingest_image(), ingest_image()]
    keep = ingest_image()
    names = [n for i in images for n in (i.file.name, i.thumbnail.name)]
    with django_capture_on_commit_callbacks(execute=True):
        response = _action(staff_client, "delete_selected", images, post="yes")
    assert response.status_code == 200
    assert list(Image.objects.all()) == [keep]
    assert not any(catalog_storage().exists(n) for n in names)
    assert catalog_storage().exists(keep.file.name)


def test_delete_page_removes_row_and_stored_files(
    staff_client: Client, django_capture_on_commit_callbacks
) -> None:
    image = ingest_image()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/admin/catalog/image/{image.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Image.objects.exists()
    assert not catalog_storage().exists(image.file.name)
    assert not catalog_storage().exists(image.thumbnail.name)


def test_related_admins_search(staff_client: Client, rows) -> None:
    for model, term in (("artist", "Nyan"), ("category", "Cat"), ("character", "Okayu")):
        html = staff_client.get(f"/admin/catalog/{model}/", {"q": term}).content.decode()
        assert term in html
    assert Artist.objects.count() == Category.objects.count() == Character.objects.count() == 1


def test_non_staff_cannot_run_actions(plain_client: Client) -> None:
    image = ingest_image()
    response = plain_client.post(
        "/admin/catalog/image/",
        {"action": "delete_selected", "_selected_action": [str(image.pk)], "post": "yes"},
    )
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert Image.objects.filter(pk=image.pk).exists()
    assert catalog_storage().exists(image.file.name)
