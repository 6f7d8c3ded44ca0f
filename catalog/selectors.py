"""Reads of the catalog. Every function runs a fixed number of SQL queries, whatever the limit.

Images come back as plain rows (dicts from `.values()`) with their categories and characters
read in the SAME statement as JSON (image_rows), instead of model instances and nested
serializers: the catalog API is the hot path, and a read that misses the cache (random images,
ids spread over a large catalog) is then one round trip to the database.

The API's reads also go through this worker's read cache (nekosite/lib/readcache.py): image rows
by id, the ids of list pages and search pages are kept in memory until the catalog changes, so
a warm request makes no query at all. Rows handed out may be shared with other requests: never
mutate them (build new dicts, as catalog/api/wire.py does).
"""

from __future__ import annotations

import datetime
import math
import random
import uuid
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import orjson
from django.core.cache import cache
from django.db import DataError, connection
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Field,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL, Window
from django.db.models.functions import Cast, Concat, Mod, RowNumber
from django.utils import timezone

from catalog import search as catalog_search
from catalog.models import (
    PHASH_BANDS,
    PHASH_MASK,
    Artist,
    Category,
    CategorySlot,
    Character,
    Image,
    ModerationStatus,
    Rating,
    Submission,
    phash_bands,
)
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

# At most this many category filters on /image/random: each one but the rarest is an EXISTS.
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
        value = _cache.put(stamp, key, fetch())
    return value


# --- images ----------------------------------------------------------------------------------

# What the public sees (API, gallery, random draws, counts): approved images only. Submissions
# pending review or rejected are left out by every public read below.
PUBLIC = Q(status=ModerationStatus.APPROVED)


def images_public() -> QuerySet[Image]:
    """Every image the public may see (the gallery's base queryset)."""
    return Image.objects.filter(PUBLIC)


_ROW_SQL: dict[str, str] = {}


def _row_sql(vendor: str) -> str:
    """SQL of one JSON object (as text) per image row of the outer query: the image's
    IMAGE_FIELDS, and "categories" (by name) and "characters" (by name, then id) as arrays of
    objects, from two correlated subqueries. One column, so no per-column conversion.

    PostgreSQL aggregates in order (`json_agg(... ORDER BY ...)`). SQLite 3.40 has no ORDER BY
    inside an aggregate, but does not flatten an ordered subquery into an aggregate, so
    json_group_array reads it in order; the JSON subtype is lost at a subquery boundary, hence
    json() around each object again. Booleans and JSON columns are written as JSON values on
    both (SQLite stores booleans as 0/1 and JSONField as text). Built from the models' names
    only (nothing from a request), once per vendor.
    """
    if vendor in _ROW_SQL:
        return _ROW_SQL[vendor]
    q = connection.ops.quote_name
    postgres = vendor == "postgresql"

    def obj(table: str, fields: Sequence[str], more: Sequence[str] = ()) -> str:
        pairs = []
        for name in fields:
            column = f"{table}.{q(name)}"
            if not postgres and name == "nsfw" and table == "o":  # Category.nsfw, a boolean
                column = f"json(CASE WHEN {column} THEN 'true' ELSE 'false' END)"
            elif not postgres and name == "original":  # Image.original, a nullable boolean
                column = (
                    f"json(CASE WHEN {column} IS NULL THEN 'null' "
                    f"WHEN {column} THEN 'true' ELSE 'false' END)"
                )
            elif not postgres and name in ("ages", "occupations"):
                column = f"json({column})"
            pairs.append(f"'{name}', {column}")
        return f"{'json_build_object' if postgres else 'json_object'}({', '.join([*pairs, *more])})"

    image = q(Image._meta.db_table)
    relations = []
    for key, link, model, target, fields in (
        ("categories", _CategoryLink, Category, "category_id", CATEGORY_FIELDS),
        ("characters", _CharacterLink, Character, "character_id", CHARACTER_FIELDS),
    ):
        joined = (
            f"FROM {q(link._meta.db_table)} l JOIN {q(model._meta.db_table)} o "
            f"ON o.{q('id')} = l.{q(target)} WHERE l.{q('image_id')} = {image}.{q('id')}"
        )
        order = f"o.{q('name')}, o.{q('id')}"
        if postgres:
            aggregate = (
                f"(SELECT coalesce(json_agg({obj('o', fields)} ORDER BY {order}), '[]') {joined})"
            )
        else:
            aggregate = (
                f"(SELECT json_group_array(json(x)) FROM (SELECT {obj('o', fields)} AS x "  # noqa: S608
                f"{joined} ORDER BY {order}))"
            )
        relations.append(f"'{key}', {aggregate}")
    row = obj(image, IMAGE_FIELDS, relations)
    _ROW_SQL[vendor] = f"{row}::text" if postgres else row
    return _ROW_SQL[vendor]


def _when(text: str) -> datetime.datetime:
    """A timestamp from the JSON of _row_sql: PostgreSQL writes ISO 8601 with the session's
    offset (UTC), SQLite the stored text, naive UTC."""
    value = datetime.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)


def _related(objects: list[Row], seen: dict[str, Row]) -> list[Row]:
    """Category or character rows from the JSON of _row_sql, in its order; an object met
    before on the same page (categories repeat across images) is converted once and shared."""
    rows = []
    for obj in objects:
        key = obj["id"]
        row = seen.get(key)
        if row is None:
            obj["id"] = uuid.UUID(key)
            obj["created_at"] = _when(obj["created_at"])
            row = seen[key] = obj
        rows.append(row)
    return rows


def _parsed(texts: Iterable[str]) -> list[Row]:
    """Image rows from the JSON texts of _row_sql."""
    seen_categories: dict[str, Row] = {}
    seen_characters: dict[str, Row] = {}
    rows = []
    for text in texts:
        row = orjson.loads(text)
        row["id"] = uuid.UUID(row["id"])
        if row["artist_id"] is not None:
            row["artist_id"] = uuid.UUID(row["artist_id"])
        row["created_at"] = _when(row["created_at"])
        row["categories"] = _related(row["categories"], seen_categories)
        row["characters"] = _related(row["characters"], seen_characters)
        rows.append(row)
    return rows


def _row_expression() -> RawSQL:
    return RawSQL(_row_sql(connection.vendor), (), output_field=TextField())  # noqa: S611


def image_rows(queryset: QuerySet[Image]) -> list[Row]:
    """Evaluate an image queryset (already filtered, sliced, ordered) into rows with their
    categories and characters in ONE statement, as JSON (_row_sql): no model instance is
    built and no second round trip made."""
    return _parsed(queryset.values_list(_row_expression(), flat=True))


def image_fresh(*, image_id: uuid.UUID) -> Row | None:
    """One image row whatever its moderation status, from the database (not the read cache):
    what the write API answers a submitter or staff with."""
    rows = image_rows(Image.objects.filter(pk=image_id).order_by())
    return rows[0] if rows else None


def _image_rows_numbered(queryset: QuerySet[Image], number: str) -> dict[int, Row]:
    """{the value of the field `number`: row} of an image queryset, in one statement."""
    found = list(queryset.values_list(_row_expression(), number))
    rows = _parsed(text for text, _ in found)
    return {value: row for (_, value), row in zip(found, rows, strict=True)}


_STATEMENTS: dict[tuple[str, str, int], tuple[str, tuple[Any, ...]]] = {}
# Statements for more values than this (rare draws) are compiled each time, not kept.
_STATEMENTS_KEPT_MAX_VALUES = 64


def _public_rows_where(field: str, values: Sequence[Any]) -> list[tuple[Any, Row]]:
    """(stored value of `field`, image row) of the public images whose `field` ("id" or
    "slot") is one of `values`, in any order: the reads a cold detail and a random draw make.
    Their SQL is compiled by the ORM once per field and number of values, then reused with
    new parameters, which saves the ORM's work (most of such a read's cost in Python)."""
    key = (connection.vendor, field, len(values))
    model_field = cast(Field, Image._meta.get_field(field))
    statement = _STATEMENTS.get(key)
    if statement is None:
        stand_ins = [uuid.uuid4() if field == "id" else -1 - n for n in range(len(values))]
        queryset = images_public().filter(**{f"{field}__in": stand_ins}).order_by()
        sql, compiled = queryset.values_list(field, _row_expression()).query.sql_with_params()
        head = len(compiled) - len(values)
        prepared = [model_field.get_db_prep_value(value, connection) for value in stand_ins]
        # The values are the last parameters (the status comes first): checked here, once.
        if sorted(map(str, compiled[head:])) != sorted(map(str, prepared)):
            raise AssertionError(f"unexpected SQL parameters for images by {field}")
        statement = (sql, tuple(compiled[:head]))
        if len(values) <= _STATEMENTS_KEPT_MAX_VALUES:
            _STATEMENTS[key] = statement
    sql, head_params = statement
    params = [*head_params, *(model_field.get_db_prep_value(value, connection) for value in values)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    rows = _parsed(text for _, text in found)
    return [(value, row) for (value, _), row in zip(found, rows, strict=True)]


def images_by_id(ids: Sequence[uuid.UUID], *, keep: bool = True) -> list[Row]:
    """The rows of these images in the order given (missing ones left out): from the read
    cache, and one statement for those it lacks, which are kept in the cache unless `keep` is
    false (images drawn at random: see image_random)."""
    stamp = _cache.stamp()
    found = _cache.get_many([("image", image_id) for image_id in ids])
    missing = [image_id for image_id in ids if ("image", image_id) not in found]
    if missing:
        fetched: dict[Hashable, Row] = {
            ("image", row["id"]): row for _, row in _public_rows_where("id", missing)
        }
        found.update(_cache.put_many(stamp, fetched) if keep else fetched)
    return [found[("image", image_id)] for image_id in ids if ("image", image_id) in found]


# The list's order, newest first (index image_public_list serves it on PostgreSQL and SQLite).
LIST_ORDER = ("-created_at", "id")
# Every LIST_ANCHOR_EVERY-th position of that order is remembered (see _list_page).
LIST_ANCHOR_EVERY = 500


def _image_page(key: tuple[Any, ...], page: Callable[[int | None], QuerySet[Image]]) -> list[Row]:
    """A page of image rows in LIST_ORDER: its ids and rows from the read cache when there,
    else ONE statement whose ids and rows are kept. `page(stamp)` is the page's queryset
    (sliced, in LIST_ORDER); it picks the ids in a subquery, so that the rows' JSON is built
    for the page only and not for every row OFFSET skips (PostgreSQL computes the select list
    of skipped rows too)."""
    stamp = _cache.stamp()
    ids = _cache.get(key)
    if ids is not None:
        return images_by_id(ids)
    rows = image_rows(Image.objects.filter(pk__in=page(stamp).values("pk")).order_by(*LIST_ORDER))
    # Only the ids are kept now: most pages of a large catalog are read once (bots page at
    # random), and copying 25 rows into the cache read-only costs about what their SQL does.
    # A page asked for again gets its rows by id, and those are kept (images_by_id).
    _cache.put(stamp, key, tuple(row["id"] for row in rows))
    return rows


def image_list(*, limit: int, offset: int = 0) -> list[Row]:
    """Newest first; one statement for a page not in the read cache, whatever the offset."""
    return _image_page(
        ("image_list", limit, offset), lambda stamp: _list_page(stamp, limit, offset)
    )


ListKey = tuple[datetime.datetime, uuid.UUID]


class _ListAnchors:
    """This worker's list anchors with the read cache's stamp they were read under, in one
    attribute so that threads swap them atomically."""

    held: tuple[int | None, tuple[ListKey, ...]] = (None, ())


def _list_page(stamp: int | None, limit: int, offset: int) -> QuerySet[Image]:
    """The page at `offset` of the list: OFFSET counted from the nearest anchor at or before
    it rather than from the start, so a deep page skips fewer than LIST_ANCHOR_EVERY index
    entries instead of `offset` of them.

    An anchor is the (created_at, id) sort key at a position that is a multiple of
    LIST_ANCHOR_EVERY, all of them read in one scan of the list's index and kept until the
    catalog changes, exactly as long as the read cache keeps pages (the cache's stamp tells);
    the page is then a keyset query: rows at or after the anchor in list order. With the read
    cache off (no stamp) there is nothing to keep anchors fresh by, and plain OFFSET serves.
    """
    ordered = images_public().order_by(*LIST_ORDER)
    if stamp is None or offset < LIST_ANCHOR_EVERY:
        return ordered[offset : offset + limit]
    held_stamp, anchors = _ListAnchors.held
    if held_stamp != stamp:
        anchors = _list_anchor_keys()
        _ListAnchors.held = (stamp, anchors)
    number = offset // LIST_ANCHOR_EVERY
    if number >= len(anchors):
        return ordered.none()  # past the end
    created_at, pk = anchors[number]
    skip = offset - number * LIST_ANCHOR_EVERY
    at_or_after = Q(created_at__lte=created_at) & (
        Q(created_at__lt=created_at) | Q(created_at=created_at, id__gte=pk)
    )
    return ordered.filter(at_or_after)[skip : skip + limit]


def _list_anchor_keys() -> tuple[ListKey, ...]:
    """(created_at, id) at list positions 0, LIST_ANCHOR_EVERY, 2 * LIST_ANCHOR_EVERY, ...:
    one query numbering the public images in list order (a walk of index image_public_list)."""
    position = Window(RowNumber(), order_by=[F("created_at").desc(), F("id").asc()])
    numbered = (
        images_public()
        .annotate(position=position)
        .annotate(remainder=Mod(F("position") - 1, LIST_ANCHOR_EVERY))
        .filter(remainder=0)
        .order_by("position")
        .values_list("created_at", "id")
    )
    return tuple(numbered)


def image_get(*, image_id: uuid.UUID) -> Row | None:
    rows = images_by_id([image_id])
    return rows[0] if rows else None


def image_file(*, image_id: uuid.UUID) -> Mapping[str, Any] | None:
    """What the asset view needs to serve a public image: one query."""
    return (
        images_public()
        .filter(pk=image_id)
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
    """Up to `limit` distinct images drawn uniformly at random among those having every one of
    `category_ids` (all images when there are none).

    Never sorts the table. Images are numbered densely by `Image.slot` (0..n-1), and the images
    of each category by `CategorySlot.slot` (0..n-1 within the category); catalog.services keep
    both numberings dense on every insert and delete. To draw from the images having categories
    A and B, we draw slot numbers of the rarer of the two (its highest slot, one index look-up
    per category) and keep the drawn images that also have the other.

    Why it is exactly uniform: the slots are drawn as the start of a uniformly random
    permutation of 0..size-1 (without replacement), in rounds, and every drawn slot is looked up
    by index. A slot that holds no image (a hole left by a delete that skipped the services) or
    whose image lacks another category is rejected. So the accepted images, in draw order, are
    the matching images in the order of a uniformly random permutation, and the first `limit`
    of them are a uniformly random `limit`-subset of the matching images; every image, wherever
    its number, has the same chance. No key gaps or windows are involved: the former sampler
    (walk a random float key from a random point) favoured images after wide gaps between keys.

    Cost: the first round draws a few more slots than `limit`; when rejections leave it short,
    the next round is sized from the acceptance rate seen so far. Each round is ONE query of
    index look-ups (O(limit / acceptance rate), acceptance being the share of the rarest
    category's images having the others: bounded by selectivity, not by the catalog size).
    After ROUNDS rounds, one last query reads the rarest category's remaining matches and
    shuffles them, so a rare combination (or none) ends too.

    With several categories and the read cache on, the ids of all images having them all are
    read once (one query, rarest category's links filtered by the others) and kept until the
    catalog changes, if there are at most MATCHES_KEPT_MAX; a request is then an exact uniform
    `random.sample` of them with no look-ups, and the rows come from the read cache or one
    statement by id.

    Each round's look-up returns the drawn images' whole rows (image_rows: one statement with
    their categories and characters), so a cold draw is ONE round trip: the highest slot (or
    the categories' sizes) comes from the read cache, which reads it once per catalog version;
    with the cache off that is one more query. At most ROUNDS + 6 queries (data versions,
    size, matches, rounds, the last read and its rows, the rows of kept matches) whatever the
    catalog size or limit; usually one round and nothing else. Drawn rows are not added to
    the read cache (see the end of this function).
    """
    if category_ids:
        sizes = _cached(("category_sizes", frozenset(category_ids)), lambda: _sizes(category_ids))
        if len(sizes) < len(set(category_ids)) or any(top is None for top in sizes.values()):
            return []  # a category without images (or gone): nothing has them all
        rarest = min(sizes, key=lambda pk: sizes[pk])
        others = [category_id for category_id in sizes if category_id != rarest]

        def candidates(**slots: Any) -> QuerySet[Image]:
            # The rarest category's numbering; a drawn slot whose image is not public (a
            # submission) is rejected like a hole. One filter() call, so that the slot
            # condition and the category are on the same CategorySlot row.
            found = images_public().filter(category_slots__category_id=rarest, **slots)
            for category_id in others:
                # One EXISTS per other category: images having ALL the named categories.
                found = found.filter(
                    Exists(
                        _CategoryLink.objects.filter(
                            image_id=OuterRef("pk"), category_id=category_id
                        )
                    )
                )
            return found.order_by()

        if others and _cache.enabled():
            # Several categories: the images having all of them, read once per catalog
            # version and kept when they are few (the common case); then the draw is an exact
            # uniform sample in memory, with no look-ups at all.
            matches = _cached(
                ("category_matches", frozenset(sizes)),
                lambda: _matches(candidates().values_list("pk", flat=True)),
            )
            if matches is not False:
                drawn = random.sample(matches, min(limit, len(matches)))
                return images_by_id(drawn, keep=False)
        # With other categories, rejections are expected (images lacking them): draw more.
        first = limit + 2 if not others else 4 * limit + 16
        slot = "category_slots__slot"
        rows = _draw(
            lambda numbers: _image_rows_numbered(candidates(**{f"{slot}__in": numbers}), slot),
            lambda: candidates().values_list(slot, flat=True),
            sizes[rarest] + 1,
            limit,
            first=first,
        )
    else:
        top = _cached(
            ("image_top_slot",),
            lambda: Image.objects.order_by("-slot").values_list("slot", flat=True).first(),
        )
        if top is None:
            return []

        # Dense slots: few rejections, if any (holes, and submissions, which are not public).
        rows = _draw(
            lambda numbers: dict(_public_rows_where("slot", numbers)),
            lambda: images_public().order_by().values_list("slot", flat=True),
            top + 1,
            limit,
            first=limit + 2,
        )
    # Drawn rows are not kept in the read cache: in a large catalog a drawn image is seldom
    # asked for again, and copying rows into the cache (read-only) costs more than their SQL.
    return rows


# At most this many images having all of several requested categories are kept in the read
# cache (a UUID each, about 100 bytes); with more, draws look slot numbers up instead.
MATCHES_KEPT_MAX = 50_000


def _matches(ids: QuerySet[Any, uuid.UUID]) -> tuple[uuid.UUID, ...] | bool:
    """These ids (one query), or False when there are more than MATCHES_KEPT_MAX of them."""
    found = tuple(ids[: MATCHES_KEPT_MAX + 1])
    return found if len(found) <= MATCHES_KEPT_MAX else False


def _sizes(category_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int | None]:
    """{category id: its highest CategorySlot number (None without images)}; one query."""
    return dict(
        Category.objects.filter(pk__in=category_ids)
        .order_by()
        .annotate(
            top=Subquery(
                CategorySlot.objects.filter(category_id=OuterRef("pk"))
                .order_by("-slot")
                .values("slot")[:1]
            )
        )
        .values_list("pk", "top")
    )


ROUNDS = 3


def _draw(
    fetch: Callable[[list[int]], dict[int, Row]],
    numbers_all: Callable[[], Iterable[int]],
    size: int,
    limit: int,
    *,
    first: int,
) -> list[Row]:
    """The rows of the first `limit` candidates in the order of a uniformly random permutation
    of the slot numbers 0..size-1 (see image_random). `fetch(numbers)` gives {number: row} of
    the candidates holding these numbers (one statement), `numbers_all()` every candidate's."""
    drawn: set[int] = set()
    found: list[Row] = []
    chunk = first
    for _ in range(ROUNDS):
        numbers = _permutation_next(size, drawn, chunk)
        hits = fetch(numbers) if numbers else {}
        found += [hits[number] for number in numbers if number in hits]
        if len(found) >= limit or len(drawn) >= size:
            return found[:limit]
        # Size the next round from the acceptance rate so far (pessimistic: +1 / +2), twice
        # what it should take so that it seldom comes up short; at least double the last one.
        rate = (len(found) + 1) / (len(drawn) + 2)
        chunk = max(2 * chunk, math.ceil(2 * (limit - len(found)) / rate) + 16)
    # Still short (a rare combination): every remaining match, shuffled, which continues the
    # uniformly random order of the numbers not drawn yet; then the rows of those we keep.
    rest = [number for number in numbers_all() if number not in drawn]
    random.shuffle(rest)
    rest = rest[: limit - len(found)]
    if rest:
        hits = fetch(rest)
        found += [hits[number] for number in rest if number in hits]
    return found


def _permutation_next(size: int, drawn: set[int], count: int) -> list[int]:
    """The next `count` numbers of a uniformly random permutation of 0..size-1 whose first
    numbers are `drawn` (updated in place): each is uniform among those not drawn yet."""
    remaining = size - len(drawn)
    count = min(count, remaining)
    if count <= 0:
        return []
    if 2 * count >= remaining:
        # Most of what is left: shuffle it rather than retry many collisions.
        rest = [number for number in range(size) if number not in drawn]
        random.shuffle(rest)
        chosen = rest[:count]
    else:
        chosen = []
        taken = set(drawn)
        while len(chosen) < count:
            number = random.randrange(size)
            if number not in taken:
                taken.add(number)
                chosen.append(number)
    drawn.update(chosen)
    return chosen


def artist_image_list(*, artist_id: uuid.UUID, limit: int, offset: int = 0) -> list[Row]:
    return _image_page(
        ("artist_images", artist_id, limit, offset),
        lambda stamp: (
            images_public()
            .filter(artist_id=artist_id)
            .order_by(*LIST_ORDER)[offset : offset + limit]
        ),
    )


# --- artists, characters, categories ------------------------------------------------------------


def _name_page(
    model: type[Artist | Character | Category],
    fields: Sequence[str],
    search: str | None,
    limit: int,
    offset: int,
) -> list[Row]:
    """One page of `model` in the documented order (name, id), filtered by seed 001's search
    language when `search` is given (catalog.search.SearchError for an invalid pattern); kept
    in the read cache until the catalog changes.

    With a search, the order is written `name || ''` (the same text, so the same order): the
    btree index on name cannot serve that expression, so PostgreSQL always takes the matches
    from the trigram index and sorts them. Ordered by plain `name`, it sometimes walked the
    btree in name order instead, testing the pattern on every row until a page matched, which
    reads nearly the whole table when the matches sort last (bench/README.md). Without a
    search, the btree walk is the right plan and stays.
    """

    def fetch() -> list[Row]:
        queryset = model.objects.all()
        name: F | Concat = F("name")
        if search:
            queryset = queryset.filter(name__iregex=catalog_search.name_pattern(search))
            name = Concat("name", Value(""))
        try:
            return list(queryset.order_by(name, "id").values(*fields)[offset : offset + limit])
        except DataError as exc:
            # Patterns are validated with RE2 and bounded for PostgreSQL first; should the
            # database still refuse one ("too complex"), the client gets a 400, not a 500.
            raise catalog_search.SearchError("The search query is not a valid pattern.") from exc

    return _cached((model.__name__, "search", search, limit, offset), fetch)


def _record_with_count(
    model: type[Artist | Character | Category], object_id: uuid.UUID, fields: Sequence[str]
) -> Row | None:
    """The row with "images_count", the number of its public images (one query)."""
    return (
        model.objects.filter(pk=object_id)
        .order_by()
        .annotate(images_count=Count("images", filter=Q(images__status="approved")))
        .values(*fields, "images_count")
        .first()
    )


def _with_image_count(
    model: type[Artist | Character | Category], object_id: uuid.UUID, fields: Sequence[str]
) -> Row | None:
    """_record_with_count, kept in the read cache."""
    return _cached(
        (model.__name__, object_id), lambda: _record_with_count(model, object_id, fields)
    )


RECORD_FIELDS: dict[type[Artist | Character | Category], Sequence[str]] = {
    Artist: ARTIST_FIELDS,
    Character: CHARACTER_FIELDS,
    Category: CATEGORY_FIELDS,
}


def record_fresh(*, model: type[Artist | Character | Category], object_id: uuid.UUID) -> Row | None:
    """An artist, character or category as the write API answers it: read from the database,
    never from the read cache (the write just made any cached copy stale)."""
    return _record_with_count(model, object_id, RECORD_FIELDS[model])


def artist_search(*, search: str | None = None, limit: int, offset: int = 0) -> list[Row]:
    return _name_page(Artist, ARTIST_FIELDS, search, limit, offset)


def artist_get(*, artist_id: uuid.UUID) -> Row | None:
    return _with_image_count(Artist, artist_id, ARTIST_FIELDS)


def artist_exists(*, artist_id: uuid.UUID) -> bool:
    return _cached(
        ("artist_exists", artist_id), lambda: Artist.objects.filter(pk=artist_id).exists()
    )


def character_search(*, search: str | None = None, limit: int, offset: int = 0) -> list[Row]:
    return _name_page(Character, CHARACTER_FIELDS, search, limit, offset)


def character_get(*, character_id: uuid.UUID) -> Row | None:
    return _with_image_count(Character, character_id, CHARACTER_FIELDS)


def category_search(*, search: str | None = None, limit: int, offset: int = 0) -> list[Row]:
    return _name_page(Category, CATEGORY_FIELDS, search, limit, offset)


def category_get(*, category_id: uuid.UUID) -> Row | None:
    return _with_image_count(Category, category_id, CATEGORY_FIELDS)


# --- gallery (the public, server-rendered pages) ---------------------------------------------


GALLERY_SORTS = ("newest", "oldest", "random")
# The random order sorts images by a hash of their slot and the seed: x = slot * a + b, then
# x * x, both modulo this prime (2**31 - 1; every product stays below 2**62, inside a 64-bit
# integer on SQLite and PostgreSQL). A different shuffle per seed, the same one on every page
# of it, so paging stays coherent; a shuffle for browsing, not a statistically uniform draw.
_SHUFFLE_MODULUS = 2_147_483_647


@dataclass(frozen=True)
class GalleryFilter:
    """What the gallery's visitor asked for (validated by catalog.forms.GalleryFilterForm)."""

    text: str = ""
    operators: bool = False  # `text` is seed 001's search language, not literal text
    category_id: uuid.UUID | None = None
    character_id: uuid.UUID | None = None
    artist_id: uuid.UUID | None = None
    rating: str = ""
    show_nsfw: bool = False
    sort: str = "newest"
    seed: int = 0


def gallery_visible_images() -> QuerySet[Image]:
    """Every image the public gallery may show. The gallery reads images only through this
    function (directly or through the selectors below): a rule hiding images from the public
    (the moderation status: submissions awaiting review or rejected) goes here, once."""
    return images_public()


def _visible_through(relation: str) -> Q:
    """gallery_visible_images() as a condition on `relation` (e.g. "images"), for counts."""
    return Q(**{f"{relation}__in": gallery_visible_images().order_by().values("pk")})


_GALLERY_SEARCH_FIELDS = ("characters__name", "artist__name", "categories__name", "source_name")


def _text_condition(text: str, operators: bool) -> Q:
    """Images whose character, artist, category or source name matches `text`.

    Literal text is a case-insensitive substring: LIKE, with Django escaping % and _, so
    nothing the visitor types is ever read as a pattern. With `operators`, seed 001's search
    language matches whole names (catalog.search; SearchError when it is not valid). Each name
    is a subquery on the primary key, so a many-to-many match never duplicates a row.
    """
    if operators:
        lookup, value = "iregex", catalog_search.name_pattern(text)
    else:
        lookup, value = "icontains", text
    condition = Q()
    for field in _GALLERY_SEARCH_FIELDS:
        matching = Image.objects.filter(**{f"{field}__{lookup}": value}).values("pk")
        condition |= Q(pk__in=matching)
    return condition


def _gallery_filtered(f: GalleryFilter) -> QuerySet[Image]:
    images = gallery_visible_images()
    if f.text.strip():
        images = images.filter(_text_condition(f.text.strip(), f.operators))
    if f.category_id:
        images = images.filter(categories=f.category_id)
    if f.character_id:
        images = images.filter(characters=f.character_id)
    if f.artist_id:
        images = images.filter(artist=f.artist_id)
    if f.rating:
        images = images.filter(nsfw=f.rating)
    if not f.show_nsfw:
        # Questionable and NSFW stay hidden unless the visitor opts in.
        images = images.filter(nsfw=Rating.SFW)
    return images


def _sort_keys(f: GalleryFilter) -> list[tuple[str, bool]]:
    """(field, descending) pairs of the order, ending with the id so that it is total."""
    if f.sort == "oldest":
        return [("created_at", False), ("id", False)]
    if f.sort == "random":
        return [("shuffle_key", False), ("id", False)]
    return [("created_at", True), ("id", False)]


def _ordered(images: QuerySet[Image], f: GalleryFilter) -> QuerySet[Image]:
    if f.sort == "random":
        a, b = _shuffle_factors(f.seed)
        slot = Cast("slot", BigIntegerField())  # integer * integer would overflow on PostgreSQL
        mixed = (slot * Value(a) + Value(b)) % Value(_SHUFFLE_MODULUS)
        key = (mixed * mixed) % Value(_SHUFFLE_MODULUS)
        images = images.annotate(shuffle_key=ExpressionWrapper(key, BigIntegerField()))
    return images.order_by(*(f"-{name}" if desc else name for name, desc in _sort_keys(f)))


def gallery_images(*, f: GalleryFilter) -> QuerySet[Image]:
    """The gallery's images in the order asked for, with artist, characters and categories
    loaded (two prefetch queries per page). SearchError for an invalid operator query."""
    return (
        _ordered(_gallery_filtered(f), f)
        .select_related("artist")
        .prefetch_related(
            Prefetch("characters", queryset=Character.objects.only("id", "name")),
            Prefetch("categories", queryset=Category.objects.only("id", "name", "nsfw")),
        )
    )


def gallery_image_get(*, image_id: uuid.UUID) -> Image | None:
    """One image for its page, with its artist, categories and characters (three queries)."""
    return (
        gallery_visible_images()
        .select_related("artist")
        .prefetch_related("categories", "characters")
        .filter(pk=image_id)
        .first()
    )


def gallery_neighbours(
    *, image: Image, f: GalleryFilter
) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """The ids of the images just before and just after `image` in the gallery's order for
    `f` (None at either end): two keyset queries on the sort keys, no OFFSET."""
    images = _ordered(_gallery_filtered(f), f)
    keys = _sort_keys(f)
    values: dict[str, Any] = {"shuffle_key": _shuffle_value(image, f), "id": image.pk}
    values.update({name: getattr(image, name) for name, _ in keys if name != "shuffle_key"})

    def beyond(forward: bool) -> Q:
        # (k1 after v1) or (k1 = v1 and k2 after v2) ..., "after" in the direction of travel.
        condition = Q()
        equal: dict[str, Any] = {}
        for name, desc in keys:
            op = "lt" if desc == forward else "gt"
            condition |= Q(**equal, **{f"{name}__{op}": values[name]})
            equal[name] = values[name]
        return condition

    following = images.filter(beyond(True)).values_list("pk", flat=True).first()
    reversed_order = [f"{name}" if desc else f"-{name}" for name, desc in keys]
    preceding = (
        images.filter(beyond(False)).order_by(*reversed_order).values_list("pk", flat=True).first()
    )
    return preceding, following


def _shuffle_factors(seed: int) -> tuple[int, int]:
    """(a, b) of the shuffle for `seed`: a large multiplier, so neighbouring slots land far
    apart, and an offset."""
    a = 1 + (seed * 2_654_435_761 + 40_503) % (_SHUFFLE_MODULUS - 1)
    return a, (seed // 7 + 97_531) % _SHUFFLE_MODULUS


def _shuffle_value(image: Image, f: GalleryFilter) -> int:
    """The image's shuffle_key, computed as the database does."""
    a, b = _shuffle_factors(f.seed)
    mixed = (image.slot * a + b) % _SHUFFLE_MODULUS
    return (mixed * mixed) % _SHUFFLE_MODULUS


GALLERY_TAG_KINDS: tuple[tuple[str, type[Category | Character | Artist]], ...] = (
    ("category", Category),
    ("character", Character),
    ("artist", Artist),
)


def _counted(model: type[Category | Character | Artist], *, show_nsfw: bool) -> QuerySet[Any, Any]:
    """`model` rows with "count", the number of gallery images having them (SFW ones only
    unless `show_nsfw`), without those having none."""
    relation = "images"
    condition = _visible_through(relation)
    if not show_nsfw:
        condition &= Q(images__nsfw=Rating.SFW)
    return (
        model.objects.order_by()
        .annotate(count=Count(relation, filter=condition))
        .filter(count__gt=0)
    )


def gallery_tag_suggest(*, text: str, show_nsfw: bool = False, limit: int = 10) -> list[Row]:
    """Up to `limit` categories, characters and artists whose name contains `text` (literal,
    case-insensitive: ILIKE, served by the trigram indexes on PostgreSQL), names starting with
    it first, then the most used. Rows: kind, id, name, count. Three queries."""
    text = text.strip()
    if not text:
        return []
    found: list[Row] = []
    for kind, model in GALLERY_TAG_KINDS:
        rows = (
            _counted(model, show_nsfw=show_nsfw)
            .filter(name__icontains=text)
            .annotate(prefix=Case(When(name__istartswith=text, then=Value(0)), default=Value(1)))
            .order_by("prefix", "-count", "name")
            .values("id", "name", "count", "prefix")[:limit]
        )
        found += [{"kind": kind, **row} for row in rows]
    found.sort(key=lambda row: (row["prefix"], -row["count"], row["name"].casefold()))
    return [{k: v for k, v in row.items() if k != "prefix"} for row in found[:limit]]


def gallery_tag_counts(*, f: GalleryFilter, limit: int = 8) -> dict[str, list[Row]]:
    """{kind: the `limit` categories/characters/artists most used by the images matching `f`,
    with "count"}: per-filter counts, one GROUP BY over the matching images' links per kind
    (three queries). SearchError for an invalid operator query."""
    matching = _gallery_filtered(f).order_by().values("pk")
    result: dict[str, list[Row]] = {}
    for kind, link, column in (
        ("category", _CategoryLink, "category"),
        ("character", _CharacterLink, "character"),
    ):
        rows = (
            link.objects.filter(image_id__in=matching)
            .values(f"{column}_id", f"{column}__name")
            .annotate(count=Count("pk"))
            .order_by("-count", f"{column}__name")[:limit]
        )
        result[kind] = [
            {"id": row[f"{column}_id"], "name": row[f"{column}__name"], "count": row["count"]}
            for row in rows
        ]
    artists = (
        Image.objects.filter(pk__in=matching, artist__isnull=False)
        .values("artist_id", "artist__name")
        .annotate(count=Count("pk"))
        .order_by("-count", "artist__name")[:limit]
    )
    result["artist"] = [
        {"id": row["artist_id"], "name": row["artist__name"], "count": row["count"]}
        for row in artists
    ]
    return result


# --- statistics --------------------------------------------------------------------------------


def catalog_stats() -> Row:
    """Counts for /stats, cached briefly: COUNT(*) scans whole tables on PostgreSQL."""
    cached = cache.get("catalog:stats")
    if cached is not None:
        return cached
    images = (
        images_public()
        .order_by()
        .aggregate(
            count=Count("pk"),
            **{rating: Count("pk", filter=Q(nsfw=rating)) for rating in Rating.values},
        )
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
    counts = (
        images_public()
        .order_by()
        .aggregate(**{rating: Count("pk", filter=Q(nsfw=rating)) for rating in Rating.values})
    )
    return {rating: int(counts[rating]) for rating in Rating.values}


def category_image_counts(*, limit: int = 15) -> list[tuple[str, int]]:
    """(category name, number of images), biggest first, at most `limit` rows; ONE query."""
    rows = (
        Category.objects.order_by()
        .annotate(image_count=Count("images", filter=Q(images__status="approved")))
        .order_by("-image_count", "name")
        .values_list("name", "image_count")[:limit]
    )
    return [(name, int(count)) for name, count in rows]


def images_pending_overdue(*, older_than_seconds: float) -> QuerySet[Image, uuid.UUID]:
    """Ids of images still `pending` `older_than_seconds` after their ingest, oldest first
    (index image_pending)."""
    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    return (
        Image.objects.filter(pending=True, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)
    )


# --- near-duplicates (perceptual hash) ------------------------------------------------------------


def near_duplicates(
    *,
    phash: int,
    max_distance: int = 3,
    exclude_id: uuid.UUID | None = None,
    limit: int = 10,
) -> list[tuple[Image, int]]:
    """Images whose perceptual hash is within `max_distance` bits of `phash` (unsigned 64-bit),
    nearest first, with their distance; every moderation status included.

    Exact by the pigeonhole principle for max_distance < PHASH_BANDS (3): two hashes differing in
    at most 3 bits agree on at least one of the four 16-bit bands, so the candidates are the rows
    equal on some band (four indexed look-ups OR-ed), and their Hamming distance is counted here.
    Two queries at most: the candidates' hashes, then the matching rows (none when no match).
    """
    if not 0 <= max_distance < PHASH_BANDS:
        raise ValueError(f"max_distance must be between 0 and {PHASH_BANDS - 1}")
    phash &= PHASH_MASK
    bands = phash_bands(phash)
    same_band = Q()
    for number, band in enumerate(bands):
        same_band |= Q(**{f"phash_band{number}": band})
    candidates = Image.objects.filter(same_band)
    if exclude_id is not None:
        candidates = candidates.exclude(pk=exclude_id)
    distances: dict[uuid.UUID, int] = {}
    for pk, other in candidates.values_list("pk", "phash").order_by():
        if other is None:  # excluded by the band match, for the type checker
            continue
        distance = (phash ^ (other & PHASH_MASK)).bit_count()
        if distance <= max_distance:
            distances[pk] = distance
    if not distances:
        return []
    rows = Image.objects.filter(pk__in=list(distances)).select_related("artist")
    found = sorted(rows, key=lambda row: (distances[row.pk], row.created_at, str(row.pk)))
    return [(row, distances[row.pk]) for row in found[:limit]]


# --- moderation ---------------------------------------------------------------------------------


def submission_queue() -> QuerySet[Submission]:
    """Submissions waiting for a decision, oldest first (index image_review_queue)."""
    return (
        Submission.objects.filter(status=ModerationStatus.PENDING_REVIEW)
        .select_related("submitted_by", "artist")
        .order_by("created_at", "id")
    )


def submissions_for_user(*, user: Any, limit: int = 20) -> list[Image]:
    """The user's latest submissions with their decision (the dashboard's list)."""
    return list(
        Image.objects.filter(submitted_by=user)
        .order_by("-created_at", "id")
        .only("id", "status", "rejection_reason", "reviewed_at", "created_at", "thumbnail")[:limit]
    )


def nearest_duplicates(
    *, images: Sequence[Image], max_distance: int = PHASH_BANDS - 1
) -> dict[uuid.UUID, tuple[Image, int]]:
    """{image id: (its nearest other image, distance)} for a page of images (the moderation
    queue), among every image within `max_distance`; two queries for the whole page (the
    candidates sharing a band with any of them, then the nearest rows), none without hashes."""
    hashed = [(image.pk, image.phash_unsigned) for image in images if image.phash is not None]
    if not hashed:
        return {}
    same_band = Q()
    for _, value in hashed:
        for number, band in enumerate(phash_bands(value)):  # type: ignore[arg-type]
            same_band |= Q(**{f"phash_band{number}": band})
    candidates = list(Image.objects.filter(same_band).order_by().values_list("pk", "phash"))
    best: dict[uuid.UUID, tuple[uuid.UUID, int]] = {}
    for pk, value in hashed:
        assert value is not None
        for other_pk, other in candidates:
            if other_pk == pk or other is None:
                continue
            distance = (value ^ (other & PHASH_MASK)).bit_count()
            if distance <= max_distance and (pk not in best or distance < best[pk][1]):
                best[pk] = (other_pk, distance)
    rows = Image.objects.in_bulk([other_pk for other_pk, _ in best.values()])
    return {pk: (rows[other_pk], distance) for pk, (other_pk, distance) in best.items()}
