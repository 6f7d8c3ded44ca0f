"""gunicorn settings for production (`gunicorn -c deploy/gunicorn.conf.py nekosite.wsgi`).

nginx buffers request bodies before they reach us (see deploy/nginx/nekosite.conf), so sync
workers never wait on a slow client; the timeout only has to cover storing a large upload.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# Long enough to write a MAX_UPLOAD_MB file to S3 from nginx's buffered body.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "300"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a leak can never grow without bound.
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "127.0.0.1")
# Several app servers run on one host (one systemd instance per port): no shared control socket.
control_socket_disable = True
# nginx passes request lines up to 8 KB (large_client_header_buffers); accept the same, so a
# long URI gets the app's JSON error instead of gunicorn's HTML 414.
limit_request_line = 8190
