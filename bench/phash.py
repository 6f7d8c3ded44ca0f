"""Near-duplicate search: catalog.selectors.near_duplicates over 10k, 100k and 1M hashes.

Run: .venv/bin/python bench/phash.py          (BENCH_PHASH_MAX=100000 for a quick run)

One PostgreSQL catalog grown in steps (bench/catalog_data.py), then every image given a random
64-bit hash and its four 16-bit bands with plain SQL; image j+1 of every 1000 is a planted
near-duplicate of image j (2 bits flipped). At each size, in one process (manage.py shell):
200 queries near a planted pair (0 to 3 bits flipped from image j: j must be found, and j + 1
too when none is flipped), 200
random hashes (nothing expected) and 200 hashes of existing images, timed one by one.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import json
import os
import time
from typing import Any

from bench.catalog_data import fill_pg
from bench.common import app_env, emit, log, pg_drop, pg_reset, prepare_app, psql, shell, table
from bench.common import target as goal

NAME = "phash"
DB = "nekosite_bench_phash"
SIZES = [
    n
    for n in (10_000, 100_000, 1_000_000)
    if n <= int(os.environ.get("BENCH_PHASH_MAX", "1000000"))
]
PLANT_EVERY = 1000
TARGET_MS = 50.0

# H(i): 64 random bits from md5('ph' || i), as a signed bigint; image i % 1000 == 1 is H(i - 1)
# with two bits flipped (a planted near-duplicate of its neighbour).
_HASHES = """
UPDATE catalog_image SET phash = CASE WHEN slot % {every} = 1
    THEN ('x' || substr(md5('ph' || (slot - 1)), 1, 16))::bit(64)::bigint
         # (1::bigint << (slot % 31)) # (1::bigint << (slot % 31 + 32))
    ELSE ('x' || substr(md5('ph' || slot), 1, 16))::bit(64)::bigint END
WHERE slot >= {start} AND slot < {end};
UPDATE catalog_image SET phash_band0 = (phash >> 48) & 65535, phash_band1 = (phash >> 32) & 65535,
    phash_band2 = (phash >> 16) & 65535, phash_band3 = phash & 65535
WHERE slot >= {start} AND slot < {end};
VACUUM ANALYZE catalog_image;
"""

# Runs inside manage.py shell: prints one JSON line of latencies (ms) and misses.
_MEASURE = """
import hashlib, json, random, time
from catalog.models import Image
from catalog.selectors import near_duplicates
size, every = {size}, {every}
def h(i):
    return int(hashlib.md5(f"ph{{i}}".encode()).hexdigest()[:16], 16)
rng = random.Random(7)
planted, randoms, exact = [], [], []
for q in range(200):
    j = rng.randrange(0, size // every) * every
    value = h(j)
    for bit in rng.sample(range(64), q % 4):
        value ^= 1 << bit
    planted.append((j, value, q % 4))
    randoms.append(rng.getrandbits(64))
    exact.append(h(rng.randrange(size)))
for value in randoms[:20]:
    near_duplicates(phash=value)  # warm-up: connection, plans
lat = {{"planted": [], "random": [], "exact": []}}
misses = 0
slots = {{}}
for j, value, flipped in planted:
    t = time.perf_counter()
    found = near_duplicates(phash=value, max_distance=3)
    lat["planted"].append((time.perf_counter() - t) * 1000)
    got = {{image.slot for image, _ in found}}
    # j is within 3 bits; its planted neighbour j + 1 (2 bits off j) when nothing else flipped
    misses += j not in got or (flipped == 0 and j + 1 not in got)
for value in randoms:
    t = time.perf_counter(); near_duplicates(phash=value, max_distance=3)
    lat["random"].append((time.perf_counter() - t) * 1000)
for value in exact:
    t = time.perf_counter(); near_duplicates(phash=value, max_distance=3)
    lat["exact"].append((time.perf_counter() - t) * 1000)
print(json.dumps({{"lat": lat, "misses": misses}}))
"""


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2)


def run() -> dict[str, Any]:
    env = app_env(pg_reset(DB))
    prepare_app(env)
    rows: list[list[Any]] = []
    targets: list[dict[str, Any]] = []
    notes: list[str] = []
    start = 0
    try:
        for size in SIZES:
            began = time.monotonic()
            fill_pg(DB, start, size)
            psql(DB, _HASHES.format(every=PLANT_EVERY, start=start, end=size), timeout=1800)
            log(f"{size} hashes in {time.monotonic() - began:.0f} s")
            start = size
            result = json.loads(shell(env, _MEASURE.format(size=size, every=PLANT_EVERY)))
            every = [ms for kind in result["lat"].values() for ms in kind]
            for kind, values in result["lat"].items():
                rows.append([size, kind, _pct(values, 0.5), _pct(values, 0.99)])
            rows.append([size, "all", _pct(every, 0.5), _pct(every, 0.99)])
            targets.append(goal(f"near_duplicates p99 at {size:,} (ms)", _pct(every, 0.99),
                                "<=", TARGET_MS))  # fmt: skip
            targets.append(goal(f"planted pairs missed at {size:,}", result["misses"], "<=", 0))
    finally:
        pg_drop(DB)
    notes.append("in-process timing of catalog.selectors.near_duplicates (ORM + PostgreSQL)")
    return {
        "title": "Near-duplicate search (perceptual hash, 4 x 16-bit bands)",
        "table": table(["hashes", "queries", "p50 ms", "p99 ms"], rows),
        "targets": targets,
        "notes": notes,
    }


if __name__ == "__main__":
    emit(NAME, run())
