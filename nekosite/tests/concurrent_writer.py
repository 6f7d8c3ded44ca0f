"""A catalog writer process for test_concurrent_writers.py (not collected: no test_ prefix).

    python -m nekosite.tests.concurrent_writer mix INDEX SECONDS
    python -m nekosite.tests.concurrent_writer marks INDEX COUNT IMAGE_ID

Runs with the test database in DATABASE_URL, as another worker of the site would: its writes
reach the test process through the database (the version triggers) only. `mix` writes through
the services at random for SECONDS; `marks` sets the image's source name to "INDEX:N" for N in
1..COUNT and prints, after each commit, a JSON line with N and the wall-clock time.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import uuid


def mix(index: int, seconds: float) -> None:
    from catalog import services
    from catalog.models import Artist, Category, Character, Image
    from catalog.tests.factories import make_image

    rng = random.Random(index)
    categories = list(Category.objects.all())
    # The test's images have an artist; the ones writers make (and delete) have none.
    shared = list(Image.objects.filter(artist__isnull=False).values_list("pk", flat=True))
    artists = list(Artist.objects.all())
    characters = list(Character.objects.all())
    own: list[Image] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        step = rng.randrange(6)
        if step == 0:
            services.image_update_metadata(
                image=Image.objects.get(pk=rng.choice(shared)),
                artist=rng.choice(artists),
                categories=rng.sample(categories, rng.randrange(4)),
                characters=rng.sample(characters, 1),
                source_name=f"writer {index}",
                nsfw=rng.choice(["sfw", "questionable"]),
            )
        elif step == 1:
            own.append(make_image(categories=rng.sample(categories, 2)))
        elif step == 2 and own:
            services.image_delete(image=own.pop(rng.randrange(len(own))))
        elif step == 3:
            category = Category.objects.get(pk=rng.choice(categories).pk)
            category.description = f"edited by writer {index}"
            category.save()
        elif step == 4:
            services.image_add_category(
                images=Image.objects.filter(pk__in=rng.sample(shared, 3)),
                category=rng.choice(categories),
            )
        else:
            services.image_remove_category(
                images=Image.objects.filter(pk__in=rng.sample(shared, 3)),
                category=rng.choice(categories),
            )


def marks(index: int, count: int, image_id: uuid.UUID) -> None:
    from catalog import services
    from catalog.models import Category, Image

    rng = random.Random(index)
    categories = list(Category.objects.all())
    for n in range(1, count + 1):
        image = Image.objects.get(pk=image_id)
        services.image_update_metadata(
            image=image,
            artist=image.artist,
            categories=rng.sample(categories, 2),  # slot numbering's locks, as in the admin
            source_name=f"{index}:{n}",
        )
        print(json.dumps({"n": n, "at": time.time()}), flush=True)  # after the commit
        time.sleep(rng.uniform(0, 0.05))


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nekosite.settings")
    django.setup()
    mode, index = sys.argv[1], int(sys.argv[2])
    if mode == "mix":
        mix(index, float(sys.argv[3]))
    else:
        marks(index, int(sys.argv[3]), uuid.UUID(sys.argv[4]))
