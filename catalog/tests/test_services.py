"""catalog/services.py: files and rows move together."""

from __future__ import annotations

import io
import os

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from catalog.models import Artist, Category, Character, Image, Rating, catalog_storage
from catalog.services import (
    ImageDuplicate,
    artist_get_or_create,
    category_get_or_create,
    character_get_or_create,
    image_add_category,
    image_delete,
    image_ingest,
    image_remove_category,
    image_set_rating,
    image_thumbnail_ensure,
    image_update_metadata,
)
from catalog.tests.factories import image_bytes, ingest_image
from nekosite.lib.imagemeta import ImageRejected

pytestmark = pytest.mark.django_db


def _stored_names() -> set[str]:
    storage = catalog_storage()
    names: set[str] = set()
    for folder in ("images", "thumbs"):
        if storage.exists(folder):
            names |= {f"{folder}/{n}" for n in storage.listdir(folder)[1]}
    return names


def test_ingest_stores_file_thumbnail_and_row_with_metadata() -> None:
    artist = artist_get_or_create(name="Kuroneko Studio", url="https://example.com/kuroneko")
    catgirl = category_get_or_create(name="Catgirl", description="Cat ears.", type="character")
    rem = character_get_or_create(name="Rem", gender="female", ages=[17])
    data = image_bytes("JPEG", size=(1920, 1080))

    image = image_ingest(
        file=io.BytesIO(data),
        filename="upload.png",  # the name lies; the stored extension follows the content
        artist=artist,
        categories=[catgirl],
        characters=[rem],
        source_name="Pixiv",
        source_url="https://example.com/pixiv/1",
        nsfw=Rating.QUESTIONABLE,
        original=True,
    )

    image.refresh_from_db()
    assert image.file.name == f"images/{image.pk}.jpg"
    assert image.thumbnail.name == f"thumbs/{image.pk}.webp"
    storage = catalog_storage()
    with storage.open(image.file.name, "rb") as handle:
        assert handle.read() == data
    assert storage.exists(image.thumbnail.name)
    assert image.mimetype == "image/jpeg"
    assert image.size == len(data)
    assert (image.width, image.height, image.aspect_ratio) == (1920, 1080, "16:9")
    assert image.orientation == "landscape"
    assert image.color and image.color.startswith("#") and len(image.color) == 7
    assert len(image.etag) == 64
    assert image.artist == artist
    assert list(image.categories.all()) == [catgirl]
    assert list(image.characters.all()) == [rem]
    assert (image.source_name, image.source_url) == ("Pixiv", "https://example.com/pixiv/1")
    assert image.nsfw == "questionable" and image.original is True


def test_ingest_accepts_a_path(tmp_path) -> None:
    path = tmp_path / "a.gif"
    path.write_bytes(image_bytes("GIF"))
    image = image_ingest(file=path, filename=path.name)
    assert image.file.name.endswith(".gif") and image.mimetype == "image/gif"


def test_ingest_refuses_a_non_image_and_stores_nothing() -> None:
    before = _stored_names()
    with pytest.raises(ImageRejected):
        image_ingest(file=io.BytesIO(b"not an image at all"), filename="evil.png")
    assert Image.objects.count() == 0
    assert _stored_names() == before


def test_ingest_refuses_a_bomb_and_stores_nothing(settings) -> None:
    settings.MAX_IMAGE_PIXELS = 1000
    before = _stored_names()
    with pytest.raises(ImageRejected):
        image_ingest(file=io.BytesIO(image_bytes(size=(100, 100))), filename="bomb.png")
    assert Image.objects.count() == 0
    assert _stored_names() == before


def test_ingest_refuses_duplicate_bytes() -> None:
    data = image_bytes()
    first = image_ingest(file=io.BytesIO(data), filename="a.png")
    before = _stored_names()
    with pytest.raises(ImageDuplicate) as excinfo:
        image_ingest(file=io.BytesIO(data), filename="b.png")
    assert excinfo.value.existing == first
    assert Image.objects.count() == 1
    assert _stored_names() == before


def test_ingest_refuses_an_unknown_rating_before_storing() -> None:
    before = _stored_names()
    with pytest.raises(ValidationError):
        ingest_image(nsfw="spicy")
    assert _stored_names() == before and Image.objects.count() == 0


def test_ingest_refuses_a_non_http_source_url() -> None:
    with pytest.raises(ValidationError):
        ingest_image(source_url="javascript:alert(1)")
    assert Image.objects.count() == 0


def test_failure_after_the_file_was_stored_leaves_no_file_and_no_row() -> None:
    """A database error while writing the row removes the files already stored."""
    before = _stored_names()
    unsaved = Category(name="never saved")  # linking an unsaved category fails after storage
    with pytest.raises((ValueError, IntegrityError)):
        ingest_image(categories=[unsaved])
    assert Image.objects.count() == 0
    assert _stored_names() == before


def test_delete_removes_row_file_and_thumbnail(django_capture_on_commit_callbacks) -> None:
    image = ingest_image()
    names = [image.file.name, image.thumbnail.name]
    with django_capture_on_commit_callbacks(execute=True):
        image_delete(image=image)
    assert not Image.objects.exists()
    assert not any(catalog_storage().exists(n) for n in names)


def test_delete_keeps_files_until_the_transaction_commits(
    django_capture_on_commit_callbacks,
) -> None:
    image = ingest_image()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        image_delete(image=image)
    # Not committed yet: a rollback would still find its file.
    assert catalog_storage().exists(image.file.name)
    for callback in callbacks:
        callback()
    assert not catalog_storage().exists(image.file.name)


def test_get_or_create_helpers_do_not_duplicate() -> None:
    a1 = artist_get_or_create(name="mochi-mochi")
    a2 = artist_get_or_create(name="mochi-mochi", url="https://example.com/mochi")
    assert a1.pk == a2.pk and Artist.objects.count() == 1
    a2.refresh_from_db()
    assert a2.url == "https://example.com/mochi"
    assert category_get_or_create(name="Fox-Ears").pk == category_get_or_create(name="Fox-Ears").pk
    c1 = character_get_or_create(name="Hatsune Miku", occupations=["Virtual Singer"])
    assert character_get_or_create(name="Hatsune Miku").pk == c1.pk
    assert Character.objects.get().occupations == ["Virtual Singer"]


def test_get_or_create_helpers_refuse_empty_names() -> None:
    with pytest.raises(ValidationError):
        artist_get_or_create(name="  ")
    with pytest.raises(ValidationError):
        category_get_or_create(name="")
    with pytest.raises(ValidationError):
        character_get_or_create(name="")


def test_update_metadata_changes_descriptive_fields_only() -> None:
    image = ingest_image()
    etag = image.etag
    maid = category_get_or_create(name="Maid")
    image_update_metadata(
        image=image, categories=[maid], nsfw="nsfw", source_name="Twitter", original=False
    )
    image.refresh_from_db()
    assert image.nsfw == "nsfw" and image.source_name == "Twitter" and image.original is False
    assert list(image.categories.all()) == [maid]
    assert image.etag == etag


def test_bulk_rating_and_category_services() -> None:
    images = [ingest_image(), ingest_image(), ingest_image()]
    queryset = Image.objects.filter(pk__in=[i.pk for i in images])
    assert image_set_rating(images=queryset, nsfw="questionable") == 3
    assert set(Image.objects.values_list("nsfw", flat=True)) == {"questionable"}
    chibi = category_get_or_create(name="Chibi")
    images[0].categories.add(chibi)
    assert image_add_category(images=queryset, category=chibi) == 2  # one already had it
    assert chibi.images.count() == 3
    assert image_remove_category(images=queryset, category=chibi) == 3
    assert chibi.images.count() == 0
    with pytest.raises(ValidationError):
        image_set_rating(images=queryset, nsfw="bad")


def test_thumbnail_ensure_makes_a_missing_thumbnail() -> None:
    image = ingest_image()
    catalog_storage().delete(image.thumbnail.name)
    Image.objects.filter(pk=image.pk).update(thumbnail="")
    image.refresh_from_db()
    image_thumbnail_ensure(image=image)
    image.refresh_from_db()
    assert image.thumbnail.name and catalog_storage().exists(image.thumbnail.name)


def test_ingest_reads_files_in_a_streaming_way(tmp_path) -> None:
    """A large file on disk is hashed in chunks; the handle we pass stays usable."""
    path = tmp_path / "big.png"
    path.write_bytes(image_bytes(size=(3000, 2000)))
    with path.open("rb") as handle:
        image = image_ingest(file=handle, filename="big.png")
        assert not handle.closed
    assert image.size == os.path.getsize(path)
