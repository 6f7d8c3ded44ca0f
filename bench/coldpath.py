"""The cold path: catalog reads spread over the whole catalog, read cache on (issue 23).

Run: .venv/bin/python bench/coldpath.py     (BENCH_COLDPATH_SIZE=100000 for a quicker run)

Real bot traffic asks for random images and for ids all over the catalog, so the worker read
cache (nekosite/lib/readcache.py, on as shipped) rarely holds the rows: each request here is
drawn by a wrk Lua script (ids, offsets uniform over the catalog) and measured against the bare
JsonResponse view (bench/urls.py) serving a body of the same size, interleaved. Also: list pages
at deep offsets against shallow ones. On PostgreSQL with 1,000,000 images (the targets) and on
SQLite with 100,000 (no target).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a file (python bench/x.py): import from the checkout first, so `uploads` is the app and
# not bench/uploads.py, and the bench package is importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import os
import random
import time
from typing import Any

from bench.catalog_data import fill_pg, fill_sqlite, image_id
from bench.common import (
    OUT,
    WRK_DESC,
    Gunicorn,
    api_token,
    app_env,
    emit,
    get,
    log,
    pg_drop,
    pg_reset,
    prepare_app,
    query_counts,
    ratio,
    redis_flush,
    table,
    target,
    wrk_interleaved,
)

NAME = "coldpath"
DB = "nekosite_bench_coldpath_1m"
PG_SIZE = int(os.environ.get("BENCH_COLDPATH_SIZE", "1000000"))
SQLITE_SIZE = 100_000
# Ids the Lua script draws from: a uniform sample (with replacement) of the whole catalog, far
# more than the workers' read caches hold (READ_CACHE_ENTRIES, 5,000 rows each).
ID_SAMPLE = 200_000
# Offsets of the deep-vs-shallow runs are drawn from windows this wide, so that pages seldom
# repeat (a repeated page is served from the read cache; a worker keeps ~190 pages).
OFFSET_WINDOW = 10_000
WINDOWS = {"shallow": 0, "deep 50,000": 50_000, "deep 900,000": 900_000}

LUA_IDS = """
-- GET /api/v1/image/<id>, the id drawn uniformly from the file named by the first argument.
local ids = {}
local n = 0
function setup(thread) n = n + 1; thread:set("seed", n) end
function init(args)
  math.randomseed(os.time() * 1000 + seed)
  for line in io.lines(args[1]) do ids[#ids + 1] = line end
end
function request()
  return wrk.format(nil, "/api/v1/image/" .. ids[math.random(#ids)])
end
"""

LUA_OFFSETS = """
-- GET <path>&offset=<n>, n drawn uniformly from [first, last] (the arguments).
local n = 0
function setup(thread) n = n + 1; thread:set("seed", n) end
function init(args)
  math.randomseed(os.time() * 1000 + seed)
  path, first, last = args[1], tonumber(args[2]), tonumber(args[3])
end
function request()
  return wrk.format(nil, path .. "&offset=" .. math.random(first, last))
end
"""

# (key, label, target vs bare or None, path)
ENDPOINTS: list[tuple[str, str, float | None, str]] = [
    ("detail", "image by id, ids uniform over the catalog", 0.3, ""),
    ("random1", "random limit=1", 0.3, "/api/v1/image/random?limit=1"),
    ("random25", "random limit=25", 0.15, "/api/v1/image/random?limit=25"),
    ("random_cats", "random limit=25 categories=catgirl,maid", 0.12,
     "/api/v1/image/random?limit=25&categories=catgirl,maid"),
    ("list", "list limit=25, offset uniform over the catalog (token)", 0.15, ""),
]  # fmt: skip


def _scripts(size: int) -> tuple[str, str, Path]:
    """The two Lua scripts and the id file for a catalog of `size` images."""
    OUT.mkdir(parents=True, exist_ok=True)
    ids = OUT / f"coldpath-ids-{size}.txt"
    draw = random.Random(size)
    ids.write_text("".join(f"{image_id(draw.randrange(size))}\n" for _ in range(ID_SAMPLE)))
    by_id, by_offset = OUT / "coldpath-ids.lua", OUT / "coldpath-offsets.lua"
    by_id.write_text(LUA_IDS)
    by_offset.write_text(LUA_OFFSETS)
    return str(by_id), str(by_offset), ids


def measure(where: str, env: dict[str, str], size: int, notes: list[str]) -> dict[str, Any]:
    """Every endpoint against the bare view, then the offsets, on one catalog."""
    body_dir = OUT / f"bodies-coldpath-{where.split()[0].lower()}"
    body_dir.mkdir(parents=True, exist_ok=True)
    env = {**env, "BENCH_BODY_DIR": str(body_dir)}
    token = api_token(env, ["image:list"])
    auth = {"Authorization": f"Bearer {token}"}
    by_id, by_offset, ids = _scripts(size)
    list_path = "/api/v1/image?limit=25"
    sample_id = image_id(size // 3)
    probes = [
        (f"/api/v1/image/{sample_id}", {}),
        (f"/api/v1/image/{image_id(size // 3 + 1)}", {}),
        ("/api/v1/image/random?limit=1", {}),
        ("/api/v1/image/random?limit=25", {}),
        ("/api/v1/image/random?limit=25&categories=catgirl,maid", {}),
        (f"{list_path}&offset=0", auth),
        (f"{list_path}&offset={size // 2 + 7}", auth),
        (f"{list_path}&offset={size // 2 + 1007}", auth),
    ]
    counts = query_counts(env, probes)
    notes.append(
        f"{where}: SQL queries per request, in-process with the read cache on (status: first "
        "request, the same request again; a process's first request also reads the data "
        "versions, the token and what the cache keeps per catalog version: the highest slot, "
        "the categories and their matches, the list's anchors): "
        + "; ".join(
            f"`{path}` {c[0]}: {c[1]}, {c[2]}" for (path, _), c in zip(probes, counts, strict=True)
        )
    )
    found: dict[str, Any] = {}
    with Gunicorn(env) as app:
        for key, label, _, path in ENDPOINTS:
            script: list[str] | None = None
            headers: dict[str, str] = {}
            if key == "detail":
                sample = f"/api/v1/image/{sample_id}"
                script = [by_id, str(ids)]
            elif key == "list":
                sample, headers = f"{list_path}&offset={size // 2}", auth
                script = [by_offset, list_path, "0", str(size - 25)]
            else:
                sample = path
            status, body = get(app.url + sample, headers)
            if status != 200:
                notes.append(f"{where} {label}: {status} {body[:120]!r}; not measured")
                continue
            (body_dir / f"{key}.json").write_bytes(body)
            runs = {
                "real": (app.url + (path or "/"), headers),
                "bare": (f"{app.url}/bench/bare/{key}", {}),
            }
            measured = wrk_interleaved(runs, scripts={"real": script} if script else None)
            real, bare = measured["real"], measured["bare"]
            found[key] = {"real": real, "bare": bare, "bytes": len(body)}
            log(f"{where} {label}: {real['rps']} req/s vs bare {bare['rps']}")
            if real["non_2xx"] or real["socket_errors"]:
                notes.append(
                    f"{where} {label}: {real['non_2xx']} non-2xx answers, "
                    f"{real['socket_errors']} socket errors"
                )
        windows = {
            name: first
            for name, first in WINDOWS.items()
            if first == 0 or first + OFFSET_WINDOW <= size
        }
        runs = dict.fromkeys(windows, (app.url + "/", auth))
        scripts = {
            name: [by_offset, list_path, str(first), str(first + OFFSET_WINDOW - 1)]
            for name, first in windows.items()
        }
        found["offsets"] = wrk_interleaved(runs, scripts=scripts)
        for name, result in found["offsets"].items():
            log(f"{where} list at {name}: {result['rps']} req/s p50 {result['p50']} ms")
    return found


def _rows(where: str, found: dict[str, Any], with_targets: bool) -> list[list[Any]]:
    rows = []
    for key, label, goal, _ in ENDPOINTS:
        if key not in found:
            continue
        real, bare = found[key]["real"], found[key]["bare"]
        rows.append(
            [label, where, real["rps"], real["p50"], real["p99"], bare["rps"],
             ratio(real["rps"], bare["rps"]), f">= {goal}" if with_targets else "-"]
        )  # fmt: skip
    offsets = found.get("offsets", {})
    shallow = offsets.get("shallow")
    for name, result in offsets.items():
        first = WINDOWS[name]
        rows.append(
            [f"list limit=25, offset uniform in [{first:,}, {first + OFFSET_WINDOW:,})", where,
             result["rps"], result["p50"], result["p99"], "-",
             f"{ratio(shallow['rps'], result['rps'])} (shallow/this)" if shallow else "-",
             "<= 2 (shallow/this)" if name != "shallow" and with_targets else "-"]
        )  # fmt: skip
    return rows


def run() -> dict[str, Any]:
    notes: list[str] = []
    started = time.monotonic()
    pg_where = f"PostgreSQL {PG_SIZE:,}"
    env = app_env(pg_reset(DB))
    prepare_app(env)
    fill_started = time.monotonic()
    fill_pg(DB, 0, PG_SIZE)
    fill_pg_seconds = round(time.monotonic() - fill_started, 1)
    log(f"{pg_where}: filled in {fill_pg_seconds} s")
    redis_flush()
    pg = measure(pg_where, env, PG_SIZE, notes)
    pg_drop(DB)

    sqlite_where = f"SQLite {SQLITE_SIZE:,}"
    sqlite_path = OUT / f"bench-coldpath-{SQLITE_SIZE}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        sqlite_path.with_name(sqlite_path.name + suffix).unlink(missing_ok=True)
    sqlite_env = app_env(f"sqlite:///{sqlite_path}")
    prepare_app(sqlite_env)
    fill_sqlite(str(sqlite_path), 0, SQLITE_SIZE)
    redis_flush()
    sqlite = measure(sqlite_where, sqlite_env, SQLITE_SIZE, notes)
    sqlite_path.unlink(missing_ok=True)

    rows = _rows(pg_where, pg, True) + _rows(sqlite_where, sqlite, False)
    targets = []
    for key, label, goal, _ in ENDPOINTS:
        value = ratio(pg[key]["real"]["rps"], pg[key]["bare"]["rps"]) if key in pg else float("nan")
        targets.append(target(f"{label} at {PG_SIZE:,}, req/s vs bare", value, ">=", goal or 0))
    offsets = pg.get("offsets", {})
    for name in ("deep 50,000", "deep 900,000"):
        if name in offsets and "shallow" in offsets:
            value = ratio(offsets["shallow"]["rps"], offsets[name]["rps"])
            targets.append(
                target(f"list {name} offsets: shallow req/s / deep req/s", value, "<=", 2)
            )
    notes.append(
        f"read cache on (READ_CACHE_MS=1000, READ_CACHE_ENTRIES=5000 rows per worker, as "
        f"shipped); ids drawn by a wrk Lua script from {ID_SAMPLE:,} ids sampled uniformly from "
        "the catalog, offsets drawn uniformly by the script; the bare view answers a body of the "
        "size of one real answer; the deep/shallow runs draw offsets from windows "
        f"{OFFSET_WINDOW:,} wide (pages seldom repeat, so the read cache seldom holds them)"
    )
    notes.append(
        f"catalog: 20 categories (2 per image), 1 artist per 20 images, 1 character per 50 "
        f"images; PostgreSQL filled with plain SQL in {fill_pg_seconds} s, VACUUM ANALYZE "
        f"after; gunicorn 2 sync workers; {WRK_DESC}; total {time.monotonic() - started:.0f} s"
    )
    headers = [
        "endpoint", "catalog", "req/s", "p50 ms", "p99 ms", "bare req/s", "ratio vs bare",
        "target",
    ]  # fmt: skip
    return {
        "name": NAME,
        "title": "Cold path (reads spread over the catalog, read cache on)",
        "table": table(headers, rows),
        "targets": targets,
        "notes": notes,
        "figures": {"postgresql": pg, "sqlite": sqlite},
    }


if __name__ == "__main__":
    emit(NAME, run())
