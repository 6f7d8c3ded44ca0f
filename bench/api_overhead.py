"""Catalog API overhead: real endpoints against a bare Django view serving the same bytes.

Run: .venv/bin/python bench/api_overhead.py

The bare view (bench/urls.py) goes through the same middleware and returns, as a constant, the
body the real endpoint produced, so the ratio is what the endpoint itself costs (query, auth,
serialisation). A textbook nested DRF ModelSerializer list is a second reference for the list.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a file (python bench/x.py): import from the checkout first, so `uploads` is the app and
# not bench/uploads.py, and the bench package is importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from typing import Any

from bench.catalog_data import fill_pg, image_id
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

NAME = "api_overhead"
DB = "nekosite_bench_api"
IMAGES = 1000


def run() -> dict[str, Any]:
    body_dir = OUT / "bodies"
    body_dir.mkdir(parents=True, exist_ok=True)
    env = app_env(pg_reset(DB), BENCH_BODY_DIR=str(body_dir))
    redis_flush()
    prepare_app(env)
    fill_pg(DB, 0, IMAGES)
    token = api_token(env, ["image:list"])
    log(f"api token with scope image:list: {token}")
    auth = {"Authorization": f"Bearer {token}"}
    endpoints = [
        ("detail", "image detail", f"/api/v1/image/{image_id(7)}", {}),
        ("list", "image list limit=25 (token)", "/api/v1/image?limit=25", auth),
        ("random", "image random limit=25", "/api/v1/image/random?limit=25", {}),
        ("category", "category search=%ai%", "/api/v1/category?search=%25ai%25", {}),
    ]
    rows: list[list[Any]] = []
    figures: dict[str, Any] = {}
    notes: list[str] = []
    # Bounded SQL whatever the limit (PRODUCT.md): count queries at limit=1 and limit=25.
    probes = [
        (f"/api/v1/image/{image_id(7)}", {}),
        ("/api/v1/image?limit=1", auth),
        ("/api/v1/image?limit=25", auth),
        ("/api/v1/image/random?limit=1", {}),
        ("/api/v1/image/random?limit=25", {}),
        ("/api/v1/image/random?limit=25&categories=catgirl,maid", {}),
        ("/api/v1/category?search=%25ai%25", {}),
        ("/bench/naive/image?limit=25", {}),
    ]
    counts = query_counts(env, probes)
    paths = [path for path, _ in probes]
    figures["sql_queries"] = dict(zip(paths, counts, strict=True))
    notes.append(
        "SQL queries per request (status: first request, same request again): "
        + "; ".join(
            f"`{path}` {c[0]}: {c[1]}, {c[2]}" for path, c in zip(paths, counts, strict=True)
        )
    )
    naive_path = "/bench/naive/image?limit=25"
    with Gunicorn(env) as app:
        for key, label, path, headers in endpoints:
            status, body = get(app.url + path, headers)
            if status != 200:
                notes.append(f"{label}: GET {path} answered {status} {body[:120]!r}; not measured")
                rows.append([label, "-", "-", "-", "-", "-", "-", "-"])
                continue
            (body_dir / f"{key}.json").write_bytes(body)
            bare_status, bare_body = get(f"{app.url}/bench/bare/{key}")
            assert bare_status == 200 and len(bare_body) == len(body), "bare view is broken"
            log(f"{label}: {len(body)} bytes")
            runs = {
                "real": (app.url + path, headers),
                "bare": (f"{app.url}/bench/bare/{key}", {}),
            }
            naive_status, naive_body = get(app.url + naive_path)
            if key == "list" and naive_status == 200:
                # The naive reference runs interleaved with the list it is compared to.
                runs["naive"] = (app.url + naive_path, {})
            measured = wrk_interleaved(runs)
            real, bare = measured["real"], measured["bare"]
            figures[key] = {"real": real, "bare": bare, "bytes": len(body)}
            rows.append(
                [
                    label, len(body), real["rps"], real["p50"], real["p99"], bare["rps"],
                    bare["p50"], ratio(real["rps"], bare["rps"]),
                ]
            )  # fmt: skip
            if real["non_2xx"]:
                notes.append(f"{label}: {real['non_2xx']} non-2xx answers during the run")
            if "naive" in measured:
                naive = measured["naive"]
                figures["naive_list"] = {"real": naive, "bytes": len(naive_body)}
                rows.append(
                    [
                        "naive nested DRF list limit=25", len(naive_body), naive["rps"],
                        naive["p50"], naive["p99"], "-", "-", "-",
                    ]
                )  # fmt: skip
            elif key == "list":
                notes.append(f"naive list answered {naive_status}: {naive_body[:200]!r}")
    pg_drop(DB)

    def _ratio(key: str, base: str = "bare") -> float:
        if key not in figures:
            return float("nan")
        if base == "naive":
            if "naive_list" not in figures:
                return float("nan")
            return ratio(figures[key]["real"]["rps"], figures["naive_list"]["real"]["rps"])
        return ratio(figures[key]["real"]["rps"], figures[key]["bare"]["rps"])

    targets = [
        target("image detail req/s vs bare", _ratio("detail"), ">=", 0.6),
        target("25-image list req/s vs bare", _ratio("list"), ">=", 0.3),
        target("25-image list req/s vs naive DRF", _ratio("list", "naive"), ">=", 5.0),
    ]
    columns = [
        "endpoint", "bytes", "req/s", "p50 ms", "p99 ms", "bare req/s", "bare p50 ms",
        "ratio vs bare",
    ]  # fmt: skip
    notes.append(
        f"{IMAGES} images on PostgreSQL + Redis cache, gunicorn 2 sync workers, {WRK_DESC}; "
        "the bare view returns the same number of bytes as a constant."
    )
    return {
        "name": NAME,
        "title": "API overhead (catalog endpoints vs a bare Django view)",
        "table": table(columns, rows),
        "targets": targets,
        "notes": notes,
        "figures": figures,
    }


if __name__ == "__main__":
    emit(NAME, run())
