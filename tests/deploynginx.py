"""deploy/nginx/nekosite.conf rewritten for loopback, without TLS — the only edits the
integration tests (tests/integration/conftest.py) and the traffic benchmark (bench/traffic.py)
make to the configuration they run: the site on http://127.0.0.1:port, the user-content origin on
http://localhost:port (another origin, as i.example.org is), upstream the given app servers."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY_NGINX = ROOT / "deploy" / "nginx" / "nekosite.conf"
NGINX_MAIN = """
user root;
worker_processes {workers};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections {connections}; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
{site}
}}
"""


def _replace(text: str, old: str, new: str, pattern: bool = False) -> str:
    """Replace, and fail loudly when deploy/nginx/nekosite.conf no longer has what we edit."""
    changed = re.sub(old, new, text, flags=re.DOTALL) if pattern else text.replace(old, new)
    assert changed != text, f"deploy/nginx/nekosite.conf no longer contains {old!r}"
    return changed


def deploy_nginx_conf(
    *,
    port: int,
    app_ports: list[int],
    var: Path,
    prefix: Path,
    workers: int = 1,
    connections: int = 256,
) -> str:
    """A whole nginx.conf (temp paths under `prefix`) serving the deploy/ site on loopback."""
    site = DEPLOY_NGINX.read_text()
    site = _replace(site, r"server \{\s*listen 80;.*?\n\}\n", "", pattern=True)
    site = _replace(site, "listen 443 ssl;", f"listen 127.0.0.1:{port};")
    site = _replace(site, r"\n\s*http2 on;", "", pattern=True)
    site = _replace(site, r"\n\s*ssl_certificate(_key)? [^\n]*", "", pattern=True)
    site = _replace(site, "i.example.org", "localhost")
    site = _replace(site, "example.org", "127.0.0.1")
    site = _replace(site, "/srv/nekosite/var", str(var))
    site = _replace(
        site,
        r"(\n\s*server 127\.0\.0\.1:\d+ [^\n]*)+",
        "".join(f"\n    server 127.0.0.1:{p} max_fails=3 fail_timeout=10s;" for p in app_ports),
        pattern=True,
    )
    return NGINX_MAIN.format(prefix=prefix, site=site, workers=workers, connections=connections)
