"""Small server-side SVG charts (no JavaScript, no chart library, nothing from a CDN).

The SVG is built from escaped text only, so it is safe to put in a template with |safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = ("#6b3fd4", "#1e7a3c", "#b3261e", "#a05a00", "#0b6e99", "#7a2f6b")


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def bar_chart(
    data: Sequence[tuple[str, float]],
    *,
    title: str,
    width: int = 640,
    bar_height: int = 26,
    colors: Sequence[str] = PALETTE,
) -> str:
    """Horizontal bars with labels and values; accessible via <title> and role="img"."""
    label_width = 170
    height = max(1, len(data)) * (bar_height + 8) + 16
    top = _nice_max(max((value for _, value in data), default=0))
    plot_width = width - label_width - 60
    rows = []
    for index, (label, value) in enumerate(data):
        y = 8 + index * (bar_height + 8)
        bar = 0 if top == 0 else max(1 if value else 0, round(plot_width * value / top))
        color = colors[index % len(colors)]
        rows.append(
            f'<text x="{label_width - 8}" y="{y + bar_height * 0.68:.0f}" text-anchor="end">'
            f"{escape(str(label)[:28])}</text>"
            f'<rect x="{label_width}" y="{y}" width="{bar}" height="{bar_height}" rx="3" '
            f'fill="{color}"><title>{escape(str(label))}: {value:g}</title></rect>'
            f'<text x="{label_width + bar + 6}" y="{y + bar_height * 0.68:.0f}">{value:g}</text>'
        )
    if not data:
        rows.append(f'<text x="{label_width}" y="28">No data yet</text>')
    return (
        f'<svg class="chart" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg" '
        f'font-family="system-ui, sans-serif" font-size="14" fill="#1d1b22">'
        f"<title>{escape(title)}</title>{''.join(rows)}</svg>"
    )


def column_chart(
    data: Sequence[tuple[str, float]],
    *,
    title: str,
    width: int = 640,
    height: int = 220,
    color: str = PALETTE[0],
) -> str:
    """Vertical columns over time (e.g. uploads per day); every 5th label is printed."""
    left, bottom, top_pad = 36, 28, 12
    top = _nice_max(max((value for _, value in data), default=0))
    plot_height = height - bottom - top_pad
    slot = (width - left - 8) / max(1, len(data))
    parts = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 4}" y2="{height - bottom}" '
        f'stroke="#5b5766"/>',
        f'<text x="{left - 6}" y="{top_pad + 5}" text-anchor="end">{top:g}</text>',
        f'<text x="{left - 6}" y="{height - bottom}" text-anchor="end">0</text>',
    ]
    for index, (label, value) in enumerate(data):
        bar = 0 if top == 0 else plot_height * value / top
        x = left + index * slot + 1
        parts.append(
            f'<rect x="{x:.1f}" y="{height - bottom - bar:.1f}" width="{max(1.0, slot - 2):.1f}" '
            f'height="{bar:.1f}" fill="{color}">'
            f"<title>{escape(str(label))}: {value:g}</title></rect>"
        )
        if index % 5 == 0:
            parts.append(
                f'<text x="{x:.1f}" y="{height - 8}" font-size="11">{escape(str(label))}</text>'
            )
    return (
        f'<svg class="chart" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" width="100%" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="system-ui, sans-serif" '
        f'font-size="12" fill="#1d1b22"><title>{escape(title)}</title>{"".join(parts)}</svg>'
    )
