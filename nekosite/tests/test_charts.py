from __future__ import annotations

import xml.etree.ElementTree as ET

from nekosite.lib.charts import bar_chart, column_chart


def test_bar_chart_is_valid_svg_with_one_bar_per_row_and_escaped_labels() -> None:
    svg = bar_chart([("sfw", 10), ("<script>", 3)], title="Images by rating")
    root = ET.fromstring(svg)
    rects = root.findall("{http://www.w3.org/2000/svg}rect")
    assert len(rects) == 2
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert root.get("role") == "img" and root.get("aria-label") == "Images by rating"


def test_bar_lengths_are_proportional_to_values() -> None:
    root = ET.fromstring(bar_chart([("a", 10), ("b", 5)], title="t"))
    widths = [float(r.get("width")) for r in root.iter("{http://www.w3.org/2000/svg}rect")]
    assert widths[0] == 2 * widths[1]


def test_empty_charts_say_no_data_and_do_not_divide_by_zero() -> None:
    assert "No data yet" in bar_chart([], title="t")
    ET.fromstring(column_chart([("2026-01-01", 0)], title="t"))
