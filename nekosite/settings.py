"""nekosite settings: the one place that reads the environment.

Every variable below is documented once, with its default, in README.md ("Settings") and in
.env.example. Nothing else in the code base reads os.environ.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, overload

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@overload
def env_int(name: str, default: int) -> int: ...
@overload
def env_int(name: str, default: None) -> int | None: ...
def env_int(name: str, default: int | None) -> int | None:
    value = os.environ.get(name, "").strip()
    if value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# --- Mode -------------------------------------------------------------------------------------
# PRODUCTION=true turns on the hardened mode: required secrets, HTTPS-only cookies, HSTS.
PRODUCTION = env_bool("PRODUCTION", False)
DEBUG = env_bool("DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when PRODUCTION is on.")

VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))


def _embedded_secret_key() -> str:
    """A key generated once into var/ so sessions and signed links survive restarts."""
    path = VAR_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    # O_EXCL: when two processes race, the loser reads the winner's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY is required when PRODUCTION is on.")
    SECRET_KEY = _embedded_secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required when PRODUCTION is on.")

# `make run HOST=… PORT=…` serves there (deploy/gunicorn.conf.py); links follow by default.
HOST = env_str("HOST", "127.0.0.1")
PORT = env_int("PORT", 8000)
SITE_URL = env_str("SITE_URL", f"http://{HOST}:{PORT}").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [SITE_URL])

# --- Applications -----------------------------------------------------------------------------
INSTALLED_APPS = [
    # Django's admin with nekosite's site: its header, and two-factor when ADMIN_2FA is on.
    "accounts.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_ratelimit",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "huey.contrib.djhuey",
    "nekosite",
    "accounts",
    "catalog",
    "uploads",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads a body: cuts bodies slower than 16 KB/s (408) and keeps a thread
    # free for requests without a body (nekosite/lib/slowbody.py). Acts only under gunicorn.
    "nekosite.lib.slowbody.SlowBodyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "nekosite.lib.errors.JsonErrorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): has this session entered a one-time code (staff two-factor).
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.ApiConventionsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# bench/ swaps in a URL map with baseline views (bench/urls.py).
ROOT_URLCONF = env_str("ROOT_URLCONF", "nekosite.urls")
WSGI_APPLICATION = "nekosite.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "nekosite.context_processors.site",
            ],
        },
    },
]

# --- Database and cache -----------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if PRODUCTION and not DATABASE_URL:
    raise ImproperlyConfigured("DATABASE_URL is required when PRODUCTION is on.")
DB_STATEMENT_TIMEOUT_MS = env_int("DB_STATEMENT_TIMEOUT_MS", 15000)
DB_CONNECT_TIMEOUT = env_int("DB_CONNECT_TIMEOUT", 5)
DATABASES: dict[str, Any] = {
    "default": dj_database_url.parse(
        DATABASE_URL or f"sqlite:///{VAR_DIR / 'nekosite.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60) or 0,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "connect_timeout": DB_CONNECT_TIMEOUT,
            "options": f"-c statement_timeout={DB_STATEMENT_TIMEOUT_MS}",
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL lets gunicorn's workers read while one writes.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache that acts as an empty cache while Redis is unreachable
            # (nekosite/lib/cache.py): a Redis outage degrades, it does not make 500s.
            "BACKEND": "nekosite.lib.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "nekosite"),
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    # The embedded default: Django's database cache in its own SQLite file, shared by every
    # gunicorn worker of this machine, so rate limits are exact and a lifted block is lifted
    # everywhere (nekosite/lib/cache.py SharedDatabaseCache; README "Rate limits"). Its own
    # file: cache writes never wait for the site's database, and may be lost at no cost.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["cache"] = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "cache.sqlite3",
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            # Each transaction takes the write lock when it begins: add/incr are atomic.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }
    CACHES = {
        "default": {
            "BACKEND": "nekosite.lib.cache.SharedDatabaseCache",
            "LOCATION": "nekosite_cache",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }
DATABASE_ROUTERS = ["nekosite.lib.cache.CacheDatabaseRouter"]

# The task queue (huey; nekosite/queue.py). With REDIS_URL it lives in Redis, where worker
# processes on any number of machines share it (deploy/systemd/nekosite-worker@.service);
# without, in a SQLite file under VAR_DIR that the worker `make run` starts beside gunicorn
# reads (deploy/gunicorn.conf.py, TASK_WORKER_IN_GUNICORN). TASKS_IMMEDIATE runs every task at
# once in the calling process (the unit tests; never in production).
TASK_WORKERS = env_int("TASK_WORKERS", 2) or 2
HUEY: dict[str, Any] = {
    "name": env_str("TASK_QUEUE_NAME", "nekosite"),
    "immediate": env_bool("TASKS_IMMEDIATE", False),
    "utc": True,
    "consumer": {
        "workers": TASK_WORKERS,
        "worker_type": "thread",
        "periodic": True,
        "check_worker_health": True,
        # The SQLite queue is polled: at most this long (s) between looks when it is idle.
        "max_delay": 1.0,
        # A worker killed while holding a periodic task's lock (huey's lock_task has no expiry
        # on SQLite) would block that task for good; a starting worker frees them. Several
        # workers may then run one periodic task twice, which each of them tolerates.
        "flush_locks": True,
    },
}
# Webhooks (webhooks/services.py): each attempt waits at most WEBHOOK_TIMEOUT_SECONDS; failed
# deliveries are retried after WEBHOOK_RETRY_BASE_SECONDS, doubling (at most an hour apart),
# until WEBHOOK_GIVE_UP_HOURS after the event; a webhook failing that long is disabled.
# WEBHOOK_ALLOW_PRIVATE_TARGETS lets webhooks reach loopback/private addresses and http://
# (tests, development only).
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10) or 10
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30) or 30
WEBHOOK_GIVE_UP_HOURS = env_int("WEBHOOK_GIVE_UP_HOURS", 24) or 24
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
# A row whose queued work (thumbnail, image colour) is still not done this many seconds after
# it was made is enqueued again by the sweeps (uploads/tasks.py, catalog/tasks.py): huey loses
# a task whose worker was killed while running it.
TASK_SWEEP_AFTER_SECONDS = env_int("TASK_SWEEP_AFTER_SECONDS", 900) or 900
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(VAR_DIR / "tasks.sqlite3")})
# django-ratelimit: W001 is about Django's own RedisCache, which is shared (ResilientRedisCache
# is one); E003 never fires, as neither cache is a per-process one.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]

# Per-process copies of catalog rows and tokens (nekosite/lib/readcache.py): a worker checks at
# most every READ_CACHE_MS whether another process changed them (0 turns the copies off).
READ_CACHE_MS = env_int("READ_CACHE_MS", 1000) or 0
READ_CACHE_ENTRIES = env_int("READ_CACHE_ENTRIES", 5000) or 0

# --- Passwords and sessions ---------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "catalog:gallery"

# Staff two-factor (README "Staff two-factor"): with ADMIN_2FA on, /admin/ wants a one-time code
# from an authenticator app (or a backup code) after the password, and sends staff without a
# device to enrolment (/accounts/2fa/).
ADMIN_2FA = env_bool("ADMIN_2FA", PRODUCTION)
OTP_TOTP_ISSUER = "nekosite"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_SSL_REDIRECT = PRODUCTION and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 31536000 if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    # nginx terminates TLS and says so in X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Client IP: REMOTE_ADDR unless the peer is one of these proxies (then X-Forwarded-For).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])

# --- Static files and storage -----------------------------------------------------------------
STATIC_URL = env_str("STATIC_URL", "/static/")
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]

MEDIA_ROOT = VAR_DIR / "media"
CATALOG_MEDIA_URL = env_str("CATALOG_MEDIA_URL", "/assets/")
UPLOAD_URL = env_str("UPLOAD_URL", "/u/")
# Absolute form of UPLOAD_URL, for the links the file-host API hands out.
UPLOAD_BASE_URL = UPLOAD_URL if "://" in UPLOAD_URL else f"{SITE_URL}{UPLOAD_URL}"
# Where the app itself serves uploads. With a separate upload origin (UPLOAD_URL absolute), nginx
# maps that origin's "/" onto this path (deploy/nginx/nekosite.conf).
UPLOAD_SERVE_PATH = UPLOAD_URL if UPLOAD_URL.startswith("/") else "/u/"
if "://" in UPLOAD_URL:
    # A password-protected file's page POSTs its form on the upload origin (uploads/views.py).
    _upload_origin = "/".join(UPLOAD_URL.split("/", 3)[:3])
    if _upload_origin not in CSRF_TRUSTED_ORIGINS:
        CSRF_TRUSTED_ORIGINS = [*CSRF_TRUSTED_ORIGINS, _upload_origin]
# Paths whose errors are the JSON envelope (both APIs, files, thumbnails); every other path gets
# the site's styled error page (nekosite/lib/errors.py).
JSON_ERROR_PATHS = ["/api/", "/healthz", UPLOAD_SERVE_PATH, CATALOG_MEDIA_URL, "/thumbs/"]

STORAGE_BACKEND = env_str("STORAGE_BACKEND", "local")
S3_BUCKET = env_str("S3_BUCKET")
S3_ENDPOINT_URL = env_str("S3_ENDPOINT_URL")
S3_ACCESS_KEY = env_str("S3_ACCESS_KEY")
S3_SECRET_KEY = env_str("S3_SECRET_KEY")
S3_REGION = env_str("S3_REGION", "us-east-1")
S3_PRESIGN_SECONDS = env_int("S3_PRESIGN_SECONDS", 300)


def _storage(location: str) -> dict:
    if STORAGE_BACKEND == "s3":
        if not S3_BUCKET:
            raise ImproperlyConfigured("S3_BUCKET is required when STORAGE_BACKEND=s3.")
        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": S3_BUCKET,
                "endpoint_url": S3_ENDPOINT_URL or None,
                "access_key": S3_ACCESS_KEY or None,
                "secret_key": S3_SECRET_KEY or None,
                "region_name": S3_REGION,
                "signature_version": "s3v4",
                "location": location,
                "file_overwrite": False,
                "default_acl": None,
                "querystring_expire": S3_PRESIGN_SECONDS,
                "client_config": _s3_client_config(),
            },
        }
    if STORAGE_BACKEND != "local":
        raise ImproperlyConfigured("STORAGE_BACKEND must be 'local' or 's3'.")
    return {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT / location), "base_url": None},
    }


def _s3_client_config() -> Any:
    from botocore.config import Config

    # signature_version must live here too: a client_config replaces django-storages' own.
    return Config(
        signature_version="s3v4",
        connect_timeout=5,
        read_timeout=30,
        retries={"max_attempts": 2},
    )


STORAGES = {
    "default": _storage("default"),
    "catalog": _storage("catalog"),
    "uploads": _storage("uploads"),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if env_bool("PLAIN_STATICFILES", False):
    # The test suite has no collectstatic step.
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

# How files reach the client: "django" streams them, "x-accel" hands them to nginx,
# "s3-redirect" answers with a short-lived presigned URL (S3 only).
FILE_SERVING = env_str("FILE_SERVING", "django")
X_ACCEL_PREFIX = env_str("X_ACCEL_PREFIX", "/_protected/")

# --- File host (seed 004) ---------------------------------------------------------------------
INVITE_ONLY = env_bool("INVITE_ONLY", False)
ADMIN_REGISTRATION = env_bool("ADMIN_REGISTRATION", False)
ADMIN_KEY = env_str("ADMIN_KEY")
MAX_UPLOAD_MB = env_int("MAX_UPLOAD_MB", 100)
UPLOAD_QUOTA_BYTES = env_int("UPLOAD_QUOTA_BYTES", None)
UPLOAD_QUOTA_FILES = env_int("UPLOAD_QUOTA_FILES", None)
# Seconds browsers and CDNs may keep an uploaded file: a deletion or take-down is complete
# once this has passed (uploads keep their name when deleted, so they are never "immutable").
UPLOAD_CACHE_SECONDS = env_int("UPLOAD_CACHE_SECONDS", 3600)
BLOCKED_UPLOAD_EXTENSIONS = [
    e.lower().lstrip(".") for e in env_list("BLOCKED_UPLOAD_EXTENSIONS", [])
]
# Uploads stream to a temporary file, never into memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 0
FILE_UPLOAD_TEMP_DIR = env_str("FILE_UPLOAD_TEMP_DIR") or None
# Resumable (tus) uploads not written to for this long are purged with their data (uploads/tus.py).
TUS_EXPIRY_SECONDS = env_int("TUS_EXPIRY_SECONDS", 86400)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.TemporaryFileUploadHandler"]

# --- Catalog API (seeds 001, 002) -------------------------------------------------------------
API_VERSION = "v1.4.2"
# Secret used to derive tokens from their stored nonce; defaults to SECRET_KEY, except that
# production wants its own value (system check nekosite.E003, nekosite/checks.py).
TOKEN_SECRET = env_str("TOKEN_SECRET") or SECRET_KEY
# Pillow refuses images with more pixels than this (decompression bombs).
MAX_IMAGE_PIXELS = env_int("MAX_IMAGE_PIXELS", 64_000_000)
# Dashboard thumbnails are made on request: an image that would decode to more pixels than
# this (after JPEG's reduced-scale decoding) gets a placeholder icon, and each process makes
# at most THUMBNAIL_CONCURRENCY thumbnails at once (others wait a second, then 503).
THUMBNAIL_MAX_PIXELS = env_int("THUMBNAIL_MAX_PIXELS", 16_000_000)
THUMBNAIL_CONCURRENCY = env_int("THUMBNAIL_CONCURRENCY", 2)
# Catalog images with more pixels than this (and every image of `import_images`) get their
# dominant colour and thumbnail from a task instead of inside the request; until then the API
# shows `color: null` (catalog/tasks.py).
IMAGE_INLINE_MAX_PIXELS = env_int("IMAGE_INLINE_MAX_PIXELS", 4_000_000)
# Two images whose perceptual hashes differ in at most this many bits (of 64) are near-duplicates:
# import_images skips them. 0..3, the range catalog.selectors.near_duplicates answers exactly.
PHASH_DUPLICATE_DISTANCE = env_int("PHASH_DUPLICATE_DISTANCE", 3)
if not 0 <= PHASH_DUPLICATE_DISTANCE <= 3:
    raise ImproperlyConfigured("PHASH_DUPLICATE_DISTANCE must be between 0 and 3.")
# A user with this many submissions waiting for review cannot submit more until staff decide
# (POST /api/v1/image and the dashboard's form): one account cannot flood the queue.
SUBMISSIONS_MAX_PENDING = env_int("SUBMISSIONS_MAX_PENDING", 50)

# --- Rate limits (seeds 000, 001, 003) --------------------------------------------------------
# Also django-ratelimit's switch: off, nothing is counted (API, forms, brute-force guard).
RATELIMIT_ENABLE = env_bool("RATELIMIT_ENABLE", True)
# django-ratelimit: a cache that cannot be reached lets requests through (logged by the API).
RATELIMIT_FAIL_OPEN = True
RATELIMIT_ANON_RATE = env_str("RATELIMIT_ANON_RATE", "1/s")
RATELIMIT_TOKEN_RATE = env_str("RATELIMIT_TOKEN_RATE", "5/s")
RATELIMIT_AUTH_RATE = env_str("RATELIMIT_AUTH_RATE", "10/m")
RATELIMIT_UPLOAD_RATE = env_str("RATELIMIT_UPLOAD_RATE", "2/s")
RATELIMIT_MAX_DELAY_MS = env_int("RATELIMIT_MAX_DELAY_MS", 200)
RATELIMIT_BLOCK_AFTER = env_int("RATELIMIT_BLOCK_AFTER", 10)
RATELIMIT_BLOCK_SECONDS = env_int("RATELIMIT_BLOCK_SECONDS", 3600)
# Seed 000's queue: at most this many requests of one client wait for the next window at once.
RATELIMIT_MAX_WAITING = env_int("RATELIMIT_MAX_WAITING", 2) or 0
# Seed 003: /api/ requests without a User-Agent get 400 (the test suite turns this off).
REQUIRE_USER_AGENT = env_bool("REQUIRE_USER_AGENT", True)

# --- DRF and OpenAPI --------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "nekosite.lib.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "nekosite API",
    "DESCRIPTION": "Nekos API v1 catalog (/api/v1/) and nekos.cafe file host (/api/).",
    "VERSION": API_VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # /api/v1 patterns write their leading slash as (?:/); restore it in the schema's paths.
    "PREPROCESSING_HOOKS": ["catalog.api.schema.v1_paths_hook"],
    # Rate-limit headers on every /api/ answer, Retry-After on 429 (kept: the enum hook).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "nekosite.lib.openapi.api_response_headers_hook",
    ],
}

# --- Misc -------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "nekosite.lib.jsonlog.JsonFormatter"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": env_str("LOG_FORMAT", "json" if PRODUCTION else "line"),
        }
    },
    "root": {"handlers": ["stdout"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
