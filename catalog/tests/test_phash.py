"""Perceptual hash: computation, storage, near_duplicates (pigeonhole bound), backfill, import."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image as PillowImage

from catalog import selectors, services
from catalog.models import PHASH_MASK, Image, phash_bands, phash_columns
from catalog.tests.factories import image_bytes, ingest_image, make_image
from nekosite.lib.imagemeta import image_phash

pytestmark = pytest.mark.django_db

BASE = 0x0123_4567_89AB_CDEF


def _png(picture: PillowImage.Image) -> io.BytesIO:
    out = io.BytesIO()
    picture.save(out, format="PNG")
    out.seek(0)
    return out


def _hashed(value: int) -> Image:
    image = make_image()
    Image.objects.filter(pk=image.pk).update(**phash_columns(value))
    image.refresh_from_db()
    return image


def _flip(value: int, *bits: int) -> int:
    for bit in bits:
        value ^= 1 << bit
    return value


def test_dhash_of_a_gradient_and_a_solid_image() -> None:
    gradient = PillowImage.new("L", (90, 80))
    gradient.putdata([x * 2 for _ in range(80) for x in range(90)])
    assert image_phash(_png(gradient)) == PHASH_MASK  # each pixel brighter than its left one
    assert image_phash(_png(PillowImage.new("RGB", (50, 50), (9, 9, 9)))) == 0


def test_dhash_survives_a_reencode_and_a_resize() -> None:
    original = PillowImage.open(io.BytesIO(image_bytes(size=(360, 320))))
    smaller = original.resize((180, 160), PillowImage.Resampling.BILINEAR)
    as_jpeg = io.BytesIO()
    smaller.save(as_jpeg, format="JPEG", quality=80)
    distance = (image_phash(_png(original)) ^ image_phash(as_jpeg)).bit_count()
    assert distance <= 3


def test_columns_store_unsigned_hashes_signed_with_their_bands() -> None:
    image = _hashed(PHASH_MASK)
    image.refresh_from_db()
    assert image.phash == -1
    assert image.phash_unsigned == PHASH_MASK
    assert [image.phash_band0, image.phash_band1, image.phash_band2, image.phash_band3] == [
        0xFFFF
    ] * 4
    assert phash_bands(BASE) == [0x0123, 0x4567, 0x89AB, 0xCDEF]
    with pytest.raises(ValueError):
        phash_columns(1 << 64)


def test_near_duplicates_finds_every_distance_up_to_three_and_no_further() -> None:
    same = _hashed(BASE)
    one = _hashed(_flip(BASE, 0))
    # Pigeonhole: three bits flipped in three different bands, the fourth band alone is shared.
    three = _hashed(_flip(BASE, 5, 21, 37))
    four = _hashed(_flip(BASE, 1, 17, 33, 49))  # no band in common, and too far anyway
    _hashed(BASE ^ PHASH_MASK)
    found = selectors.near_duplicates(phash=BASE, max_distance=3)
    assert [(image.pk, distance) for image, distance in found] == [
        (same.pk, 0),
        (one.pk, 1),
        (three.pk, 3),
    ]
    assert four.pk not in {image.pk for image, _ in found}
    assert [d for _, d in selectors.near_duplicates(phash=BASE, max_distance=1)] == [0, 1]
    assert selectors.near_duplicates(phash=BASE, max_distance=3, exclude_id=same.pk)[0][1] == 1


def test_near_duplicates_high_bit_hashes_and_the_bound() -> None:
    top = _hashed(PHASH_MASK)
    found = selectors.near_duplicates(phash=_flip(PHASH_MASK, 63, 0), max_distance=2)
    assert found == [(top, 2)]
    with pytest.raises(ValueError):
        selectors.near_duplicates(phash=BASE, max_distance=4)


def test_near_duplicates_costs_one_query_without_a_match_and_two_with() -> None:
    _hashed(BASE)
    with CaptureQueriesContext(connection) as queries:
        assert selectors.near_duplicates(phash=BASE ^ PHASH_MASK) == []
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        assert len(selectors.near_duplicates(phash=BASE)) == 1
    assert len(queries) == 2


def test_ingest_hashes_small_images_inline_and_the_task_hashes_deferred_ones() -> None:
    data = image_bytes(size=(90, 80))
    inline = ingest_image(data=data)
    assert inline.phash_unsigned == image_phash(io.BytesIO(data))
    deferred = ingest_image(defer=True)
    assert deferred.phash is None
    services.image_process(image_id=deferred.pk)
    deferred.refresh_from_db()
    assert deferred.phash is not None and deferred.phash_band0 is not None


def test_phash_backfill_fills_missing_hashes_and_skips_missing_files() -> None:
    image = ingest_image()
    expected = image.phash
    Image.objects.filter(pk=image.pk).update(**phash_columns(None))
    lost = ingest_image()
    Image.objects.filter(pk=lost.pk).update(**phash_columns(None))
    lost.file.storage.delete(lost.file.name)
    out = io.StringIO()
    call_command("phash_backfill", "--batch-size", "1", stdout=out)
    assert "Hashed 1 image(s); 1 unreadable" in out.getvalue()
    image.refresh_from_db()
    assert image.phash == expected


def _import(folder: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("import_images", str(folder), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_import_images_skips_or_flags_near_duplicates(tmp_path: Path) -> None:
    existing = ingest_image(data=image_bytes(size=(360, 320)))
    picture = PillowImage.open(existing.file.open("rb")).resize((180, 160))
    folder = tmp_path / "in"
    folder.mkdir()
    picture.save(folder / "resized.jpg", format="JPEG", quality=85)
    (folder / "other.png").write_bytes(image_bytes(size=(90, 80)))
    with existing.file.open("rb") as handle:
        (folder / "same.png").write_bytes(handle.read())

    out = _import(folder)
    assert "Imported 1 image(s), skipped 2 (duplicate: 1, near-duplicate: 1)." in out
    assert f"resized.jpg: near-duplicate of image {existing.pk} (distance" in out
    assert Image.objects.count() == 2

    flagged = _import(folder, "--keep-near-duplicates")
    assert "Imported 1 image(s), skipped 2 (duplicate: 2)." in flagged
    assert f"flagged resized.jpg: near-duplicate of image {existing.pk}" in flagged
    assert Image.objects.count() == 3
