"""bench/latency.png: p50 latency against catalog size (from bench/out/scale.json), drawn with
Pillow alone.

Run: .venv/bin/python bench/plot.py   (after bench/scale.py)
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a file (python bench/x.py): import from the checkout first, so `uploads` is the app and
# not bench/uploads.py, and the bench package is importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import json
import math

from PIL import Image, ImageDraw, ImageFont

from bench.common import BENCH, OUT

SERIES = [
    ("random", "random limit=25", (214, 39, 40)),
    ("random_cats", "random limit=25, 2 categories", (255, 127, 14)),
    ("category_search", "category search %ai%", (31, 119, 180)),
    ("artist_search", "artist search %aguya%", (44, 160, 44)),
]
WIDTH, HEIGHT = 900, 560
LEFT, RIGHT, TOP, BOTTOM = 80, 260, 50, 70


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    for name in ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default()


def draw(data: dict[str, dict[str, dict[str, float]]], out: Path, subtitle: str = "") -> Path:
    """data: {size: {series_key: {"p50": ms}}} for PostgreSQL."""
    sizes = sorted(int(s) for s in data)
    points = {
        key: [(n, data[str(n)][key]["p50"]) for n in sizes if key in data[str(n)]]
        for key, _, _ in SERIES
    }
    values = [p for pts in points.values() for _, p in pts if p > 0] or [1.0]
    # Log scale on both axes: the series differ by orders of magnitude.
    y_low = 10 ** math.floor(math.log10(min(values)))
    y_high = 10 ** math.ceil(math.log10(max(values)))
    if y_high <= y_low:
        y_high = y_low * 10
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    pen = ImageDraw.Draw(image)
    font, small = _font(16), _font(13)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    low, high = math.log10(min(sizes)), math.log10(max(sizes))
    span = (high - low) or 1.0

    def xy(n: float, ms: float) -> tuple[float, float]:
        x = LEFT + (math.log10(n) - low) / span * plot_w
        fraction = (math.log10(max(ms, y_low)) - math.log10(y_low)) / (
            math.log10(y_high) - math.log10(y_low)
        )
        return x, TOP + plot_h - fraction * plot_h

    title = "p50 latency vs catalog size (PostgreSQL, wrk -c32, 2 gunicorn workers)"
    pen.text((LEFT, 12), title, fill="black", font=font)
    if subtitle:
        pen.text((LEFT, TOP - 18), subtitle, fill=(90, 90, 90), font=small)
    # Axes, grid and ticks.
    pen.rectangle((LEFT, TOP, LEFT + plot_w, TOP + plot_h), outline="black")
    decade = y_low
    while decade <= y_high:
        for step in (1, 2, 5):
            ms = decade * step
            if ms > y_high:
                break
            _, y = xy(sizes[0], ms)
            pen.line(
                (LEFT, y, LEFT + plot_w, y), fill=(200, 200, 200) if step == 1 else (235, 235, 235)
            )
            pen.text((LEFT - 8, y), f"{ms:g}", fill="black", font=small, anchor="rm")
        decade *= 10
    for n in sizes:
        x, _ = xy(n, 0)
        pen.line((x, TOP, x, TOP + plot_h), fill=(225, 225, 225))
        label = f"{n // 1000:,}k" if n < 1_000_000 else f"{n / 1_000_000:g}M"
        pen.text((x, TOP + plot_h + 8), label, fill="black", font=small, anchor="mt")
    pen.text(
        (LEFT + plot_w / 2, HEIGHT - 24), "images in the catalog (log scale)", fill="black",
        font=small, anchor="mm",
    )  # fmt: skip
    pen.text((LEFT - 8, TOP - 36), "ms", fill="black", font=small, anchor="rm")
    # Series and legend.
    for index, (key, label, colour) in enumerate(SERIES):
        pts = [xy(n, ms) for n, ms in points[key]]
        if len(pts) > 1:
            pen.line(pts, fill=colour, width=3)
        for x, y in pts:
            pen.ellipse((x - 4, y - 4, x + 4, y + 4), fill=colour)
        ly = TOP + 10 + index * 24
        lx = LEFT + plot_w + 16
        pen.line((lx, ly + 8, lx + 24, ly + 8), fill=colour, width=3)
        pen.text((lx + 32, ly), label, fill="black", font=small)
    image.save(out, optimize=True)
    return out


def main() -> int:
    source = OUT / "scale.json"
    if not source.exists():
        print("run bench/scale.py first", file=sys.stderr)
        return 1
    result = json.loads(source.read_text())
    data = result["figures"]["postgresql"]
    out = draw(data, BENCH / "latency.png", result.get("subtitle", ""))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
