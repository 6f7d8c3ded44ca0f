"""manage.py seed_demo: a real demo catalog, idempotent."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from catalog.models import Artist, Category, Character, Image, catalog_storage

pytestmark = pytest.mark.django_db


def _seed(**options: object) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def test_seed_demo_builds_a_linked_catalog_of_real_images() -> None:
    _seed(images=24)
    assert Image.objects.count() == 24
    assert Artist.objects.count() == 8
    assert Character.objects.count() == 12
    assert Category.objects.count() == 10
    # All three orientations and the four formats.
    assert set(Image.objects.values_list("orientation", flat=True)) == {
        "landscape",
        "portrait",
        "square",
    }
    assert set(Image.objects.values_list("mimetype", flat=True)) == {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
    }
    ratings = list(Image.objects.values_list("nsfw", flat=True))
    assert ratings.count("sfw") > len(ratings) // 2
    assert {"questionable", "nsfw"} <= set(ratings)
    storage = catalog_storage()
    for image in Image.objects.all():
        assert storage.exists(image.file.name) and storage.exists(image.thumbnail.name)
        assert image.characters.exists() and image.categories.exists()
        assert re.fullmatch(r"#[0-9a-f]{6}", image.color)


def test_seed_demo_characters_and_categories_have_full_fields() -> None:
    _seed(images=3)
    kaguya = Character.objects.get(name="Kaguya Shinomiya")
    assert kaguya.description and kaguya.source and kaguya.gender
    assert kaguya.ages == [16, 17]
    assert kaguya.birth_date and kaguya.nationality and kaguya.occupations
    assert Character.objects.filter(name__in=["Megumin", "Rem", "Hatsune Miku"]).count() == 3
    assert Category.objects.filter(name__in=["Catgirl", "Fox-Ears", "kaguya-sama"]).count() == 3
    assert Category.objects.filter(nsfw=True).exists()
    assert all(c.description and c.type for c in Category.objects.all())


def test_seed_demo_twice_does_not_duplicate() -> None:
    _seed(images=12)
    first = set(Image.objects.values_list("etag", flat=True))
    output = _seed(images=12)
    assert "nothing to do" in output
    assert Image.objects.count() == 12
    assert set(Image.objects.values_list("etag", flat=True)) == first
    assert Artist.objects.count() == 8 and Character.objects.count() == 12


def test_seed_demo_tops_up_without_duplicating_existing_demo_images() -> None:
    _seed(images=6)
    output = _seed(images=9)
    assert "3 images added, 6 already present" in output
    assert Image.objects.count() == 9
    assert Image.objects.values("etag").distinct().count() == 9
