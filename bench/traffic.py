"""Bot-like traffic through the deploy/ stack: nginx, two app servers, PostgreSQL, Redis.

Run: .venv/bin/python bench/traffic.py
     BENCH_TRAFFIC_IMAGES=1000000 .venv/bin/python bench/traffic.py   # the 1M catalog

The mix (a wrk Lua script, bench/out/traffic.lua): 60% /api/v1/image/random with 0, 1 or 2
categories, 20% an image by id drawn uniformly from the catalog, 10% name searches (categories,
artists, characters), 10% list pages of 25 at a uniformly random offset. Every request comes
from one of 500 clients, each with its own API token (scope image:list) and its own address in
X-Forwarded-For; wrk connects from 127.0.0.1, which the app trusts as a proxy
(TRUSTED_PROXIES=127.0.0.1), so the app sees the 500 addresses, as it would see real clients'
behind a load balancer. Rate limits are on at their defaults (a token holder 5/s): the clients
take turns, so each sends well under that, and every refusal is counted.

The stack is deploy/nginx/nekosite.conf made to listen on loopback without TLS (as
tests/integration does; nothing else changed) in front of two gunicorn app servers started as
deploy/systemd/nekosite@.service starts them (deploy/gunicorn.conf.py: 2 workers x 4 threads
each). Throughput is the best req/s whose p99 stays within 50 ms over a sweep of connection
counts; the baseline is the same stack, clients and sweep serving bench/urls.py's bare view
(a constant body of the mix's mean size). One extra run at the chosen connection count is
sampled with py-spy (every app worker) and per-process CPU time, to say where the time goes.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a file (python bench/x.py): import from the checkout first, so `uploads` is the app and
# not bench/uploads.py, and the bench package is importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import time
from collections import Counter
from typing import Any

from bench.catalog_data import CATEGORIES, fill_pg, image_id
from bench.common import (
    OUT,
    ROOT,
    WRK_SECONDS,
    WRK_WARMUP_SECONDS,
    Gunicorn,
    app_env,
    children,
    drain,
    emit,
    free_port,
    get,
    log,
    parse_wrk,
    pg_drop,
    pg_reset,
    prepare_app,
    ratio,
    redis_flush,
    shell,
    table,
    target,
    wait_http,
)
from tests.deploynginx import deploy_nginx_conf

NAME = "traffic"
DB = "nekosite_bench_traffic_main"
IMAGES = int(os.environ.get("BENCH_TRAFFIC_IMAGES", "100000"))
CLIENTS = 500
P99_GOAL_MS = 50.0
CONNECTIONS = [1, 2, 4, 8, 16, 32]
REPS = 3  # runs per point of the sweep, interleaved; medians kept
SECONDS = max(2, WRK_SECONDS // REPS)  # per run
PROFILE_SECONDS = 8
IDS_IN_SCRIPT = 50_000  # ids drawn uniformly from the catalog, listed in the Lua script
SEARCHES = [
    "/api/v1/category?search=%25ai%25",
    "/api/v1/category?search=cat%25",
    "/api/v1/category?search=%25girl",
    "/api/v1/category?search=maid",
    "/api/v1/artist?search=%25aguya%25",
    "/api/v1/artist?search=kaguya%25",
    "/api/v1/artist?search=%25ab%25",
    "/api/v1/character?search=character%25",
    "/api/v1/character?search=%25ab%25",
    "/api/v1/character?search=%25f1%25",
]
USER_AGENT = "bench-bot/1.0"


# --- the stack -------------------------------------------------------------------------------


class DeployNginx:
    """nginx (temp prefix, foreground) running the deploy/ site configuration."""

    def __init__(self, app_ports: list[int], var: Path) -> None:
        self.port = free_port()
        self.prefix = OUT / f"nginx-traffic-{self.port}"
        self.app_ports, self.var = app_ports, var
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> DeployNginx:
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.prefix / sub).mkdir(parents=True, exist_ok=True)
        conf = self.prefix / "nginx.conf"
        conf.write_text(
            deploy_nginx_conf(
                port=self.port,
                app_ports=self.app_ports,
                var=self.var,
                prefix=self.prefix,
                workers=2,
                connections=1024,
            )
        )
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.proc = subprocess.Popen(
            [binary, "-c", str(conf), "-p", str(self.prefix), "-g", "daemon off;"]
        )
        try:
            wait_http(f"{self.url}/healthz", timeout=20)
            if self.proc.poll() is not None or get(f"{self.url}/healthz")[0] != 200:
                raise RuntimeError("nginx with deploy/nginx/nekosite.conf did not start")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.prefix, ignore_errors=True)


# --- clients and the mix -----------------------------------------------------------------------


def issue_tokens(env: dict[str, str]) -> list[str]:
    """CLIENTS API tokens (scope image:list), one user each, through the real service."""
    code = (
        "import json\n"
        "from accounts.models import User\n"
        "from accounts.services import token_issue\n"
        "values = []\n"
        f"for n in range({CLIENTS}):\n"
        "    user = User.objects.create_user(f'bot{n}', f'bot{n}@example.org')\n"
        "    values.append(token_issue(user=user, kind='api', scopes=['image:list'])[1])\n"
        "print(json.dumps(values))\n"
    )
    return json.loads(shell(env, code))


def _lua_list(values: list[str]) -> str:
    return "{" + ",".join(json.dumps(v) for v in values) + "}"


# What a script sends: the mix, the bare view, or one part of the mix alone (to see which part
# makes the mix's latency).
KINDS = {
    "mix": "the bot mix",
    "bare": "bare view (baseline)",
    "random0": "random, no category",
    "random1": "random, 1 category",
    "random2": "random, 2 categories",
    "id": "image by id",
    "search": "name search",
    "list": "list page of 25",
}


def write_script(tokens: list[str], kind: str) -> Path:
    """The wrk script: each request from the next of the clients (token and address), the
    path drawn from the mix (or the KINDS part alone)."""
    rng = random.Random(23)
    addresses = [f"198.18.{n // 250}.{n % 250 + 1}" for n in range(CLIENTS)]  # RFC 2544 range
    ids = [str(image_id(rng.randrange(IMAGES))) for _ in range(min(IDS_IN_SCRIPT, IMAGES))]
    script = f"""
local tokens = {_lua_list(tokens)}
local addresses = {_lua_list(addresses)}
local ids = {_lua_list(ids)}
local categories = {_lua_list(CATEGORIES)}
local searches = {_lua_list(SEARCHES)}
local images = {IMAGES}
local kind = "{kind}"
local next_thread = 0
local counter = 0

function setup(thread)
    thread:set("thread_number", next_thread)
    next_thread = next_thread + 1
end

function init(args)
    math.randomseed(os.time() * 1000 + thread_number)
    -- Threads start half the clients apart, so two never send for one client at once.
    counter = thread_number * math.floor(#tokens / 2)
end

local function categories_param(k)
    local first = math.random(#categories)
    if k == 1 then return categories[first] end
    local second = math.random(#categories - 1)
    if second >= first then second = second + 1 end
    return categories[first] .. "," .. categories[second]
end

local function random_path(k)
    if k == 0 then return "/api/v1/image/random" end
    return "/api/v1/image/random?categories=" .. categories_param(k)
end

local paths = {{
    random0 = function() return random_path(0) end,
    random1 = function() return random_path(1) end,
    random2 = function() return random_path(2) end,
    id = function() return "/api/v1/image/" .. ids[math.random(#ids)] end,
    search = function() return searches[math.random(#searches)] end,
    list = function()
        return "/api/v1/image?limit=25&offset=" .. math.random(0, images - 25)
    end,
    bare = function() return "/bench/bare/traffic" end,
}}

paths.mix = function()
    local r = math.random()
    if r < 0.6 then return random_path(math.random(0, 2))
    elseif r < 0.8 then return paths.id()
    elseif r < 0.9 then return paths.search() end
    return paths.list()
end

function request()
    counter = counter + 1
    local client = counter % #tokens + 1
    local path = paths[kind]()
    return wrk.format("GET", path, {{
        ["Authorization"] = "Bearer " .. tokens[client],
        ["X-Forwarded-For"] = addresses[client],
        ["User-Agent"] = "{USER_AGENT}",
    }})
end
"""
    path = OUT / f"traffic-{kind}.lua"
    path.write_text(script)
    return path


def mean_body_bytes(url: str, tokens: list[str], samples: int = 400) -> int:
    """The mix's mean response size, from `samples` requests as the script would send them."""
    rng = random.Random(5)
    sizes = []
    for n in range(samples):
        r = rng.random()
        if r < 0.6:
            k = rng.randrange(3)
            path = "/api/v1/image/random" + (
                "?categories=" + ",".join(rng.sample(CATEGORIES, k)) if k else ""
            )
        elif r < 0.8:
            path = f"/api/v1/image/{image_id(rng.randrange(IMAGES))}"
        elif r < 0.9:
            path = rng.choice(SEARCHES)
        else:
            path = f"/api/v1/image?limit=25&offset={rng.randrange(IMAGES - 25)}"
        client = n % CLIENTS
        status, body = get(
            url + path,
            {
                "Authorization": f"Bearer {tokens[client]}",
                "X-Forwarded-For": f"198.18.{client // 250}.{client % 250 + 1}",
            },
        )
        if status != 200:
            raise RuntimeError(f"GET {path} -> {status}: {body[:200]!r}")
        sizes.append(len(body))
    return round(sum(sizes) / len(sizes))


# --- measuring ---------------------------------------------------------------------------------


def run_wrk(url: str, script: Path, connections: int, seconds: int) -> dict[str, Any]:
    threads = min(2, connections)
    args = ["wrk", "--latency", "-t", str(threads), "-c", str(connections), "--timeout", "10s"]
    args += ["-s", str(script)]
    subprocess.run([*args, "-d", f"{WRK_WARMUP_SECONDS}s", url], capture_output=True, timeout=120)
    drain(url)
    done = subprocess.run(
        [*args, "-d", f"{seconds}s", url], capture_output=True, text=True, timeout=seconds + 120
    )
    drain(url)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr}")
    return parse_wrk(done.stdout)


def sweep(url: str, scripts: dict[str, Path]) -> dict[str, list[dict[str, Any]]]:
    """Every connection count for each script, REPS times in turn (mix, bare, mix, bare, ...):
    per point the median req/s, p50 and p99 (the machine is shared: one burst of outside load
    must not decide a point)."""
    points: dict[str, list[dict[str, Any]]] = {key: [] for key in scripts}
    for connections in CONNECTIONS:
        runs: dict[str, list[dict[str, Any]]] = {key: [] for key in scripts}
        for _ in range(REPS):
            for key, script in scripts.items():
                runs[key].append(run_wrk(url, script, connections, SECONDS))
        for key, results in runs.items():
            point = {
                "connections": connections,
                **{k: statistics.median(r[k] for r in results) for k in ("rps", "p50", "p99")},
                "non_2xx": sum(r["non_2xx"] + r["socket_errors"] for r in results),
            }
            points[key].append(point)
            log(
                f"{key} -c{connections}: {point['rps']:.0f} req/s p50 {point['p50']:.1f} "
                f"p99 {point['p99']:.1f} ms (medians of {REPS}), non-2xx {point['non_2xx']}"
            )
    return points


def parts(url: str, tokens: list[str], connections: int) -> dict[str, dict[str, Any]]:
    """Each part of the mix alone at `connections`: which one makes the mix's tail."""
    found = {}
    for kind in ("random0", "random1", "random2", "id", "search", "list"):
        found[kind] = run_wrk(url, write_script(tokens, kind), connections, SECONDS)
        log(f"{kind} -c{connections}: {found[kind]['rps']:.0f} req/s p99 {found[kind]['p99']:.1f}")
    return found


def best_within_goal(points: list[dict[str, Any]]) -> dict[str, Any] | None:
    fits = [p for p in points if p["p99"] <= P99_GOAL_MS]
    return max(fits, key=lambda p: p["rps"]) if fits else None


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def _processes() -> dict[int, str]:
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
    return {pid: cmd.decode(errors="replace") for pid, cmd in found.items()}


def _component(cmd: str, pid: int, app_pids: set[int], nginx_pids: set[int]) -> str | None:
    if pid in app_pids:
        return "gunicorn workers (Django)"
    if pid in nginx_pids:
        return "nginx"
    if cmd.startswith("postgres: ") and DB in cmd:
        return "PostgreSQL backends"
    if cmd.startswith("redis-server"):
        return "Redis"
    if cmd.startswith("wrk "):
        return "wrk (load generator)"
    return None


def profile(
    url: str, script: Path, connections: int, masters: list[int], nginx_pids: list[int]
) -> dict[str, Any]:
    """One more mix run at `connections`: CPU seconds per component (from /proc) and py-spy
    samples of every app worker (where the app's own time goes)."""
    spy = ROOT / ".venv" / "bin" / "py-spy"
    # Through the gunicorn masters: workers are recycled (max_requests) during a run.
    raw = [OUT / f"traffic-pyspy-{pid}.txt" for pid in masters]
    spies = []
    if spy.exists():
        errors = (OUT / "traffic-pyspy.log").open("ab")
        for pid, path in zip(masters, raw, strict=True):
            command = [str(spy), "record", "--nonblocking", "--subprocesses", "--format", "raw"]
            command += ["-r", "97", "-d", str(PROFILE_SECONDS), "-p", str(pid), "-o", str(path)]
            spies.append(subprocess.Popen(command, stdout=errors, stderr=errors))
    before = {pid: _cpu_ticks(pid) for pid in _processes()}
    started = time.monotonic()
    threads = str(min(2, connections))
    wrk_proc = subprocess.Popen(
        ["wrk", "-t", threads, "-c", str(connections), "-d", f"{PROFILE_SECONDS}s", "-s",
         str(script), url],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(PROFILE_SECONDS - 0.5)
    processes = _processes()  # wrk, nginx workers and backends all alive now
    after = {pid: _cpu_ticks(pid) for pid in processes}
    app_pids = [pid for master in masters for pid in children(master)]
    elapsed = time.monotonic() - started
    wrk_proc.wait()
    for proc in spies:
        proc.wait(timeout=60)
    drain(url)
    tick = os.sysconf("SC_CLK_TCK")
    cpu: dict[str, float] = {}
    app, front = set(app_pids), set(nginx_pids)
    for pid, cmd in processes.items():
        component = _component(cmd, pid, app, front)
        if component and pid in after:
            seconds = (after[pid] - before.get(pid, 0)) / tick / elapsed
            cpu[component] = cpu.get(component, 0.0) + seconds
    stacks: Counter[str] = Counter()
    for path in raw:
        if path.exists():
            for line in path.read_text().splitlines():
                stack, _, count = line.rpartition(" ")
                if stack and count.isdigit():
                    stacks[stack] += int(count)
            path.unlink()
    ordered = dict(sorted(cpu.items(), key=lambda kv: -kv[1]))
    return {"cpu": ordered, **summarise_stacks(stacks)}


# Where a sample's time goes, by the first frame (from the top of the stack) that matches.
_BUCKETS = [
    ("rate limiting (accounts.ratelimit, django-ratelimit, Redis)",
     r"django_ratelimit|accounts/ratelimit|nekosite/lib/cache|/redis/"),
    ("token look-up (accounts)", r"accounts/(authentication|services|tokens)\.py"),
    ("SQL (psycopg, Django's SQL compiler)", r"/psycopg/|django/db/models/sql/compiler"),
    ("catalog selectors (reads, read cache)", r"catalog/selectors\.py|nekosite/lib/readcache"),
    ("JSON rendering (catalog.api wire, orjson)", r"catalog/api/(wire|renderers)\.py"),
    ("DRF dispatch (views, parsing, permissions)", r"/rest_framework/"),
    ("Django middleware and URL resolving", r"django/(core/handlers|middleware|urls)/"),
    ("access log", r"gunicorn/glogging"),
    ("gunicorn (HTTP parsing, sockets)", r"/gunicorn/"),
]  # fmt: skip


# Innermost frames of a thread with nothing to do (gunicorn's thread pool and event loop).
_IDLE = r"concurrent/futures/thread\.py|selectors\.py|gunicorn/workers/gthread\.py|threading\.py"


def summarise_stacks(stacks: Counter[str]) -> dict[str, Any]:
    """Shares of the busy samples (idle threads left out) per bucket, and the top innermost
    frames."""
    busy: Counter[str] = Counter()
    for stack, count in stacks.items():
        if not re.search(_IDLE, stack.split(";")[-1]):
            busy[stack] += count
    total = sum(busy.values())
    if not total:
        return {"samples": 0, "idle_share": 0.0, "buckets": {}, "self": {}}
    buckets: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    for stack, count in busy.items():
        frames = stack.split(";")
        leaves[re.sub(r"\s*\(/.*?/site-packages/", " (", frames[-1])] += count
        for label, pattern in _BUCKETS:
            if any(re.search(pattern, frame) for frame in frames):
                buckets[label] += count
                break
        else:
            buckets["other"] += count
    return {
        "samples": total,
        "idle_share": round(1 - total / sum(stacks.values()), 3),
        "buckets": {k: round(v / total, 3) for k, v in buckets.most_common()},
        "self": {k: round(v / total, 3) for k, v in leaves.most_common(10)},
    }


def run() -> dict[str, Any]:
    env = app_env(
        pg_reset(DB),
        RATELIMIT_ENABLE="true",
        TRUSTED_PROXIES="127.0.0.1",
        BENCH_BODY_DIR=str(OUT / "bodies"),
    )
    (OUT / "bodies").mkdir(parents=True, exist_ok=True)
    (OUT / "bodies" / "traffic.json").write_bytes(b"{}")
    redis_flush()
    prepare_app(env)
    started = time.monotonic()
    fill_pg(DB, 0, IMAGES)
    fill_seconds = time.monotonic() - started
    tokens = issue_tokens(env)
    log(f"catalog of {IMAGES:,} images filled in {fill_seconds:.0f} s; {len(tokens)} tokens")
    servers = [Gunicorn(env, production_config=True), Gunicorn(env, production_config=True)]
    try:
        for server in servers:
            server.start()
        masters = [server.proc.pid for server in servers if server.proc is not None]
        with DeployNginx([s.port for s in servers], Path(env["VAR_DIR"])) as nginx:
            body_size = mean_body_bytes(nginx.url, tokens)
            pad = max(0, body_size - len('{"pad":""}'))
            (OUT / "bodies" / "traffic.json").write_text(json.dumps({"pad": "x" * pad}))
            redis_flush()  # the sizing requests' counters
            scripts = {kind: write_script(tokens, kind) for kind in ("mix", "bare")}
            points = sweep(nginx.url, scripts)
            best = {key: best_within_goal(p) for key, p in points.items()}
            chosen = best["mix"] or min(points["mix"], key=lambda p: p["p99"])
            alone = parts(nginx.url, tokens, chosen["connections"])
            assert nginx.proc is not None
            nginx_pids = [nginx.proc.pid, *children(nginx.proc.pid)]
            # Profiled where the mix peaks: what limits the throughput.
            peak = max(points["mix"], key=lambda p: p["rps"])["connections"]
            profiled = profile(nginx.url, scripts["mix"], peak, masters, nginx_pids)
            profiled["connections"] = peak
    finally:
        for server in servers:
            server.stop()
        pg_drop(DB)
    return report(points, best, alone, chosen["connections"], profiled, body_size, fill_seconds)


def report(
    points: dict[str, list[dict[str, Any]]],
    best: dict[str, dict[str, Any] | None],
    alone: dict[str, dict[str, Any]],
    connections: int,
    profiled: dict[str, Any],
    body_size: int,
    fill_seconds: float,
) -> dict[str, Any]:
    rows = []
    for key in ("mix", "bare"):
        for p in points[key]:
            rows.append([KINDS[key], p["connections"], p["rps"], p["p50"], p["p99"], p["non_2xx"],
                         "<-- best within p99 goal" if p is best[key] else ""])  # fmt: skip
    mix_rps = best["mix"]["rps"] if best["mix"] else float("nan")
    bare_rps = best["bare"]["rps"] if best["bare"] else float("nan")
    refused = sum(p["non_2xx"] for p in points["mix"])
    mix_peak = max(points["mix"], key=lambda p: p["rps"])
    bare_peak = max(points["bare"], key=lambda p: p["rps"])
    cpu = ", ".join(f"{k} {v:.2f}" for k, v in profiled["cpu"].items())
    buckets = ", ".join(f"{k} {v:.0%}" for k, v in profiled["buckets"].items())
    leaves = ", ".join(f"{k} {v:.1%}" for k, v in profiled["self"].items())
    summary = table(
        ["figure", "value"],
        [
            [f"bot mix req/s at p99 <= {P99_GOAL_MS:.0f} ms", mix_rps],
            [f"bare view req/s at p99 <= {P99_GOAL_MS:.0f} ms", bare_rps],
            ["bot mix / bare view", ratio(mix_rps, bare_rps)],
            ["bot mix peak req/s (any p99)", mix_peak["rps"]],
            ["bare view peak req/s (any p99)", bare_peak["rps"]],
            ["bot mix / bare view, peaks", ratio(mix_peak["rps"], bare_peak["rps"])],
            ["connections (mix, bare)",
             f"{(best['mix'] or {}).get('connections', '-')}, "
             f"{(best['bare'] or {}).get('connections', '-')}"],
        ],
    )  # fmt: skip
    sweep_table = table(["served", "connections", "req/s", "p50 ms", "p99 ms", "non-2xx", ""], rows)
    parts_table = table(
        ["part of the mix, alone", "connections", "req/s", "p50 ms", "p99 ms", "non-2xx"],
        [[KINDS[k], connections, r["rps"], r["p50"], r["p99"], r["non_2xx"]]
         for k, r in alone.items()],
    )  # fmt: skip
    return {
        "title": f"Bot-like traffic through the deploy/ stack ({IMAGES:,} images)",
        "table": summary + "\n\n" + sweep_table + "\n\n" + parts_table,
        "targets": [
            target(
                f"a connection count with mix p99 <= {P99_GOAL_MS:.0f} ms",
                float(best["mix"] is not None),
                ">=",
                1.0,
            ),
            target("mix requests refused (429) or failed at default limits", refused, "<=", 0),
        ],
        "figures": {"mix": best["mix"], "bare": best["bare"], "profile": profiled},
        "notes": [
            "mix: 60% /api/v1/image/random (0, 1 or 2 of the 20 categories, equally often), "
            "20% /api/v1/image/<id> (ids drawn uniformly from the catalog), 10% searches "
            "(category, artist and character names), 10% /api/v1/image?limit=25 at a uniformly "
            f"random offset; {CLIENTS} clients in turn, each with its own token (image:list) "
            "and X-Forwarded-For address",
            "stack: deploy/nginx/nekosite.conf on loopback without TLS (2 nginx workers), two "
            "app servers with deploy/gunicorn.conf.py (2 workers x 4 threads each, access log "
            "on), PostgreSQL, Redis (cache and rate-limit counters); rate limits on at their "
            "defaults (RATELIMIT_TOKEN_RATE 5/s per token: not raised, none refused), "
            "TRUSTED_PROXIES=127.0.0.1, read cache on (READ_CACHE_MS 1000, "
            "READ_CACHE_ENTRIES 5000 per worker)",
            f"baseline: bench/urls.py's bare view through the same stack and middleware, a "
            f"constant body of the mix's mean size ({body_size:,} bytes), same clients and "
            f"headers (not under /api/: no rate limit)",
            f"sweep: wrk -t2 with {', '.join(map(str, CONNECTIONS))} connections, {REPS} runs of "
            f"{SECONDS} s per point (each after a {WRK_WARMUP_SECONDS} s warm-up), mix and bare "
            f"in turn, medians kept; each "
            f"part of the mix then alone at the mix's connection count; catalog filled in "
            f"{fill_seconds:.0f} s (bench/catalog_data.py)",
            f"where the CPU goes during a {PROFILE_SECONDS} s mix run at "
            f"{profiled['connections']} connections (where the mix peaked) (CPU seconds per "
            f"second, of 2): {cpu}",
            f"py-spy, app workers ({profiled['samples']:,} samples of busy threads; "
            f"{profiled['idle_share']:.0%} of all samples were idle threads, left out), by the "
            f"first matching frame from the top of the stack: {buckets}",
            f"py-spy, innermost frames: {leaves}",
        ],
    }


def main() -> None:
    emit(NAME, run())


if __name__ == "__main__":
    main()
