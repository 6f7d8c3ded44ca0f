"""Rate limits and API conventions on every /api/ path (seeds 000, 001, 003).

Windows are aligned to the wall clock, so tests that need "the same window" use long periods
(per hour) or wait for a known point inside the current second.

Every rate-limit test runs on the suite's cache (this process's memory without REDIS_URL, Redis
with it), on the embedded default's shared database cache (nekosite.lib.cache.SharedDatabaseCache)
and on Redis (a private redis-server without REDIS_URL): django-ratelimit counts the same way
in all of them. tests/integration/test_ratelimit_processes.py runs them across real processes.
"""

from __future__ import annotations

import json
import math
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache, caches
from django.core.management import call_command
from django.db import connections
from django.test import Client

from accounts import services
from accounts.models import RateLimitBlock, Token, User
from nekosite.lib.cache import ResilientRedisCache, SharedDatabaseCache
from tests.servers import redis_server

# The shared database cache lives in its own database alias (no REDIS_URL).
HAS_CACHE_DB = "cache" in django_settings.DATABASES
pytestmark = pytest.mark.django_db(databases=["default", "cache"] if HAS_CACHE_DB else ["default"])

UA = "nekosite-tests/1.0 (tests@example.org)"


COUNTERS = ["configured"] if django_settings.REDIS_URL else ["configured", "database", "redis"]


@pytest.fixture(scope="session")
def private_redis() -> Iterator[str]:
    with redis_server() as url:
        if url is None:
            pytest.skip("redis-server is not installed")
        yield url


@pytest.fixture(params=COUNTERS)
def counters(request: pytest.FixtureRequest, settings: Any) -> str:
    """Where the counters live: "configured" (the suite's cache), "database" (the embedded
    default's) or "redis" (REDIS_URL's Redis, else a private redis-server)."""
    if request.param == "database":
        settings.CACHES = {
            "default": {
                "BACKEND": "nekosite.lib.cache.SharedDatabaseCache",
                "LOCATION": "nekosite_cache",
            }
        }
        # The test database was made while the suite's cache was set: make the table now.
        call_command("createcachetable", database="cache", verbosity=0)
        caches["default"].clear()
    if request.param == "redis" and not settings.REDIS_URL:
        url = request.getfixturevalue("private_redis")
        settings.CACHES = {
            "default": {
                "BACKEND": "nekosite.lib.cache.ResilientRedisCache",
                "LOCATION": url,
                "KEY_PREFIX": "nekosite",
                "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
            }
        }
        caches["default"].clear()
    return request.param


@pytest.fixture
def api(settings: Any, counters: str) -> Client:
    """Rate limits on, as in production, with rates that cannot roll over during a test."""
    settings.ROOT_URLCONF = "accounts.tests.urls_api"
    settings.RATELIMIT_ENABLE = True
    settings.REQUIRE_USER_AGENT = True
    settings.RATELIMIT_ANON_RATE = "2/h"
    settings.RATELIMIT_TOKEN_RATE = "4/h"
    settings.RATELIMIT_AUTH_RATE = "3/h"
    settings.RATELIMIT_UPLOAD_RATE = "5/h"
    settings.RATELIMIT_MAX_DELAY_MS = 0
    settings.RATELIMIT_BLOCK_AFTER = 10
    settings.RATELIMIT_BLOCK_SECONDS = 3600
    settings.TRUSTED_PROXIES = []
    return Client(HTTP_USER_AGENT=UA)


@pytest.fixture
def roomy_api(api: Client, settings: Any) -> Client:
    """For the header-convention tests: limits on, but far away."""
    settings.RATELIMIT_ANON_RATE = "100/h"
    return api


def _wait_for_fraction(low: float, high: float) -> None:
    """Sleep until the wall clock is between `low` and `high` within its current second."""
    while not (low <= time.time() % 1 < high):
        time.sleep(0.005)


def _api_token(user: User, **kwargs: Any) -> tuple[Token, str]:
    return services.token_issue(user=user, kind=Token.Kind.API, **kwargs)


# --- Headers (seed 003) -----------------------------------------------------------------------


def test_every_api_response_carries_the_ratelimit_headers(api: Client) -> None:
    before = int(time.time() * 1000)
    response = api.get("/api/test-ping")
    assert response.status_code == 200
    assert response["X-RateLimit-Limit"] == "2"
    assert response["X-RateLimit-Remaining"] == "1"
    assert response["X-RateLimit-Scope"] == "generic_get"
    # "X-RateLimit-Reset: The UNIX time (in milliseconds) when the ratelimit info will reset."
    reset = int(response["X-RateLimit-Reset"])
    assert before < reset <= before + 3601 * 1000
    assert reset % 1000 == 0
    assert api.get("/api/test-ping")["X-RateLimit-Remaining"] == "0"


def test_unknown_api_routes_carry_the_headers_too(api: Client) -> None:
    response = api.get("/api/no-such-endpoint")
    assert response.status_code == 404
    assert response.json()["success"] is False
    assert response["X-RateLimit-Scope"] == "generic_get"
    assert response["X-RateLimit-Remaining"] == "1"


@pytest.mark.parametrize(
    ("method", "path", "scope", "limit"),
    [
        # "**10/second** for any `GET` requests ... (`generic_get` scope)"
        ("get", "/api/test-ping", "generic_get", "2"),
        ("head", "/api/test-ping", "generic_get", "2"),
        # "**3/second** for any `POST`, `PATCH`, or `DELETE` requests (`generic_update` scope)"
        ("post", "/api/test-ping", "generic_update", "2"),
        ("delete", "/api/test-ping", "generic_update", "2"),
        ("post", "/api/token/get", "auth", "3"),
        ("post", "/api/token/get/", "auth", "3"),
        ("post", "/api/user/signup", "auth", "3"),
        ("post", "/api/admin/token/get", "auth", "3"),
        ("post", "/api/files/upload", "upload", "5"),
    ],
)
def test_scopes(api: Client, method: str, path: str, scope: str, limit: str) -> None:
    response = getattr(api, method)(path)
    assert response["X-RateLimit-Scope"] == scope
    assert response["X-RateLimit-Limit"] == limit


def test_get_and_update_scopes_are_counted_separately(api: Client) -> None:
    for _ in range(2):
        assert api.get("/api/test-ping").status_code == 200
    assert api.get("/api/test-ping").status_code == 429
    assert api.post("/api/test-ping").status_code == 200


def test_docs_schema_and_non_api_paths_are_not_limited(api: Client) -> None:
    for path in ("/api/schema/", "/api/docs/", "/healthz"):
        for _ in range(3):
            response = Client().get(path)  # no User-Agent either
            assert response.status_code != 429
            assert "X-RateLimit-Limit" not in response


def test_no_headers_and_no_limit_when_rate_limits_are_off(api: Client, settings: Any) -> None:
    settings.RATELIMIT_ENABLE = False
    for _ in range(5):
        response = api.get("/api/test-ping")
        assert response.status_code == 200
        assert "X-RateLimit-Limit" not in response


# --- 429 (seeds 001 and 003) ------------------------------------------------------------------


def test_over_the_limit_is_429_with_retry_after_and_the_seed_body(api: Client) -> None:
    api.get("/api/test-ping")
    api.get("/api/test-ping")
    response = api.get("/api/test-ping")
    assert response.status_code == 429
    body = response.json()
    # Seed 003: {"message": "429: too many requests", "retry_after": 19, ...} in our envelope.
    assert list(body) == ["code", "message", "retry_after", "success"]
    assert body["code"] == 429 and body["success"] is False
    assert body["message"] == "429: too many requests"
    assert isinstance(body["retry_after"], int) and 0 < body["retry_after"] <= 3601 * 1000
    # Seed 001: "You can use the Retry-After and the X-RateLimit-Reset header".
    retry_after = int(response["Retry-After"])
    assert retry_after >= 1
    assert retry_after == max(1, math.ceil(body["retry_after"] / 1000))
    assert response["X-RateLimit-Remaining"] == "0"
    assert response["Content-Type"] == "application/json"


def test_retry_after_is_at_least_one_second(api: Client, settings: Any) -> None:
    settings.RATELIMIT_ANON_RATE = "1/s"
    _wait_for_fraction(0.0, 0.5)
    api.get("/api/test-ping")
    response = api.get("/api/test-ping")
    assert response.status_code == 429
    assert response["Retry-After"] == "1"
    assert 0 < response.json()["retry_after"] <= 1000


# --- Tokens and overrides ---------------------------------------------------------------------


def test_token_holders_get_the_token_rate_keyed_by_token(api: Client, owner: User) -> None:
    _, value = _api_token(owner)
    auth: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {value}"}
    first = Client(HTTP_USER_AGENT=UA, REMOTE_ADDR="198.51.100.1")
    second = Client(HTTP_USER_AGENT=UA, REMOTE_ADDR="198.51.100.2")
    response = first.get("/api/v1/test-ping", **auth)
    assert response["X-RateLimit-Limit"] == "4"
    assert response["X-RateLimit-Remaining"] == "3"
    # Same token from another address: the same counter.
    assert second.get("/api/v1/test-ping", **auth)["X-RateLimit-Remaining"] == "2"
    # Anonymous from the first address: its own counter, the anonymous rate.
    anonymous = first.get("/api/v1/test-ping")
    assert anonymous["X-RateLimit-Limit"] == "2"
    assert anonymous["X-RateLimit-Remaining"] == "1"


@pytest.mark.parametrize(
    "bad", ["Bearer " + "x" * 100, "Bearer ", "Basic Zm9vOmJhcg==", "Bearer revoked"]
)
def test_invalid_token_counts_as_anonymous(api: Client, owner: User, bad: str) -> None:
    token, value = _api_token(owner)
    if bad == "Bearer revoked":
        services.token_revoke(token=token)
        bad = f"Bearer {value}"
    response = api.get("/api/v1/test-ping", HTTP_AUTHORIZATION=bad)
    assert response["X-RateLimit-Limit"] == "2"


def test_filehost_token_header_gets_the_token_rate(api: Client, owner: User) -> None:
    _, value = services.filehost_token_get_or_create(user=owner)
    response = api.post("/api/test-ping", HTTP_TOKEN=value)
    assert response["X-RateLimit-Limit"] == "4"
    assert response["X-RateLimit-Scope"] == "generic_update"
    # A catalog token is not a file-host token.
    _, api_value = _api_token(owner)
    assert api.post("/api/test-ping", HTTP_TOKEN=api_value)["X-RateLimit-Limit"] == "2"


def test_per_token_override_set_by_staff(
    api: Client, owner: User, staff_client: Client, settings: Any
) -> None:
    token, value = _api_token(owner)
    response = staff_client.post(
        f"/admin/accounts/token/{token.pk}/change/", {"rate_limit_override": "3"}
    )
    assert response.status_code == 302
    auth: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {value}"}
    _wait_for_fraction(0.0, 0.3)
    statuses = []
    for _ in range(4):
        response = api.get("/api/v1/test-ping", **auth)
        statuses.append(response.status_code)
        assert response["X-RateLimit-Limit"] == "3"
    assert statuses == [200, 200, 200, 429]


def test_cache_keys_never_contain_the_raw_token(api: Client, owner: User) -> None:
    _, value = _api_token(owner)
    _, filehost_value = services.filehost_token_get_or_create(user=owner)
    for _ in range(6):
        api.get("/api/v1/test-ping", HTTP_AUTHORIZATION=f"Bearer {value}")
        api.post("/api/test-ping", HTTP_TOKEN=filehost_value)
    keys = _cache_keys()
    assert keys, "the counters are in the cache"
    for key in keys:
        assert value not in key and filehost_value not in key


def _cache_keys() -> list[str]:
    if isinstance(caches["default"], SharedDatabaseCache):
        with connections["cache"].cursor() as cursor:
            cursor.execute("SELECT cache_key FROM nekosite_cache")
            return [row[0] for row in cursor.fetchall()]
    backend = cache._cache  # type: ignore[attr-defined]  # the real store, for inspection only
    if isinstance(backend, dict):  # LocMemCache
        return [str(key) for key in backend]
    client = backend.get_client()
    return [key.decode() for key in client.keys("*")]


# --- Bursts (seed 000) ------------------------------------------------------------------------


def test_short_burst_over_the_limit_is_delayed_not_refused(api: Client, settings: Any) -> None:
    """Seed 000: "Requests over the limit will be stored and placed in the lower priority queue
    and will be processed after the next worker becomes available.\""""
    settings.RATELIMIT_ANON_RATE = "1/s"
    settings.RATELIMIT_MAX_DELAY_MS = 500
    _wait_for_fraction(0.6, 0.7)
    assert api.get("/api/test-ping").status_code == 200
    started = time.monotonic()
    second = api.get("/api/test-ping")
    waited = time.monotonic() - started
    assert second.status_code == 200
    assert waited >= 0.2  # it waited for the next window instead of failing
    assert second["X-RateLimit-Remaining"] == "0"


def test_sustained_excess_is_refused(api: Client, settings: Any) -> None:
    """Seed 000: "Sustained requests that exceed global rate limit will be denied with status
    code 429.\""""
    settings.RATELIMIT_ANON_RATE = "1/s"
    settings.RATELIMIT_MAX_DELAY_MS = 200
    _wait_for_fraction(0.05, 0.3)
    assert api.get("/api/test-ping").status_code == 200
    assert api.get("/api/test-ping").status_code == 429  # the reset is > 200 ms away


# --- Blocks (seed 001) ------------------------------------------------------------------------


def test_ten_violations_block_the_client_for_an_hour_until_staff_lift_it(
    api: Client, settings: Any, staff_client: Client
) -> None:
    """Seed 001: "If you exceed the rate limit 10 times in the same hour, you'll get blocked
    for an hour.\""""
    violations = 0
    for _ in range(30):
        if api.get("/api/test-ping").status_code == 429:
            violations += 1
        if violations == 10:
            break
    assert violations == 10
    block = RateLimitBlock.objects.get()
    assert block.key == "ip:127.0.0.1" and block.violations == 10 and block.is_active()

    # Blocked: every scope, with the remaining block time in Retry-After / retry_after.
    for method in ("get", "post"):
        response = getattr(api, method)("/api/test-ping")
        assert response.status_code == 429
        assert 3590 <= int(response["Retry-After"]) <= 3600
        assert 3590 * 1000 <= response.json()["retry_after"] <= 3600 * 1000
        assert response.json()["message"] == "429: too many requests"
    # Requests while blocked do not add blocks.
    assert RateLimitBlock.objects.count() == 1

    # Staff see the block and lift it in the admin.
    page = staff_client.get("/admin/accounts/ratelimitblock/")
    assert b"ip:127.0.0.1" in page.content
    response = staff_client.post(
        "/admin/accounts/ratelimitblock/",
        {"action": "lift_selected", "_selected_action": [block.pk]},
    )
    assert response.status_code == 302
    block.refresh_from_db()
    assert block.lifted_at is not None and not block.is_active()
    assert api.post("/api/test-ping").status_code == 200  # fresh scope counter, no block


def test_a_block_is_per_client(api: Client, settings: Any) -> None:
    settings.RATELIMIT_BLOCK_AFTER = 2
    for _ in range(4):
        api.get("/api/test-ping")
    assert RateLimitBlock.objects.filter(key="ip:127.0.0.1").count() == 1
    other = Client(HTTP_USER_AGENT=UA, REMOTE_ADDR="192.0.2.44")
    assert other.get("/api/test-ping").status_code == 200


def test_tokens_are_blocked_by_token_not_by_address(
    api: Client, settings: Any, owner: User
) -> None:
    settings.RATELIMIT_BLOCK_AFTER = 2
    token, value = _api_token(owner)
    auth: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {value}"}
    for _ in range(6):
        api.get("/api/v1/test-ping", **auth)
    assert RateLimitBlock.objects.get().key == f"token:{token.pk}"
    assert api.get("/api/v1/test-ping", **auth).status_code == 429
    assert api.get("/api/v1/test-ping").status_code == 200


def test_lifting_through_the_service_clears_the_cached_block(api: Client, settings: Any) -> None:
    settings.RATELIMIT_BLOCK_AFTER = 1
    api.get("/api/test-ping")
    api.get("/api/test-ping")
    api.get("/api/test-ping")
    block = RateLimitBlock.objects.get()
    assert api.post("/api/test-ping").status_code == 429
    services.ratelimit_block_lift(block=block, by=None)
    assert api.post("/api/test-ping").status_code == 200


# --- Client IP (X-Forwarded-For) --------------------------------------------------------------


def test_spoofed_forwarded_for_changes_nothing_without_trusted_proxies(api: Client) -> None:
    for n in range(2):
        response = api.get("/api/test-ping", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        assert response.status_code == 200
    assert api.get("/api/test-ping", HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429


def test_behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client(
    api: Client, settings: Any
) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = Client(HTTP_USER_AGENT=UA, REMOTE_ADDR="10.0.0.2")
    # The client prepends fake hops; the proxy appends the address it saw (192.0.2.7).
    for fake in ("1.1.1.1", "2.2.2.2"):
        response = proxy.get("/api/test-ping", HTTP_X_FORWARDED_FOR=f"{fake}, 192.0.2.7")
        assert response.status_code == 200
    blocked = proxy.get("/api/test-ping", HTTP_X_FORWARDED_FOR="3.3.3.3, 192.0.2.7, 10.0.0.9")
    assert blocked.status_code == 429
    # Another real client behind the same proxy has its own counter.
    assert proxy.get("/api/test-ping", HTTP_X_FORWARDED_FOR="192.0.2.8").status_code == 200


# --- User-Agent (seed 003) --------------------------------------------------------------------


@pytest.mark.parametrize("agent", [None, "", "   "])
def test_api_requests_without_a_user_agent_are_400(roomy_api: Client, agent: str | None) -> None:
    """Seed 003: "The API requires the `User-Agent` header to be set to a non-empty string. Not
    doing so will return a `400 Bad Request` with a JSON body.\""""
    extra: dict[str, Any] = {} if agent is None else {"HTTP_USER_AGENT": agent}
    paths = ("/api/test-ping", "/api/v1/test-ping", "/api/no-such-endpoint")
    for n, path in enumerate(paths):
        response = Client(REMOTE_ADDR=f"192.0.2.{n + 1}", **extra).get(path)
        assert response.status_code == 400
        assert response.json() == {
            "code": 400,
            "message": "The API requires the User-Agent header to be set to a non-empty string.",
            "success": False,
        }


def test_user_agent_rule_can_be_switched_off(roomy_api: Client, settings: Any) -> None:
    settings.REQUIRE_USER_AGENT = False
    assert Client().get("/api/test-ping").status_code == 200


def test_pages_outside_the_api_need_no_user_agent(roomy_api: Client) -> None:
    assert Client().get("/accounts/login/").status_code == 200


# --- Content-Type (seed 003) ------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_json_body_without_json_content_type_is_415_on_the_catalog_api(
    roomy_api: Client, content_type: str
) -> None:
    """Seed 003: "Endpoints taking JSON bodies ... require the `Content-Type: application/json`
    header set.\""""
    for method in ("post", "put", "patch"):
        response = getattr(roomy_api, method)(
            "/api/v1/test-ping", data=json.dumps({"name": "x"}), content_type=content_type
        )
        assert response.status_code == 415
        body = response.json()
        assert body["code"] == 415 and body["success"] is False
        assert "Content-Type: application/json" in body["message"]


def test_json_body_with_json_content_type_passes(roomy_api: Client) -> None:
    response = roomy_api.post(
        "/api/v1/test-ping", data=json.dumps({"name": "x"}), content_type="application/json"
    )
    assert response.status_code == 200
    charset = roomy_api.post(
        "/api/v1/test-ping", data="[1]", content_type="application/json; charset=utf-8"
    )
    assert charset.status_code == 200


def test_non_json_bodies_and_the_file_host_api_are_left_alone(roomy_api: Client) -> None:
    assert roomy_api.post("/api/v1/test-ping", data={"a": "b"}).status_code == 200  # multipart
    assert (
        roomy_api.post("/api/v1/test-ping", data="a=b", content_type="text/plain").status_code
        == 200
    )
    # The file host takes headers and multipart bodies (seed 004): no 415 there.
    response = roomy_api.post("/api/test-ping", data='{"a": 1}', content_type="text/plain")
    assert response.status_code == 200


# --- A cache that cannot be reached ----------------------------------------------------------


@pytest.mark.parametrize(
    "backend",
    [
        # Guarded like every cache call (nekosite.lib.cache)...
        "nekosite.lib.cache.ResilientRedisCache",
        # ...and Django's own, which raises (django-ratelimit's RATELIMIT_FAIL_OPEN).
        "django.core.cache.backends.redis.RedisCache",
    ],
)
def test_api_is_served_when_the_shared_cache_is_down(
    api: Client, settings: Any, backend: str
) -> None:
    """An unreachable Redis must not turn every API request into a 500 (fail open, logged)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket is closed
    settings.CACHES = {
        "default": {
            "BACKEND": backend,
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    for _ in range(3):
        response = api.get("/api/test-ping")
        assert response.status_code == 200
        assert "X-RateLimit-Limit" not in response


def test_the_counter_cache_incr_keeps_djangos_contract(counters: str) -> None:
    """django-ratelimit counts with `add` then `incr`: incr of a missing key raises ValueError
    (and creates nothing), and incr keeps the key's expiry (the window's end)."""
    counter = caches["default"]
    with pytest.raises(ValueError):
        counter.incr("contract:missing")
    assert counter.get("contract:missing") is None
    assert counter.add("contract:count", 1, 30)
    assert [counter.incr("contract:count") for _ in range(3)] == [2, 3, 4]
    assert counter.incr("contract:count", 10) == 14
    if isinstance(counter, ResilientRedisCache):
        client = counter._cache.get_client(write=True)
        assert 0 < client.ttl(counter.make_key("contract:count")) <= 30
