"""gunicorn settings: the one configuration for `make run` and for production.

`make run` uses it as `gunicorn -c deploy/gunicorn.conf.py nekosite.wsgi:application` with HOST
and PORT from make; each systemd instance (deploy/systemd/nekosite@.service) sets GUNICORN_BIND.
Every value can be changed from the environment (README, "Settings"); the defaults are the
embedded default's: 2 workers x 4 threads. The slow-body guard (nekosite/lib/slowbody.py) keeps
one thread per worker free for requests without a body, so keep GUNICORN_THREADS >= 2.
"""

import os

bind = os.environ.get("GUNICORN_BIND") or (
    f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
)
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Long enough to write a MAX_UPLOAD_MB file to S3 from nginx's buffered body.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "300"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a leak can never grow without bound.
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"
# Only nginx on this host may say who the client is and which scheme it used.
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "127.0.0.1")
# Several app servers may run on one host (one systemd instance per port): no control socket.
control_socket_disable = True
# The same request limits as nginx (large_client_header_buffers 4 8k): a request line or a
# header up to 8 KB reaches Django, so a long query gets the app's JSON error, not gunicorn's
# HTML 414. 8190 is gunicorn's largest request line.
limit_request_line = 8190
limit_request_field_size = 8190
limit_request_fields = 100
