"""manage.py catalog_slots [--fix]: writes that bypass catalog.services leave holes; --fix
renumbers densely, keeping the order, and rebuilds CategorySlot from the category links."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from catalog.models import CategorySlot, Image
from catalog.tests.factories import make_category, make_image
from catalog.tests.test_random_slots import assert_slots_dense

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("catalog_slots", *args, stdout=out)
    return out.getvalue()


def test_a_catalog_written_through_the_services_is_dense() -> None:
    maid = make_category(name="maid")
    for _ in range(4):
        make_image(categories=[maid])
    assert "Slots are dense." in run()


def test_fix_repairs_what_writes_around_the_services_left(client: Client) -> None:
    maid, night = make_category(name="maid"), make_category(name="night")
    images = [make_image(categories=[maid, night]) for _ in range(6)]
    # QuerySet.delete: rows and their links go, the numbers they held stay free.
    Image.objects.filter(pk__in=[images[1].pk, images[3].pk]).delete()
    # A link made behind the services' back has no CategorySlot row...
    lonely = make_image()
    Image.categories.through.objects.create(image=lonely, category=maid)
    # ...and a CategorySlot row whose link was removed the same way stays behind.
    Image.categories.through.objects.filter(image=images[5], category=night).delete()
    order = list(Image.objects.order_by("slot").values_list("pk", flat=True))

    report = run()
    assert (
        "image slot holes: 2; category links without a slot: 1; slots without a link: 1; "
        "category slot holes: 4"
    ) in report
    assert "Run with --fix to repair." in report

    assert "Repaired." in run("--fix")
    assert_slots_dense()
    assert list(Image.objects.order_by("slot").values_list("pk", flat=True)) == order
    assert "Slots are dense." in run()
    assert CategorySlot.objects.filter(image=lonely, category=maid).exists()
    # The image whose link was made around the services can now be drawn with the filter.
    drawn = {
        image["id"]
        for _ in range(30)
        for image in client.get("/api/v1/image/random?categories=maid&limit=25").json()["data"]
    }
    assert str(lonely.pk) in drawn


def test_the_repair_sql_names_the_models_tables() -> None:
    from catalog.models import Category

    assert Image._meta.db_table == "catalog_image"
    assert CategorySlot._meta.db_table == "catalog_categoryslot"
    assert Image.categories.through._meta.db_table == "catalog_image_categories"
    assert Category._meta.db_table == "catalog_category"
