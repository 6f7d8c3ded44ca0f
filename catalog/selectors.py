"""Reads of the catalog. Every function runs a fixed number of SQL queries, whatever the limit.

Images come back as plain rows (dicts from `.values()`) with their categories and characters
attached from ONE query each over the many-to-many through tables, instead of model instances and
nested serializers: the catalog API is the hot path and this is several times cheaper.

The API's reads also go through this worker's read cache (nekosite/lib/readcache.py): image rows
by id, the ids of list pages and search pages are kept in memory until the catalog changes, so
a warm request makes no query at all. Rows handed out may be shared with other requests: never
mutate them (build new dicts, as catalog/api/wire.py does).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.core.cache import cache
from django.db import DataError
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from catalog import search as catalog_search
from catalog.models import Artist, Category, Character, Image, Rating
from nekosite.lib.readcache import ReadCache

Row = dict[str, Any]

IMAGE_FIELDS = (
    "id",
    "file",
    "artist_id",
    "source_name",
    "source_url",
    "nsfw",
    "original",
    "created_at",
    "size",
    "mimetype",
    "etag",
    "color",
    "width",
    "height",
    "aspect_ratio",
    "orientation",
)
ARTIST_FIELDS = ("id", "name", "url")
CATEGORY_FIELDS = ("id", "name", "description", "nsfw", "type", "created_at")
CHARACTER_FIELDS = (
    "id",
    "name",
    "description",
    "source",
    "gender",
    "ages",
    "birth_date",
    "nationality",
    "occupations",
    "created_at",
)

# At most this many category filters on /image/random: each one is an EXISTS in the query.
MAX_CATEGORY_FILTERS = 10
STATS_CACHE_SECONDS = 30

_CategoryLink = Image.categories.through
_CharacterLink = Image.characters.through

_cache = ReadCache("catalog")


def _cached(key: tuple[Any, ...], fetch: Callable[[], Any]) -> Any:
    """`fetch()`, or what it returned the last time while the catalog has not changed."""
    stamp = _cache.stamp()
    value = _cache.get(key)
    if value is None:
        value = fetch()
        _cache.put(stamp, key, value)
    return value


# --- images ----------------------------------------------------------------------------------


def _attach_relations(rows: list[Row]) -> list[Row]:
    """Add "categories" and "characters" (lists of rows, by name) to each image row.

    Two queries for the whole page, none when the page is empty.
    """
    if not rows:
        return rows
    by_id: dict[uuid.UUID, Row] = {}
    for row in rows:
        row["categories"] = []
        row["characters"] = []
        by_id[row["id"]] = row
    ids = list(by_id)
    # One row per (image, category) with the category's fields; categories repeat across
    # images, so build each category's dict once and share it.
    category_cache: dict[uuid.UUID, Row] = {}
    links = (
        _CategoryLink.objects.filter(image_id__in=ids)
        .order_by("category__name")
        .values_list("image_id", *(f"category__{field}" for field in CATEGORY_FIELDS))
    )
    for image_id, *values in links:
        category = category_cache.get(values[0])
        if category is None:
            category = category_cache[values[0]] = dict(zip(CATEGORY_FIELDS, values, strict=True))
        by_id[image_id]["categories"].append(category)
    character_cache: dict[uuid.UUID, Row] = {}
    links = (
        _CharacterLink.objects.filter(image_id__in=ids)
        .order_by("character__name")
        .values_list("image_id", *(f"character__{field}" for field in CHARACTER_FIELDS))
    )
    for image_id, *values in links:
        character = character_cache.get(values[0])
        if character is None:
            character = character_cache[values[0]] = dict(
                zip(CHARACTER_FIELDS, values, strict=True)
            )
        by_id[image_id]["characters"].append(character)
    return rows


def image_rows(queryset: QuerySet[Image]) -> list[Row]:
    """Evaluate an image queryset (already sliced/ordered) into rows with their relations."""
    return _attach_relations(list(queryset.values(*IMAGE_FIELDS)))


def images_by_id(ids: Sequence[uuid.UUID]) -> list[Row]:
    """The rows of these images in the order given (missing ones left out): from the read
    cache, and three queries for those it lacks."""
    stamp = _cache.stamp()
    found = _cache.get_many([("image", image_id) for image_id in ids])
    missing = [image_id for image_id in ids if ("image", image_id) not in found]
    if missing:
        fetched = {
            ("image", row["id"]): row
            for row in image_rows(Image.objects.filter(pk__in=missing).order_by())
        }
        _cache.put_many(stamp, fetched)
        found.update(fetched)
    return [found[("image", image_id)] for image_id in ids if ("image", image_id) in found]


def _ids(queryset: QuerySet[Image]) -> list[uuid.UUID]:
    return list(queryset.values_list("id", flat=True))


def image_list(*, limit: int, offset: int = 0) -> list[Row]:
    """Newest first (index on created_at)."""
    ids = _cached(
        ("image_list", limit, offset),
        lambda: _ids(Image.objects.order_by("-created_at", "id")[offset : offset + limit]),
    )
    return images_by_id(ids)


def image_get(*, image_id: uuid.UUID) -> Row | None:
    rows = images_by_id([image_id])
    return rows[0] if rows else None


def image_file(*, image_id: uuid.UUID) -> Row | None:
    """What the asset view needs to serve an image: one query."""
    return (
        Image.objects.filter(pk=image_id)
        .order_by()
        .values("id", "file", "mimetype", "size", "etag", "created_at")
        .first()
    )


def categories_resolve(*, names: Iterable[str]) -> list[uuid.UUID] | None:
    """The ids of the categories named (case-insensitively), or None when one does not exist."""
    wanted = {name.casefold() for name in names}
    if not wanted:
        return []
    if any("\x00" in name for name in wanted):
        return None  # no category name holds a NUL (PostgreSQL cannot even compare one)
    found = _cached(("category_ids", frozenset(wanted)), lambda: _category_ids(wanted))
    return list(found) if found else None


def _category_ids(wanted: set[str]) -> tuple[uuid.UUID, ...] | bool:
    """The ids of the categories named, or False when one does not exist (cacheable)."""
    query = Q()
    for name in wanted:
        query |= Q(name__iexact=name)
    found = list(Category.objects.filter(query).order_by().values_list("id", "name"))
    if {name.casefold() for _, name in found} != wanted:
        return False
    return tuple(category_id for category_id, _ in found)


def image_random(*, limit: int, category_ids: Sequence[uuid.UUID] = ()) -> list[Row]:
    """Up to `limit` distinct random images having every one of `category_ids`.

    Never sorts the table: every image carries `random_key`, a uniform float in [0, 1) with an
    index. We draw r, read the ids of the next `window` images in key order from r (wrapping
    around to the start when fewer follow), and sample `limit` of them in memory. That is at
    most two index range scans plus three queries for the chosen rows, whatever the table size.

    Bias: an image is in the window when r falls in the stretch of keys just before it, whose
    length is the sum of the `window` gaps preceding its key. Gaps between uniform keys vary,
    so images after wide gaps are picked slightly more often, but a sum of `window` gaps varies
    far less than one gap (relative spread about 1/sqrt(window), ~10% for 100). When no more
    than `window` images match, all of them are in the window and the draw is exactly uniform.
    """
    images = Image.objects.order_by()
    for category_id in category_ids:
        # One EXISTS per category: images having ALL the named categories.
        images = images.filter(
            Exists(_CategoryLink.objects.filter(image_id=OuterRef("pk"), category_id=category_id))
        )
    window = max(limit * 4, 100)
    start = random.random()
    ids = list(
        images.filter(random_key__gte=start)
        .order_by("random_key")
        .values_list("id", flat=True)[:window]
    )
    if len(ids) < window:
        ids += (
            images.filter(random_key__lt=start)
            .order_by("random_key")
            .values_list("id", flat=True)[: window - len(ids)]
        )
    chosen = random.sample(ids, min(limit, len(ids)))
    if not chosen:
        return []
    return images_by_id(chosen)


def artist_image_list(*, artist_id: uuid.UUID, limit: int, offset: int = 0) -> list[Row]:
    ids = _cached(
        ("artist_images", artist_id, limit, offset),
        lambda: _ids(
            Image.objects.filter(artist_id=artist_id).order_by("-created_at", "id")[
                offset : offset + limit
            ]
        ),
    )
    return images_by_id(ids)


# --- artists, characters, categories ------------------------------------------------------------


def _search(queryset: QuerySet, search: str | None) -> QuerySet:
    """Filter by seed 001's search language. The search selectors raise
    catalog.search.SearchError for a query that is not a valid pattern."""
    if search:
        queryset = queryset.filter(name__iregex=catalog_search.name_pattern(search))
    return queryset


def _page(queryset: QuerySet, fields: Sequence[str], limit: int, offset: int) -> list[Row]:
    try:
        return list(queryset.order_by("name", "id").values(*fields)[offset : offset + limit])
    except DataError as exc:
        # Patterns are validated with RE2 and bounded for PostgreSQL first; should the database
        # still refuse one ("too complex"), the client gets a 400, not a 500.
        raise catalog_search.SearchError("The search query is not a valid pattern.") from exc


def _with_image_count(
    queryset: QuerySet, object_id: uuid.UUID, fields: Sequence[str]
) -> Row | None:
    return (
        queryset.filter(pk=object_id)
        .order_by()
        .annotate(images_count=Count("images"))
        .values(*fields, "images_count")
        .first()
    )


def artist_search(*, search: str | None = None, limit: int, offset: int = 0) -> list[Row]:
    return _cached(
        ("artist_search", search, limit, offset),
        lambda: _page(_search(Artist.objects.all(), search), ARTIST_FIELDS, limit, offset),
    )


def artist_get(*, artist_id: uuid.UUID) -> Row | None:
    """The artist with "images_count" (one query)."""
    return _cached(
        ("artist", artist_id),
        lambda: _with_image_count(Artist.objects.all(), artist_id, ARTIST_FIELDS),
    )


def artist_exists(*, artist_id: uuid.UUID) -> bool:
    return _cached(
        ("artist_exists", artist_id), lambda: Artist.objects.filter(pk=artist_id).exists()
    )


def character_search(*, search: str | None = None, limit: int, offset: int = 0) -> list[Row]:
    return _cached(
        ("character_search", search, limit, offset),
        lambda: _page(_search(Character.objects.all(), search), CHARACTER_FIELDS, limit, offset),
    )


def character_get(*, character_id: uuid.UUID) -> Row | None:
    return _cached(
        ("character", character_id),
        lambda: _with_image_count(Character.objects.all(), character_id, CHARACTER_FIELDS),
    )


def category_search(*, search: str | None = None, limit: int, offset: int = 0) -> list[Row]:
    return _cached(
        ("category_search", search, limit, offset),
        lambda: _page(_search(Category.objects.all(), search), CATEGORY_FIELDS, limit, offset),
    )


def category_get(*, category_id: uuid.UUID) -> Row | None:
    return _cached(
        ("category", category_id),
        lambda: _with_image_count(Category.objects.all(), category_id, CATEGORY_FIELDS),
    )


# --- statistics --------------------------------------------------------------------------------


def catalog_stats() -> Row:
    """Counts for /stats, cached briefly: COUNT(*) scans whole tables on PostgreSQL."""
    cached = cache.get("catalog:stats")
    if cached is not None:
        return cached
    images = Image.objects.order_by().aggregate(
        count=Count("pk"),
        **{rating: Count("pk", filter=Q(nsfw=rating)) for rating in Rating.values},
    )
    stats = {
        "images": images,
        "artists": Artist.objects.count(),
        "characters": Character.objects.count(),
        "categories": Category.objects.count(),
    }
    cache.set("catalog:stats", stats, STATS_CACHE_SECONDS)
    return stats


# --- /stats/ page ----------------------------------------------------------------------------


def image_count_by_rating() -> dict[str, int]:
    """{rating: count} for every rating (zeros included), from ONE aggregate query."""
    counts = Image.objects.order_by().aggregate(
        **{rating: Count("pk", filter=Q(nsfw=rating)) for rating in Rating.values}
    )
    return {rating: int(counts[rating]) for rating in Rating.values}


def category_image_counts(*, limit: int = 15) -> list[tuple[str, int]]:
    """(category name, number of images), biggest first, at most `limit` rows; ONE query."""
    rows = (
        Category.objects.order_by()
        .annotate(image_count=Count("images"))
        .order_by("-image_count", "name")
        .values_list("name", "image_count")[:limit]
    )
    return [(name, int(count)) for name, count in rows]
