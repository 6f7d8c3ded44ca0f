"""Catalog size: latency of random selection and search at 10k, 100k and 1M images.

Run: .venv/bin/python bench/scale.py          (BENCH_SCALE_MAX=100000 for a quick run)

The baseline of each endpoint is the same endpoint on the 10k catalog, measured in the same
run. Also: a chi-square uniformity test of /image/random over a 1k catalog, and SQLite at 100k.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a file (python bench/x.py): import from the checkout first, so `uploads` is the app and
# not bench/uploads.py, and the bench package is importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib
import json
import math
import os
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.catalog_data import fill_pg, fill_sqlite
from bench.common import (
    OUT,
    WRK_DESC,
    Gunicorn,
    app_env,
    emit,
    get,
    log,
    pg_drop,
    pg_reset,
    prepare_app,
    ratio,
    redis_flush,
    shell,
    table,
    target,
    wrk_interleaved,
)

NAME = "scale"
DB = "nekosite_bench_scale"
DB_UNIFORM = "nekosite_bench_uniform"
SIZES = [
    n
    for n in (10_000, 100_000, 1_000_000)
    if n <= int(os.environ.get("BENCH_SCALE_MAX", "1000000"))
]
SQLITE_SIZE = 100_000
ENDPOINTS = [
    ("random", "random limit=25", "/api/v1/image/random?limit=25"),
    ("random_cats", "random limit=25 categories=catgirl,maid",
     "/api/v1/image/random?limit=25&categories=catgirl,maid"),
    ("category_search", "category search=%ai%", "/api/v1/category?search=%25ai%25"),
    ("artist_search", "artist search=%aguya%", "/api/v1/artist?search=%25aguya%25"),
]  # fmt: skip
UNIFORM_IMAGES = 1000
UNIFORM_DRAWS = 20_000


# The random endpoints again on servers with the worker read cache on (nekosite/lib/readcache.py).
CACHED_ENDPOINTS = [
    (f"{key}_cached", f"{label} (read cache on)", path)
    for key, label, path in ENDPOINTS
    if key.startswith("random")
]


def measure(
    apps: dict[str, Gunicorn], notes: list[str], endpoints: list[tuple[str, str, str]] = ENDPOINTS
) -> dict[str, dict[str, dict[str, Any]]]:
    """Every endpoint on every catalog, the catalogs measured in turn (interleaved)."""
    found: dict[str, dict[str, dict[str, Any]]] = {where: {} for where in apps}
    for key, label, path in endpoints:
        items = {}
        for where, app in apps.items():
            status, body = get(app.url + path)
            if status != 200:
                notes.append(f"{label} at {where}: {status} {body[:120]!r}; not measured")
                continue
            items[where] = len(json.loads(body).get("data") or [])
        measured = wrk_interleaved({where: (apps[where].url + path, {}) for where in items})
        for where, result in measured.items():
            result["items"] = items[where]
            if result["non_2xx"] or result["socket_errors"]:
                notes.append(
                    f"{label} at {where}: {result['non_2xx']} non-2xx answers, "
                    f"{result['socket_errors']} socket errors (timeouts included)"
                )
            found[where][key] = result
            log(f"{where} {label}: {result['rps']} req/s p50 {result['p50']} ms")
    return found


def chi_square_p(chi2: float, dof: int) -> float:
    """Upper tail of chi-square via the Wilson-Hilferty normal approximation (no scipy)."""
    k = float(dof)
    z = ((chi2 / k) ** (1 / 3) - (1 - 2 / (9 * k))) / math.sqrt(2 / (9 * k))
    return 0.5 * math.erfc(z / math.sqrt(2))


def chi_square(counts: Counter[str], method: str, seconds: float) -> dict[str, Any]:
    draws = sum(counts.values())
    expected = draws / UNIFORM_IMAGES
    observed = [counts.get(key, 0) for key in _all_ids()]
    chi2 = sum((o - expected) ** 2 / expected for o in observed)
    dof = UNIFORM_IMAGES - 1
    return {
        "method": method,
        "draws": draws,
        "images": UNIFORM_IMAGES,
        "distinct_seen": len(counts),
        "chi2": round(chi2, 1),
        "dof": dof,
        "p_value": chi_square_p(chi2, dof),
        "min_count": min(observed),
        "max_count": max(observed),
        "expected": expected,
        "seconds": round(seconds, 1),
    }


# In-process: 20k calls of the selector with limit=1 (the marginal distribution of one draw).
_SELECTOR_DRAWS = """
import json, collections
from catalog import selectors
counts = collections.Counter()
for _ in range({draws}):
    for row in selectors.image_random(limit=1):
        counts[str(row["id"] if isinstance(row, dict) else row.id)] += 1
print(json.dumps(counts))
"""


def uniformity(notes: list[str]) -> list[dict[str, Any]]:
    """20k draws over 1k images, twice: over HTTP (/image/random?limit=25, 800 requests from 4
    clients), and in-process through catalog.selectors.image_random(limit=1)."""
    env = app_env(pg_reset(DB_UNIFORM))
    prepare_app(env)
    fill_pg(DB_UNIFORM, 0, UNIFORM_IMAGES)
    found = []
    counts: Counter[str] = Counter()
    duplicates = 0
    with Gunicorn(env) as app:
        url = f"{app.url}/api/v1/image/random?limit=25"

        def draw(_: int) -> list[str]:
            status, body = get(url)
            if status != 200:
                raise RuntimeError(f"{status} {body[:200]!r}")
            return [item["id"] for item in json.loads(body)["data"]]

        started = time.monotonic()
        try:
            with ThreadPoolExecutor(4) as pool:
                for ids in pool.map(draw, range(UNIFORM_DRAWS // 25)):
                    duplicates += len(ids) - len(set(ids))
                    counts.update(ids)
            result = chi_square(counts, "HTTP /image/random?limit=25", time.monotonic() - started)
            result["duplicates_within_response"] = duplicates
            found.append(result)
        except RuntimeError as exc:
            notes.append(f"uniformity over HTTP: /image/random failed: {exc}")
    started = time.monotonic()
    try:
        output = shell(env, _SELECTOR_DRAWS.format(draws=UNIFORM_DRAWS))
        found.append(
            chi_square(
                Counter(json.loads(output)),
                "in-process selectors.image_random(limit=1)",
                time.monotonic() - started,
            )
        )
    except RuntimeError as exc:
        notes.append(f"uniformity in-process failed: {str(exc).strip().splitlines()[-1]}")
    pg_drop(DB_UNIFORM)
    return found


def _all_ids() -> list[str]:
    from bench.catalog_data import image_id

    return [str(image_id(i)) for i in range(UNIFORM_IMAGES)]


def _pg_name(size: int) -> str:
    return f"{DB}_{size}"


def run() -> dict[str, Any]:
    notes: list[str] = []
    fill_seconds: dict[str, float] = {}
    envs: dict[str, dict[str, str]] = {}
    # One database per size, all served at once, so the sizes can be measured in turn.
    for size in SIZES:
        env = app_env(pg_reset(_pg_name(size)))
        prepare_app(env)
        started = time.monotonic()
        fill_pg(_pg_name(size), 0, size)
        fill_seconds[f"PostgreSQL {size}"] = round(time.monotonic() - started, 1)
        log(f"PostgreSQL catalog of {size} images in {fill_seconds[f'PostgreSQL {size}']} s")
        envs[str(size)] = env
    sqlite_path = OUT / f"bench-{SQLITE_SIZE}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        sqlite_path.with_name(sqlite_path.name + suffix).unlink(missing_ok=True)
    sqlite_env = app_env(f"sqlite:///{sqlite_path}")
    prepare_app(sqlite_env)
    started = time.monotonic()
    fill_sqlite(str(sqlite_path), 0, SQLITE_SIZE)
    fill_seconds[f"SQLite {SQLITE_SIZE}"] = round(time.monotonic() - started, 1)
    envs["sqlite"] = sqlite_env
    redis_flush()
    with contextlib.ExitStack() as stack:
        # The targets are about how the database work grows with the catalog, so these servers
        # run with the worker read cache off: with it on, the whole 10k catalog (or all of its
        # images having two categories) fits in a worker's memory and the 1M one does not, and
        # the ratio would measure the cache's size rather than the queries. The random
        # endpoints are measured with the cache on as well (CACHED_ENDPOINTS, no target).
        apps = {
            where: stack.enter_context(Gunicorn({**env, "READ_CACHE_MS": "0"}))
            for where, env in envs.items()
        }
        found = measure(apps, notes)
        for app in apps.values():
            app.stop()  # memory and cores for the servers below
        cached = {str(size): stack.enter_context(Gunicorn(envs[str(size)])) for size in SIZES}
        for where, results in measure(cached, notes, CACHED_ENDPOINTS).items():
            found[where].update(results)
    for size in SIZES:
        pg_drop(_pg_name(size))
    sqlite_path.unlink(missing_ok=True)
    by_size = {size: found[str(size)] for size in SIZES}
    sqlite_results = found["sqlite"]

    uniform = uniformity(notes)

    rows: list[list[Any]] = []
    for key, label, _ in ENDPOINTS + CACHED_ENDPOINTS:
        for size in SIZES:
            result = by_size[size].get(key)
            if result is None:
                continue
            base = by_size[SIZES[0]].get(key)
            rows.append(
                [label, f"PostgreSQL {size:,}", result["items"], result["rps"], result["p50"],
                 result["p99"], ratio(result["p50"], base["p50"]) if base else "-"]
            )  # fmt: skip
        if key in sqlite_results:
            result = sqlite_results[key]
            pg = by_size.get(SQLITE_SIZE, {}).get(key)
            rows.append(
                [label, f"SQLite {SQLITE_SIZE:,}", result["items"], result["rps"], result["p50"],
                 result["p99"], f"{ratio(result['p50'], pg['p50'])} vs PG" if pg else "-"]
            )  # fmt: skip
    largest = SIZES[-1]

    def growth(key: str) -> float:
        small, big = by_size[SIZES[0]].get(key), by_size[largest].get(key)
        return ratio(big["p50"], small["p50"]) if small and big else float("nan")

    targets = [
        target(f"random p50 at {largest:,} / at 10k", growth("random"), "<=", 1.5),
        target(f"random+categories p50 at {largest:,} / at 10k", growth("random_cats"), "<=", 1.5),
        target(f"category search p50 at {largest:,} / at 10k", growth("category_search"), "<=", 3),
        target(f"artist search p50 at {largest:,} / at 10k", growth("artist_search"), "<=", 3),
    ]
    for u in uniform:
        targets.append(target(f"uniformity p-value, {u['method']}", u["p_value"], ">=", 0.01))
        notes.append(
            f"uniformity ({u['method']}): {u['draws']:,} draws over {u['images']:,} images, "
            f"chi2={u['chi2']} (dof {u['dof']}), p={u['p_value']:.3g} (Wilson-Hilferty), "
            f"counts {u['min_count']}..{u['max_count']} (expected {u['expected']:.0f}), "
            f"{u['distinct_seen']} distinct images seen"
            + (
                f", {u['duplicates_within_response']} duplicates within a response"
                if "duplicates_within_response" in u
                else ""
            )
            + f", {u['seconds']} s"
        )
    notes.append(
        "the servers measured for the targets run with READ_CACHE_MS=0 (the worker read cache "
        "off), so the figures show how the database work grows with the catalog; the rows "
        "'(read cache on)' are the same random endpoints with the default cache "
        "(READ_CACHE_ENTRIES rows per worker), which holds all of a small catalog's images but "
        "only a sample of a large one's"
    )
    notes.append(
        "catalog: 20 categories (2 per image), 1 artist per 20 images, 1 character per 50 "
        f"images; fill seconds {fill_seconds}; VACUUM ANALYZE after each fill; one database "
        f"per size, all served at once and measured in turn; {WRK_DESC}"
    )
    headers = ["endpoint", "catalog", "items", "req/s", "p50 ms", "p99 ms", "p50 vs 10k"]
    return {
        "name": NAME,
        "title": "Catalog size (random selection and search)",
        "subtitle": f"bench/scale.py, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, "
        f"{os.cpu_count()} CPUs",
        "table": table(headers, rows),
        "targets": targets,
        "notes": notes,
        "figures": {
            "postgresql": {str(k): v for k, v in by_size.items()},
            "sqlite": {str(SQLITE_SIZE): sqlite_results},
            "uniformity": uniform,
            "fill_seconds": fill_seconds,
        },
    }


if __name__ == "__main__":
    emit(NAME, run())
