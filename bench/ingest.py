"""Ingest: metadata, dominant colour and thumbnail of big images, nekosite/lib against a naive
full-resolution computation, in-process (best of 3 runs each).

Run: .venv/bin/python bench/ingest.py
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a file (python bench/x.py): import from the checkout first, so `uploads` is the app and
# not bench/uploads.py, and the bench package is importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import functools
import hashlib
import io
import os
import random
import time
from collections.abc import Callable
from typing import Any

from bench.common import OUT, ROOT, app_env, emit, log, ratio, table, target

NAME = "ingest"
REPEAT = 3


def make_images() -> dict[str, Path]:
    """A 12-megapixel JPEG and a 4000x4000 PNG: noise (incompressible) plus shapes."""
    from PIL import Image, ImageDraw

    made = {}
    for label, size, fmt in (
        ("jpeg_12mp", (4000, 3000), "JPEG"),
        ("png_16mp", (4000, 4000), "PNG"),
    ):
        path = OUT / f"{label}.{fmt.lower()}"
        made[label] = path
        if path.exists():
            continue
        width, height = size
        noise = [Image.effect_noise(size, 40 + 10 * band) for band in range(3)]
        image = Image.merge("RGB", noise)
        draw = ImageDraw.Draw(image)
        rng = random.Random(7)
        for _ in range(60):
            x, y = rng.randrange(width), rng.randrange(height)
            w, h = rng.randrange(100, 1200), rng.randrange(100, 1200)
            colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            if rng.random() < 0.5:
                draw.ellipse((x, y, x + w, y + h), fill=colour)
            else:
                draw.rectangle((x, y, x + w, y + h), fill=colour)
        image.save(path, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return made


def best(fn: Callable[[], Any]) -> tuple[float, Any]:
    times = []
    value = None
    for _ in range(REPEAT):
        started = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - started)
    return min(times), value


# --- naive reference: everything at full resolution -------------------------------------------


def naive_meta(path: Path) -> dict[str, Any]:
    from PIL import Image

    data = path.read_bytes()  # whole file in memory
    etag = hashlib.sha256(data).hexdigest()
    image = Image.open(io.BytesIO(data))
    image.load()  # full decode just to learn the size
    return {"etag": etag, "size": len(data), "width": image.width, "height": image.height}


def naive_color(path: Path) -> str:
    from PIL import Image

    with Image.open(path) as image:
        rgb = image.convert("RGB")  # full-resolution decode
        quantized = rgb.quantize(colors=8, method=Image.Quantize.MEDIANCUT)
        counts = quantized.getcolors() or [(1, 0)]
        _, index = max(counts)
        palette = quantized.getpalette() or [0, 0, 0]
        red, green, blue = palette[index * 3 : index * 3 + 3]  # type: ignore[operator]  # ints
        return f"#{red:02x}{green:02x}{blue:02x}"


def naive_thumbnail(path: Path) -> bytes:
    from PIL import Image

    with Image.open(path) as image:
        rgb = image.convert("RGB")
        scale = 480 / max(rgb.size)
        small = rgb.resize(
            (round(rgb.width * scale), round(rgb.height * scale)), Image.Resampling.LANCZOS
        )
        out = io.BytesIO()
        small.save(out, format="WEBP", quality=80)
        return out.getvalue()


# --- nekosite/lib ------------------------------------------------------------------------------


def lib_functions() -> dict[str, Callable[[Path], Any]]:
    from nekosite.lib import imagemeta, thumbnails

    def color(path: Path) -> str:
        with path.open("rb") as handle, imagemeta.open_image(handle) as image:
            return imagemeta.dominant_color(
                imagemeta.downscaled_rgb(image, imagemeta.COLOR_SAMPLE_SIDE)
            )

    return {
        "meta": lambda path: imagemeta.read_image_meta(path),
        "color": color,
        "thumbnail": lambda path: thumbnails.make_thumbnail(path),
    }


def run() -> dict[str, Any]:
    os.environ.update(app_env(None))
    os.environ["DJANGO_SETTINGS_MODULE"] = "nekosite.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    images = make_images()
    notes: list[str] = []
    try:
        lib = lib_functions()
    except (ImportError, AttributeError) as exc:
        notes.append(f"nekosite/lib imagemeta/thumbnails not usable: {exc}")
        lib = {}
    naive = {"meta": naive_meta, "color": naive_color, "thumbnail": naive_thumbnail}
    rows = []
    figures: dict[str, Any] = {}
    targets = []
    for label, path in images.items():
        for step in ("meta", "color", "thumbnail"):
            naive_s, naive_value = best(functools.partial(naive[step], path))
            if step in lib:
                lib_s, lib_value = best(functools.partial(lib[step], path))
            else:
                lib_s, lib_value = float("nan"), None
            figures[f"{label}_{step}"] = {"lib_s": lib_s, "naive_s": naive_s}
            shown = lib_value if step == "color" else ""
            if step == "color":
                shown = f"{lib_value} (naive {naive_value})"
            rows.append(
                [f"{label} ({path.stat().st_size // 1024} KB)", step, lib_s * 1000,
                 naive_s * 1000, ratio(lib_s, naive_s), shown]
            )  # fmt: skip
            log(f"{label} {step}: lib {lib_s * 1000:.0f} ms, naive {naive_s * 1000:.0f} ms")
            if step == "color":
                targets.append(
                    target(f"{label} colour time vs naive", ratio(lib_s, naive_s), "<=", 0.1)
                )
    notes.append(
        "lib = nekosite.lib.imagemeta (read_image_meta: sha256 + verify + size + colour; colour: "
        "downscaled_rgb(64) + dominant_color) and nekosite.lib.thumbnails.make_thumbnail (480 px "
        "WebP); naive = full-resolution decode, quantize(8) and LANCZOS resize; best of "
        f"{REPEAT} runs, one process"
    )
    headers = ["image", "step", "lib ms", "naive ms", "lib/naive", "colour"]
    return {
        "name": NAME,
        "title": "Ingest (image metadata, dominant colour, thumbnail)",
        "table": table(headers, rows),
        "targets": targets,
        "notes": notes,
        "figures": figures,
    }


if __name__ == "__main__":
    emit(NAME, run())
