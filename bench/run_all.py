"""`make bench`: run every benchmark, draw bench/latency.png, rewrite the results in
bench/README.md. Every figure in that section comes from this command.

Each benchmark runs in its own process (its own settings and servers) and leaves its figures in
bench/out/<name>.json. Only benchmarks named on the command line run when any are given:
    .venv/bin/python bench/run_all.py scale plot
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a file (python bench/x.py): import from the checkout first, so `uploads` is the app and
# not bench/uploads.py, and the bench package is importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import json
import subprocess
import time
from datetime import UTC, datetime
from typing import Any

from bench.common import BENCH, OUT, PYTHON, ROOT, load_average, machine, table, targets_table

ORDER = [
    "ingest",
    "api_overhead",
    "ratelimit_cost",
    "burst",
    "scale",
    "coldpath",
    "uploads",
    "tus",
    "downloads",
    "phash",
    "writers",
    "traffic",
]
START = "<!-- results:start (rewritten by make bench; do not edit by hand) -->"
END = "<!-- results:end -->"


def run_one(name: str) -> tuple[dict[str, Any] | None, float, str]:
    load = load_average()
    result_path = OUT / f"{name}.json"
    result_path.unlink(missing_ok=True)
    started = time.monotonic()
    print(f"=== {name}", flush=True)
    done = subprocess.run([PYTHON, str(BENCH / f"{name}.py")], cwd=ROOT, timeout=1800)
    seconds = time.monotonic() - started
    if done.returncode != 0 or not result_path.exists():
        return None, seconds, f"exit status {done.returncode}"
    result = json.loads(result_path.read_text())
    result["load"] = f"{load} before, {load_average()} after"
    return result, seconds, ""


def render(
    results: list[tuple[str, dict[str, Any] | None, float, str]], env: dict[str, str]
) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        START,
        "",
        f"Measured {now} with `make bench` (`.venv/bin/python bench/run_all.py`), "
        f"total {sum(r[2] for r in results) / 60:.1f} min.",
        "",
        f"Machine: {env['nproc']} CPUs ({env['cpu']}), {env['ram_gb']} GB RAM; "
        f"Python {env['python']}, Django {env['django']}, DRF {env['drf']}, "
        f"Pillow {env['pillow']}, PostgreSQL {env['postgresql']}, {env['gunicorn']}, "
        f"{env['nginx']}, {env['wrk']}. Load generator and servers share the machine.",
        "",
        "### Targets",
        "",
    ]
    summary = []
    for name, result, _seconds, error in results:
        if result is None:
            summary.append([name, f"benchmark failed ({error})", "-", "-", "NO"])
            continue
        for t in result.get("targets", []):
            summary.append([name, t["target"], t["value"], t["goal"], t["met"]])
    lines += [table(["benchmark", "target", "measured", "goal", "met"], summary), ""]
    for name, result, seconds, error in results:
        if result is None:
            lines += [f"### {name}", "", f"Failed: {error} (see the make bench output).", ""]
            continue
        lines += [
            f"### {result['title']}",
            "",
            f"`bench/{name}.py`, {seconds:.0f} s; 1-min load average {result['load']}.",
            "",
        ]
        lines += [result["table"], ""]
        if result.get("targets"):
            lines += [targets_table(result["targets"]), ""]
        lines += [f"- {note}" for note in result.get("notes", [])]
        if name == "scale":
            lines += ["", "![p50 latency against catalog size](latency.png)"]
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    names = [n for n in argv if n in ORDER] or ORDER
    OUT.mkdir(parents=True, exist_ok=True)
    env = machine()
    results = []
    for name in names:
        result, seconds, error = run_one(name)
        results.append((name, result, seconds, error))
        print(f"=== {name}: {'ok' if result else 'FAILED ' + error} in {seconds:.0f} s", flush=True)
    if any(name == "scale" and result for name, result, _, _ in results):
        subprocess.run([PYTHON, str(BENCH / "plot.py")], cwd=ROOT, check=False)
    if names != ORDER:
        print("(partial run: bench/README.md left untouched; run all to rewrite it)")
        return 0
    readme = BENCH / "README.md"
    text = readme.read_text()
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    readme.write_text(head + render(results, env) + tail)
    print(f"rewrote the results in {readme.relative_to(ROOT)}")
    return 0 if all(result for _, result, _, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
