"""How long a revoked credential keeps working, measured on two app servers (issue #17).

Each worker keeps tokens in its read cache and checks the database's change counters at most
every READ_CACHE_MS (1 s by default), so a revocation made on one app server (or in the admin,
or by a script) reaches the other workers within that time. README states this bound; these
tests measure it for every revocation path: while the revocation runs, one thread per app
server sends requests with the old credential, and the last one accepted must have been sent
less than READ_CACHE_MS after the revocation finished.

Why sent-time is the right measure: a request is handled after it is sent, and a worker that
accepts a stale token does so less than READ_CACHE_MS after its last check of the counters,
which was before the revocation committed; so any request accepted was sent less than
READ_CACHE_MS after the revocation answered. The machine's load cannot make this flaky.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.http import request, signup_and_token

BOUND_SECONDS = 1.0  # README: "within READ_CACHE_MS (1 s by default)"
WATCH_SECONDS = BOUND_SECONDS + 1.0
PASSWORD = "a long passphrase 42"


def _probe_filehost(token: str) -> Callable[[str], int]:
    def probe(base: str) -> int:
        return request("POST", f"{base}/api/token/valid", headers={"token": token}).status

    return probe


def _measure(app_urls: list[str], probe: Callable[[str], int], revoke: Callable[[], None]) -> float:
    """Seconds between the end of `revoke()` and the sending of the last accepted probe
    (negative when nothing was accepted after it)."""
    for _ in range(6):  # every worker of both servers has the credential in its cache
        assert {probe(url) for url in app_urls} == {200}
    results: list[tuple[float, int]] = []
    lock = threading.Lock()
    stop_at: list[float] = []
    started = threading.Barrier(len(app_urls) + 1)

    def hammer(url: str) -> None:
        started.wait()
        while not stop_at or time.monotonic() < stop_at[0]:
            sent = time.monotonic()
            status = probe(url)
            with lock:
                results.append((sent, status))

    threads = [threading.Thread(target=hammer, args=(url,)) for url in app_urls]
    for thread in threads:
        thread.start()
    started.wait()
    time.sleep(0.1)
    revoke()
    done = time.monotonic()
    stop_at.append(done + WATCH_SECONDS)
    for thread in threads:
        thread.join()
    statuses = {status for _, status in results}
    assert statuses <= {200, 401, 404, 403}, statuses
    accepted_after = [sent - done for sent, status in results if status == 200 and sent >= done]
    late = [status for sent, status in results if sent >= done + BOUND_SECONDS]
    assert late and 200 not in late, "the old credential still worked after the bound"
    window = max(accepted_after, default=-1.0)
    print(f"\nlast accepted {window:.3f} s after the revocation ({len(results)} probes)")
    return window


@pytest.fixture
def stack(stack_factory: Callable[..., Any]) -> Any:
    return stack_factory(READ_CACHE_MS="1000")


def test_a_regenerated_file_host_token_stops_working_within_a_second_everywhere(
    stack: Any,
) -> None:
    token = signup_and_token(stack.url, "regen1", PASSWORD)

    def revoke() -> None:
        reply = request("POST", f"{stack.url}/api/token/regen", headers={"token": token})
        assert reply.status == 200, reply.body

    window = _measure(stack.app_urls, _probe_filehost(token), revoke)
    assert window < BOUND_SECONDS, window


def test_a_deleted_users_token_stops_working_within_a_second_everywhere(stack: Any) -> None:
    token = signup_and_token(stack.url, "gone1", PASSWORD)

    def revoke() -> None:
        reply = request(
            "POST",
            f"{stack.url}/api/user/delete",
            headers={"username": "gone1", "password": PASSWORD},
        )
        assert reply.status == 200, reply.body

    window = _measure(stack.app_urls, _probe_filehost(token), revoke)
    assert window < BOUND_SECONDS, window


def test_a_disabled_users_token_stops_working_within_a_second_everywhere(stack: Any) -> None:
    from accounts.models import User
    from accounts.services import user_disable

    token = signup_and_token(stack.url, "off1", PASSWORD)
    window = _measure(
        stack.app_urls,
        _probe_filehost(token),
        lambda: user_disable(user=User.objects.get(username="off1")),
    )
    assert window < BOUND_SECONDS, window


def test_a_revoked_application_token_stops_working_within_a_second_everywhere(
    stack: Any,
) -> None:
    from accounts.models import User
    from accounts.services import application_approve, application_request, token_revoke

    owner = User.objects.create_user("appowner", password=PASSWORD)
    staff = User.objects.create_superuser("appstaff", password=PASSWORD)
    application = application_request(user=owner, name="bot", purpose="a bot", scopes=[])
    application_approve(application=application, scopes=[], expires_at=None, by=staff)
    from accounts.selectors import application_token
    from accounts.services import token_value

    token = application_token(application=application)
    assert token is not None
    auth = {"Authorization": f"Bearer {token_value(token=token)}"}

    def probe(base: str) -> int:
        return request("GET", f"{base}/api/v1/token", headers=auth).status

    window = _measure(stack.app_urls, probe, lambda: token_revoke(token=token))
    assert window < BOUND_SECONDS, window


def test_a_reset_password_stops_working_at_once_everywhere(stack: Any) -> None:
    """Seed 004: passreset changes the password, not the token. Passwords are never cached,
    so the old one is refused at once on every server."""
    signup_and_token(stack.url, "reset1", PASSWORD)
    old = {"username": "reset1", "password": PASSWORD}

    def probe(base: str) -> int:
        return request("POST", f"{base}/api/token/get", headers=old).status

    def revoke() -> None:
        reply = request(
            "POST",
            f"{stack.url}/api/user/passreset",
            headers={**old, "newpassword": "new pass 4321!"},
        )
        assert reply.status == 200, reply.body

    # Few probes: each wrong password counts towards the brute-force limit (429 is a refusal).
    for _ in range(2):
        assert {probe(url) for url in stack.app_urls} == {200}
    revoke()
    assert {probe(url) for url in stack.app_urls} <= {401, 429}
