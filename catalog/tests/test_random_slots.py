"""Slot numbering (catalog.services) and the uniform sampler built on it (selectors.image_random).

Seed 002 (/image/random): random images, `limit` 1..25, images having ALL the named categories.
The sampler draws Image.slot / CategorySlot.slot numbers; it is uniform only if every write path
keeps those numberings complete (one slot per image, one per image-category link) and the
sampler itself has no bias, wherever the numbers lie.
"""

from __future__ import annotations

import io
import json
import math
import random
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from catalog import selectors
from catalog.models import Category, CategorySlot, Image
from catalog.services import (
    category_get_or_create,
    image_add_category,
    image_delete,
    image_remove_category,
    image_update_metadata,
)
from catalog.tests.factories import image_bytes, ingest_image, make_category, make_image

pytestmark = pytest.mark.django_db


def assert_slots_dense() -> None:
    """Image slots are 0..n-1; each category's CategorySlot rows are exactly its links, 0..k-1."""
    slots = sorted(Image.objects.values_list("slot", flat=True))
    assert slots == list(range(len(slots)))
    links = set(Image.categories.through.objects.values_list("image_id", "category_id"))
    assert set(CategorySlot.objects.values_list("image_id", "category_id")) == links
    for category_id in Category.objects.values_list("pk", flat=True):
        numbers = sorted(
            CategorySlot.objects.filter(category_id=category_id).values_list("slot", flat=True)
        )
        assert numbers == list(range(len(numbers))), category_id


# --- every write path keeps the numbering complete and dense ----------------------------------


@pytest.fixture
def three() -> tuple[Category, Category, Category]:
    return (
        category_get_or_create(name="Catgirl"),
        category_get_or_create(name="Maid"),
        category_get_or_create(name="Night"),
    )


def test_ingest_and_factories_number_images_and_links(three) -> None:
    catgirl, maid, night = three
    ingest_image(categories=[catgirl, maid])
    make_image(categories=[maid, night])
    ingest_image()
    make_image(categories=[catgirl])
    assert_slots_dense()
    assert CategorySlot.objects.filter(category=maid).count() == 2


def test_update_metadata_renumbers_changed_categories(three) -> None:
    catgirl, maid, night = three
    images = [ingest_image(categories=[catgirl, maid]) for _ in range(4)]
    image_update_metadata(image=images[0], categories=[night])
    image_update_metadata(image=images[2], categories=[maid, night])
    image_update_metadata(image=images[3], categories=[])
    assert_slots_dense()
    assert set(images[0].categories.all()) == {night}


def test_bulk_add_and_remove_category_keep_slots_dense(three) -> None:
    catgirl, maid, _ = three
    images = [ingest_image(categories=[catgirl]) for _ in range(6)]
    everything = Image.objects.all()
    assert image_add_category(images=everything, category=maid) == 6
    assert image_add_category(images=everything, category=maid) == 0
    assert_slots_dense()
    # Remove from some in the middle and the first: holes are filled from the top.
    removed = Image.objects.filter(pk__in=[images[0].pk, images[2].pk, images[3].pk])
    assert image_remove_category(images=removed, category=maid) == 3
    assert image_remove_category(images=Image.objects.filter(pk=images[5].pk), category=catgirl)
    assert_slots_dense()


def test_delete_fills_the_hole_with_the_last_number(three) -> None:
    catgirl, maid, _ = three
    images = [ingest_image(categories=[catgirl, maid][: 1 + n % 2]) for n in range(7)]
    for index in (0, 3, 6, 1):
        image_delete(image=images[index])
        assert_slots_dense()
    assert Image.objects.count() == 3


def test_admin_add_change_actions_and_delete_keep_slots_dense(staff_client: Client, three) -> None:
    catgirl, maid, night = three
    response = staff_client.post(
        "/admin/catalog/image/add/",
        {
            "upload": SimpleUploadedFile("a.png", image_bytes()),
            "nsfw": "sfw",
            "categories": [str(catgirl.pk), str(maid.pk)],
            "original": "unknown",
        },
    )
    assert response.status_code == 302
    others = [ingest_image(categories=[maid]) for _ in range(3)]
    assert_slots_dense()
    added = Image.objects.get(categories=catgirl)
    response = staff_client.post(
        f"/admin/catalog/image/{added.pk}/change/",
        {"nsfw": "sfw", "categories": [str(night.pk)], "original": "unknown"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert set(added.categories.all()) == {night}
    assert_slots_dense()
    for action, images in (("add_category", others), ("remove_category", others[:2])):
        staff_client.post(
            "/admin/catalog/image/",
            {
                "action": action,
                "_selected_action": [str(i.pk) for i in images],
                "category": str(night.pk),
            },
        )
        assert_slots_dense()
    assert night.images.count() == 2
    staff_client.post(f"/admin/catalog/image/{others[0].pk}/delete/", {"post": "yes"})
    staff_client.post(
        "/admin/catalog/image/",
        {"action": "delete_selected", "_selected_action": [str(added.pk)], "post": "yes"},
    )
    assert Image.objects.count() == 2
    assert_slots_dense()
    staff_client.post(f"/admin/catalog/category/{maid.pk}/delete/", {"post": "yes"})
    assert not Category.objects.filter(pk=maid.pk).exists()
    assert_slots_dense()


def test_import_images_and_seed_demo_keep_slots_dense(tmp_path: Path) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    for name in ("a.png", "b.png", "c.png"):
        (folder / name).write_bytes(image_bytes())
    manifest = tmp_path / "manifest.json"
    manifest.write_text(
        json.dumps(
            [
                {"file": "a.png", "categories": ["Catgirl", "Maid"]},
                {"file": "b.png", "categories": "Maid"},
            ]
        )
    )
    call_command("import_images", str(folder), "--manifest", str(manifest), stdout=io.StringIO())
    call_command("seed_demo", images=12, stdout=io.StringIO())
    assert Image.objects.count() == 15
    assert_slots_dense()


# --- the sampler is uniform whatever the numbers ---------------------------------------------


@pytest.fixture
def seeded() -> Iterator[None]:
    """Deterministic draws: the sampler uses the module-level `random`."""
    state = random.getstate()
    random.seed(20261128)
    yield
    random.setstate(state)


def _rows(count: int, slots: list[int]) -> list[Image]:
    """Image rows with the given slot numbers (no files: the sampler reads rows only)."""
    return Image.objects.bulk_create(
        Image(file=f"images/{n}.png", etag=f"{n:032x}", slot=slot)
        for n, slot in zip(range(count), slots, strict=True)
    )


def _skewed_slots(dense: int, far: int, gap: int) -> list[int]:
    """`dense` numbers 0..dense-1, then `far` numbers each after a gap of `gap` empty numbers:
    holes a delete outside the services would leave. The former sampler (walk the key order from
    a random point, keep a window of the next 100) favours the images after the gaps."""
    return list(range(dense)) + [dense + (n + 1) * gap for n in range(far)]


def _chi_square_p(counts: Counter, ids: list, draws: int) -> float:
    """Upper tail of chi-square (Wilson-Hilferty, as bench/scale.py) for equal expected counts."""
    expected = draws / len(ids)
    chi2 = sum((counts.get(pk, 0) - expected) ** 2 / expected for pk in ids)
    k = len(ids) - 1
    z = ((chi2 / k) ** (1 / 3) - (1 - 2 / (9 * k))) / math.sqrt(2 / (9 * k))
    return 0.5 * math.erfc(z / math.sqrt(2))


def _window_walk(limit: int) -> list[Any]:
    """The former sampler, on slot numbers instead of random_key: from a random point of the
    number line, the next 100 images in order (wrapping), `limit` of them sampled."""
    top = Image.objects.order_by("-slot").values_list("slot", flat=True).first()
    start = random.uniform(0, top + 1)
    ids = list(Image.objects.filter(slot__gte=start).order_by("slot").values("id")[:100])
    ids += list(
        Image.objects.filter(slot__lt=start).order_by("slot").values("id")[: 100 - len(ids)]
    )
    return random.sample(ids, min(limit, len(ids)))


def _draw_counts(sample: Callable[[], list[dict]], rounds: int) -> tuple[Counter, int]:
    counts: Counter = Counter()
    for _ in range(rounds):
        rows = sample()
        assert len({row["id"] for row in rows}) == len(rows)  # distinct within a draw
        counts.update(row["id"] for row in rows)
    return counts, sum(counts.values())


def test_one_image_draws_are_uniform_despite_gaps_and_the_old_walk_is_not(seeded) -> None:
    ids = [image.pk for image in _rows(130, _skewed_slots(120, 10, 40))]
    counts, draws = _draw_counts(lambda: selectors.image_random(limit=1), 2600)
    assert draws == 2600 and set(counts) == set(ids)
    assert _chi_square_p(counts, ids, draws) >= 0.01
    # The same check catches the former window walk on the same catalog.
    old, old_draws = _draw_counts(lambda: _window_walk(1), 2600)
    assert _chi_square_p(old, ids, old_draws) < 1e-6


def test_25_image_draws_are_uniform_despite_gaps(seeded) -> None:
    ids = [image.pk for image in _rows(130, _skewed_slots(120, 10, 40))]
    counts, draws = _draw_counts(lambda: selectors.image_random(limit=25), 200)
    assert draws == 200 * 25
    # Inclusion counts of draws without replacement vary less than chi-square assumes: a
    # biased sampler still fails, an unbiased one passes comfortably.
    assert _chi_square_p(counts, ids, draws) >= 0.01
    old, old_draws = _draw_counts(lambda: _window_walk(25), 200)
    assert _chi_square_p(old, ids, old_draws) < 1e-6


@pytest.fixture(params=["kept matches", "slot draws"])
def matches_kept(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways to draw with several categories: from the matches kept in the read cache, and
    by looking slot numbers up (what happens when there are too many matches to keep)."""
    if request.param == "slot draws":
        monkeypatch.setattr(selectors, "MATCHES_KEPT_MAX", 0)
    return request.param


def test_category_draws_are_uniform_over_images_having_all(seeded, matches_kept: str) -> None:
    catgirl, maid = make_category(name="catgirl"), make_category(name="maid")
    images = _rows(160, list(range(160)))
    # catgirl: 120 images numbered with gaps; maid: every other one of them plus 40 others.
    catgirl_numbers = _skewed_slots(110, 10, 30)
    CategorySlot.objects.bulk_create(
        CategorySlot(category=catgirl, image=image, slot=number)
        for image, number in zip(images[:120], catgirl_numbers, strict=True)
    )
    maid_images = images[:120:2] + images[120:]
    CategorySlot.objects.bulk_create(
        CategorySlot(category=maid, image=image, slot=n) for n, image in enumerate(maid_images)
    )
    links = Image.categories.through
    links.objects.bulk_create(
        [links(image=i, category=catgirl) for i in images[:120]]
        + [links(image=i, category=maid) for i in maid_images]
    )
    both = [image.pk for image in images[:120:2]]
    counts, draws = _draw_counts(
        lambda: selectors.image_random(limit=1, category_ids=[catgirl.pk, maid.pk]), 1800
    )
    assert set(counts) == set(both)
    assert _chi_square_p(counts, both, draws) >= 0.01
    assert len(selectors.image_random(limit=25, category_ids=[maid.pk, catgirl.pk])) == 25


def _tag(category: Category, images: list[Image]) -> None:
    links = Image.categories.through
    links.objects.bulk_create(links(image=image, category=category) for image in images)
    CategorySlot.objects.bulk_create(
        CategorySlot(category=category, image=image, slot=n) for n, image in enumerate(images)
    )


def test_a_rare_combination_is_found_in_bounded_queries(
    seeded, matches_kept: str, django_assert_max_num_queries
) -> None:
    catgirl, maid = make_category(name="catgirl"), make_category(name="maid")
    images = _rows(1200, list(range(1200)))
    _tag(catgirl, images[:600])
    _tag(maid, images[599:])  # one image of 600 has both: rounds, then the remaining matches
    for limit in (1, 1, 1, 1, 1, 25):
        # Data versions, sizes, the matches (kept or too many), the rounds, the remaining
        # matches and their rows, or the rows of kept matches (nekosite/lib/readcache.py may
        # serve some of these).
        with django_assert_max_num_queries(selectors.ROUNDS + 6):
            rows = selectors.image_random(limit=limit, category_ids=[catgirl.pk, maid.pk])
        assert [row["id"] for row in rows] == [images[599].pk]
    maid.delete()
    with django_assert_max_num_queries(selectors.ROUNDS + 4):
        assert selectors.image_random(limit=1, category_ids=[catgirl.pk]) != []
    night = make_category(name="night")
    _tag(night, images[600:])
    with django_assert_max_num_queries(selectors.ROUNDS + 6):
        assert selectors.image_random(limit=1, category_ids=[catgirl.pk, night.pk]) == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_slots_dense() -> None:
    """Numbering is serialised (an advisory lock for images, the category row for a category):
    writers racing each other neither collide on a number nor leave a hole."""
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time; its in-memory test database locks tables")
    catgirl, maid = category_get_or_create(name="Catgirl"), category_get_or_create(name="Maid")
    images = [ingest_image(categories=[catgirl, maid]) for _ in range(6)]
    barrier = threading.Barrier(5)
    outcomes: list[str] = []

    def race(work: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            work()
            outcomes.append("ok")
        except Exception as exc:  # noqa: BLE001 - reported below
            outcomes.append(repr(exc))
        finally:
            connection.close()  # this thread's connection

    jobs: list[Callable[[], object]] = [
        lambda: ingest_image(categories=[catgirl, maid]),
        lambda: ingest_image(categories=[maid]),
        lambda: image_delete(image=images[0]),
        lambda: image_delete(image=images[3]),
        lambda: image_remove_category(
            images=Image.objects.filter(pk__in=[images[1].pk, images[4].pk]), category=maid
        ),
    ]
    threads = [threading.Thread(target=race, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes == ["ok"] * 5, outcomes
    assert Image.objects.count() == 6
    assert_slots_dense()
