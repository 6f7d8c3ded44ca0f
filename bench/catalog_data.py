"""Fast catalog fill for benchmarks: plain SQL, no ORM, no image files.

Rows are deterministic: image i has id md5('img'||i)::uuid and slot i, so a catalog can grow in
steps (10k -> 100k -> 1M) by inserting only the new range. Every image gets plausible metadata,
one artist (20 images each), one character (50 images each) and two of 20 categories; each link
also gets its CategorySlot row, numbered on from the category's highest slot, as
catalog.services would number it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta

from bench.common import psql

CATEGORIES = [
    "catgirl", "maid", "kemonomimi", "school-uniform", "glasses", "ribbons", "sword", "night",
    "beach", "flowers", "rain", "smile", "winter", "cafe", "library", "sunset", "twintails",
    "foxgirl", "bunnygirl", "ponytail",
]  # fmt: skip
IMAGES_PER_ARTIST = 20
IMAGES_PER_CHARACTER = 50
# One artist in this many is a "Kaguya ..." so /artist?search=%aguya% finds a few.
KAGUYA_EVERY = 100


def image_id(i: int) -> uuid.UUID:
    return uuid.UUID(hashlib.md5(f"img{i}".encode()).hexdigest())  # noqa: S324 (ids, not security)


def category_pair(i: int) -> tuple[int, int]:
    """The two category indexes of image i (distinct, every pair about equally common)."""
    first = i % len(CATEGORIES)
    second = (i // len(CATEGORIES)) % len(CATEGORIES)
    if second == first:
        second = (first + 1) % len(CATEGORIES)
    return first, second


# --- PostgreSQL ----------------------------------------------------------------------------------

_PG_FILL = """
BEGIN;
INSERT INTO catalog_category (id, name, description, nsfw, type, created_at)
SELECT md5('cat' || c)::uuid, (ARRAY[{names}])[c + 1], 'Images tagged ' || c, false,
       'setting', now() - interval '400 days'
FROM generate_series(0, {ncat} - 1) c
ON CONFLICT DO NOTHING;

INSERT INTO catalog_artist (id, name, url, created_at)
SELECT md5('art' || a)::uuid,
       CASE WHEN a % {kaguya} = 0 THEN 'Kaguya Shinomiya ' || a
            ELSE initcap(substr(md5('artname' || a), 1, 8)) || ' ' || a END,
       'https://example.org/artists/' || a, now() - (a || ' minutes')::interval
FROM generate_series({start} / {per_artist}, ({end} - 1) / {per_artist}) a
ON CONFLICT DO NOTHING;

INSERT INTO catalog_character (id, name, description, source, gender, ages, birth_date,
                               nationality, occupations, created_at)
SELECT md5('chr' || h)::uuid, 'Character ' || substr(md5('chrname' || h), 1, 10),
       'A character from a light novel.', 'Light Novel ' || (h % 97), 'female',
       '[16, 17]'::jsonb, 'April 1', 'Japanese', '["student"]'::jsonb,
       now() - (h || ' minutes')::interval
FROM generate_series({start} / {per_char}, ({end} - 1) / {per_char}) h
ON CONFLICT DO NOTHING;

INSERT INTO catalog_image (id, file, thumbnail, artist_id, source_name, source_url, nsfw,
    original, created_at, size, mimetype, etag, color, width, height, aspect_ratio,
    orientation, slot, pending, status, rejection_reason)
SELECT md5('img' || i)::uuid, 'images/' || md5('img' || i) || '.png',
       'thumbs/' || md5('img' || i) || '.webp', md5('art' || (i / {per_artist}))::uuid,
       'pixiv', 'https://example.org/artworks/' || i,
       (ARRAY['sfw', 'sfw', 'sfw', 'sfw', 'sfw', 'sfw', 'sfw', 'sfw', 'questionable',
              'nsfw'])[i % 10 + 1],
       (i % 3 = 0), now() - (i || ' seconds')::interval, 200000 + (i::bigint * 7919) % 6000000,
       'image/png', substr(md5('etag' || i), 1, 32),
       '#' || substr(md5('color' || i), 1, 6), 1024 + (i % 4) * 256, 1024,
       CASE i % 4 WHEN 0 THEN '1:1' WHEN 1 THEN '5:4' WHEN 2 THEN '3:2' ELSE '7:4' END,
       CASE i % 4 WHEN 0 THEN 'square' ELSE 'landscape' END, i, false, 'approved', ''
FROM generate_series({start}, {end} - 1) i;

CREATE TEMP TABLE new_links ON COMMIT DROP AS
SELECT i, md5('img' || i)::uuid AS image_id, md5('cat' || (i % {ncat}))::uuid AS category_id
FROM generate_series({start}, {end} - 1) i
UNION ALL
SELECT i, md5('img' || i)::uuid,
       md5('cat' || CASE WHEN (i / {ncat}) % {ncat} = i % {ncat} THEN (i % {ncat} + 1) % {ncat}
                         ELSE (i / {ncat}) % {ncat} END)::uuid
FROM generate_series({start}, {end} - 1) i;

INSERT INTO catalog_image_categories (image_id, category_id)
SELECT image_id, category_id FROM new_links;

-- Each category's links numbered on from its highest slot (catalog.services does the same).
INSERT INTO catalog_categoryslot (category_id, slot, image_id)
SELECT n.category_id,
       coalesce(t.top, -1) + row_number() OVER (PARTITION BY n.category_id ORDER BY n.i),
       n.image_id
FROM new_links n
LEFT JOIN (SELECT category_id, max(slot) AS top FROM catalog_categoryslot GROUP BY category_id) t
       USING (category_id);

INSERT INTO catalog_image_characters (image_id, character_id)
SELECT md5('img' || i)::uuid, md5('chr' || (i / {per_char}))::uuid
FROM generate_series({start}, {end} - 1) i;
COMMIT;
"""


def fill_pg(database: str, start: int, end: int) -> None:
    """Insert images [start, end) (and their artists, characters, categories), then analyze."""
    names = ", ".join(f"'{name}'" for name in CATEGORIES)
    sql = _PG_FILL.format(
        names=names,
        ncat=len(CATEGORIES),
        kaguya=KAGUYA_EVERY,
        per_artist=IMAGES_PER_ARTIST,
        per_char=IMAGES_PER_CHARACTER,
        start=start,
        end=end,
    )
    psql(database, sql, timeout=1200)
    # A loaded production table has its statistics and visibility map; so does ours.
    psql(database, "VACUUM ANALYZE;", timeout=1200)


def pg_count(database: str) -> int:
    return int(psql(database, "SELECT count(*) FROM catalog_image;"))


# --- SQLite --------------------------------------------------------------------------------------


def _ts(when: datetime) -> str:
    # Django's SQLite backend stores aware datetimes as naive UTC text.
    return when.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


def fill_sqlite(path: str, start: int, end: int) -> None:
    """The same rows as fill_pg, through sqlite3 with executemany."""
    now = datetime.now(UTC)
    nsfw = ["sfw"] * 8 + ["questionable", "nsfw"]
    db = sqlite3.connect(path)
    with db:
        db.executemany(
            "INSERT OR IGNORE INTO catalog_category (id, name, description, nsfw, type, "
            "created_at) VALUES (?, ?, ?, 0, 'setting', ?)",
            [
                (_hex(f"cat{c}"), name, f"Images tagged {c}", _ts(now - timedelta(days=400)))
                for c, name in enumerate(CATEGORIES)
            ],
        )
        artists = range(start // IMAGES_PER_ARTIST, (end - 1) // IMAGES_PER_ARTIST + 1)
        db.executemany(
            "INSERT OR IGNORE INTO catalog_artist (id, name, url, created_at) VALUES (?,?,?,?)",
            [
                (
                    _hex(f"art{a}"),
                    f"Kaguya Shinomiya {a}"
                    if a % KAGUYA_EVERY == 0
                    else f"{_md5(f'artname{a}')[:8].title()} {a}",
                    f"https://example.org/artists/{a}",
                    _ts(now - timedelta(minutes=a)),
                )
                for a in artists
            ],
        )
        characters = range(start // IMAGES_PER_CHARACTER, (end - 1) // IMAGES_PER_CHARACTER + 1)
        db.executemany(
            "INSERT OR IGNORE INTO catalog_character (id, name, description, source, gender, "
            "ages, birth_date, nationality, occupations, created_at) "
            "VALUES (?, ?, 'A character from a light novel.', ?, 'female', '[16, 17]', "
            "'April 1', 'Japanese', '[\"student\"]', ?)",
            [
                (
                    _hex(f"chr{h}"),
                    f"Character {_md5(f'chrname{h}')[:10]}",
                    f"Light Novel {h % 97}",
                    _ts(now - timedelta(minutes=h)),
                )
                for h in characters
            ],
        )
        aspect = ["1:1", "5:4", "3:2", "7:4"]
        db.executemany(
            "INSERT INTO catalog_image (id, file, thumbnail, artist_id, source_name, source_url, "
            "nsfw, original, created_at, size, mimetype, etag, color, width, height, "
            "aspect_ratio, orientation, slot, pending, status, rejection_reason) "
            "VALUES (?, ?, ?, ?, 'pixiv', ?, ?, ?, ?, ?, 'image/png', ?, ?, ?, 1024, ?, ?, ?, 0, "
            "'approved', '')",
            [
                (
                    _hex(f"img{i}"),
                    f"images/{_md5(f'img{i}')}.png",
                    f"thumbs/{_md5(f'img{i}')}.webp",
                    _hex(f"art{i // IMAGES_PER_ARTIST}"),
                    f"https://example.org/artworks/{i}",
                    nsfw[i % 10],
                    int(i % 3 == 0),
                    _ts(now - timedelta(seconds=i)),
                    200000 + (i * 7919) % 6000000,
                    _md5(f"etag{i}")[:32],
                    "#" + _md5(f"color{i}")[:6],
                    1024 + (i % 4) * 256,
                    aspect[i % 4],
                    "square" if i % 4 == 0 else "landscape",
                    i,
                )
                for i in range(start, end)
            ],
        )
        rows = []
        for i in range(start, end):
            first, second = category_pair(i)
            rows.append((_hex(f"img{i}"), _hex(f"cat{first}")))
            rows.append((_hex(f"img{i}"), _hex(f"cat{second}")))
        db.executemany(
            "INSERT INTO catalog_image_categories (image_id, category_id) VALUES (?, ?)", rows
        )
        next_slot = dict(
            db.execute(
                "SELECT category_id, max(slot) + 1 FROM catalog_categoryslot GROUP BY category_id"
            ).fetchall()
        )
        slots = []
        for image, category in rows:
            slot = next_slot.get(category, 0)
            next_slot[category] = slot + 1
            slots.append((category, slot, image))
        db.executemany(
            "INSERT INTO catalog_categoryslot (category_id, slot, image_id) VALUES (?, ?, ?)",
            slots,
        )
        db.executemany(
            "INSERT INTO catalog_image_characters (image_id, character_id) VALUES (?, ?)",
            [(_hex(f"img{i}"), _hex(f"chr{i // IMAGES_PER_CHARACTER}")) for i in range(start, end)],
        )
    db.execute("ANALYZE")
    db.close()


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 (ids, not security)


def _hex(text: str) -> str:
    """Django stores UUIDField on SQLite as 32 hex characters."""
    return _md5(text)


def sample_body_check(body: bytes) -> int:
    """How many images a JSON response holds (sanity check that the fill is visible)."""
    data = json.loads(body).get("data")
    return len(data) if isinstance(data, list) else int(data is not None)
