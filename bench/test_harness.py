"""Checks of the benchmark harness itself (parsers, statistics). Not part of `make test`:
run with `.venv/bin/python -m pytest bench/test_harness.py -q`."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.catalog_data import CATEGORIES, category_pair, image_id
from bench.common import parse_wrk, table
from bench.scale import chi_square_p
from bench.uploads import dechunk

WRK_OUTPUT = """Running 1s test @ http://127.0.0.1:46071/nothing
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    26.67ms   62.04ms 330.77ms   88.62%
    Req/Sec     1.55k     1.16k    2.84k    40.00%
  Latency Distribution
     50%  554.00us
     75%   12.29ms
     90%  103.67ms
     99%    1.30s
  1547 requests in 1.01s, 705.80KB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 1547
Requests/sec:   1536.26
Transfer/sec:    700.90KB
"""


def test_wrk_output_is_parsed_in_milliseconds() -> None:
    result = parse_wrk(WRK_OUTPUT)
    assert result["rps"] == 1536.26
    assert result["p50"] == 0.554
    assert result["p99"] == 1300.0
    assert result["requests"] == 1547
    assert result["non_2xx"] == 1547
    assert result["socket_errors"] == 5
    assert round(result["bytes_per_s"]) == round(700.90 * 1024)


def test_chi_square_p_matches_tables() -> None:
    # Critical values from standard tables: chi2(999) at p=0.05 is 1073.64; chi2(1) at 0.05 is 3.84.
    assert abs(chi_square_p(1073.64, 999) - 0.05) < 0.001
    assert abs(chi_square_p(3.841, 1) - 0.05) < 0.01
    assert 0.45 < chi_square_p(999, 999) < 0.55


def test_dechunk() -> None:
    assert dechunk(b"4\r\nWiki\r\n6;x=y\r\npedia \r\n0\r\n\r\n") == b"Wikipedia "


def test_every_image_gets_two_distinct_categories() -> None:
    pairs = [category_pair(i) for i in range(4000)]
    assert all(a != b for a, b in pairs)
    assert {a for a, _ in pairs} | {b for _, b in pairs} == set(range(len(CATEGORIES)))
    assert str(image_id(7)) == "06b922f5-d3de-94b1-c611-869c6d80f060"


def test_table_renders_markdown() -> None:
    text = table(["a", "b"], [[1.5, "x"], [1234.0, True]])
    assert text.splitlines()[0] == "| a     | b   |"
    assert "1,234" in text and "yes" in text
