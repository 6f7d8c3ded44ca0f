"""token_authenticate: only an active token of the right kind, of an active user, is accepted.
(Seed 002: 401 "The token provided is not a valid token." is built on this.)"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Sum
from django.test import Client, RequestFactory
from django.utils import timezone

from accounts import services, tokens
from accounts.models import Token, User
from nekosite.lib import readcache
from nekosite.models import DataVersion

pytestmark = pytest.mark.django_db


def version(family: str) -> int:
    """What the read caches compare: the sum of the family's counters (one per stripe)."""
    return DataVersion.objects.filter(name=family).aggregate(total=Sum("version"))["total"] or 0


@pytest.fixture
def issued(owner: User) -> tuple[Token, str]:
    return services.token_issue(user=owner, kind=Token.Kind.API, scopes=["image:list"])


def test_issued_api_token_is_100_alphanumeric_characters(issued: tuple[Token, str]) -> None:
    _, value = issued
    assert len(value) == 100 and value.isascii() and value.isalnum()


def test_valid_token_is_accepted(issued: tuple[Token, str]) -> None:
    token, value = issued
    assert services.token_authenticate(value=value, kind=Token.Kind.API) == token


@pytest.mark.parametrize("mangle", [lambda v: v[:-1] + ("a" if v[-1] != "a" else "b"), str.upper])
def test_wrong_token_is_refused(issued: tuple[Token, str], mangle: object) -> None:
    _, value = issued
    wrong = mangle(value)  # type: ignore[operator]
    if wrong != value:
        assert services.token_authenticate(value=wrong, kind=Token.Kind.API) is None


@pytest.mark.parametrize("value", ["", " ", "x" * 201, "Bearer", "\x00" * 100])
def test_garbage_is_refused(issued: tuple[Token, str], value: str) -> None:
    assert services.token_authenticate(value=value, kind=Token.Kind.API) is None


def test_token_of_the_other_kind_is_refused(issued: tuple[Token, str]) -> None:
    _, value = issued
    assert services.token_authenticate(value=value, kind=Token.Kind.FILEHOST) is None


def test_revoked_token_is_refused(issued: tuple[Token, str]) -> None:
    token, value = issued
    services.token_revoke(token=token)
    assert services.token_authenticate(value=value, kind=Token.Kind.API) is None


def test_expired_token_is_refused(owner: User) -> None:
    _, value = services.token_issue(
        user=owner, kind=Token.Kind.API, expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert services.token_authenticate(value=value, kind=Token.Kind.API) is None


def test_token_of_a_disabled_user_is_refused(owner: User, issued: tuple[Token, str]) -> None:
    _, value = issued
    services.user_disable(user=owner)
    assert services.token_authenticate(value=value, kind=Token.Kind.API) is None
    services.user_enable(user=owner)
    assert services.token_authenticate(value=value, kind=Token.Kind.API) is not None


def test_regenerated_token_replaces_the_old_one_at_once(issued: tuple[Token, str]) -> None:
    token, value = issued
    new_value = services.token_regenerate(token=token)
    assert services.token_authenticate(value=value, kind=Token.Kind.API) is None
    assert services.token_authenticate(value=new_value, kind=Token.Kind.API) == token


def test_api_token_reads_the_bearer_header(issued: tuple[Token, str], rf: RequestFactory) -> None:
    from accounts.authentication import api_token

    token, value = issued
    request = rf.get("/api/v1/token", HTTP_AUTHORIZATION=f"Bearer {value}")
    assert api_token(request) == (True, token)
    request = rf.get("/api/v1/token", HTTP_AUTHORIZATION="Bearer nope")
    assert api_token(request) == (True, None)
    assert api_token(rf.get("/api/v1/token")) == (False, None)


def _cached(value: str) -> Token | None:
    return services._token_cache.get((Token.Kind.API, tokens.digest(value)))


def test_logging_in_does_not_empty_the_token_cache(
    issued: tuple[Token, str], owner: User, client: Client
) -> None:
    """Django writes last_login on every log-in; that must not make every worker read every
    token again (the version triggers and the signal handler skip bookkeeping columns)."""
    _, value = issued
    services.token_authenticate(value=value, kind=Token.Kind.API)
    assert _cached(value) is not None
    before = version("tokens")

    client.force_login(owner)  # user_logged_in -> update_last_login

    owner.refresh_from_db()
    assert owner.last_login is not None
    assert version("tokens") == before
    readcache._versions.expire()  # as after READ_CACHE_MS: the counters are read again
    services._token_cache.stamp()
    assert _cached(value) is not None


def test_other_user_changes_still_empty_the_token_cache(
    issued: tuple[Token, str], owner: User
) -> None:
    _, value = issued
    services.token_authenticate(value=value, kind=Token.Kind.API)
    before = version("tokens")
    User.objects.filter(pk=owner.pk).update(is_active=False)  # no signal: the trigger alone
    assert version("tokens") > before
    readcache._versions.expire()  # as after READ_CACHE_MS: the counters are read again
    services._token_cache.stamp()
    assert _cached(value) is None
    assert services.token_authenticate(value=value, kind=Token.Kind.API) is None


def test_token_use_records_last_used_at_once_per_resolution(
    issued: tuple[Token, str],
    django_assert_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Written as the request's transaction commits (at once in autocommit), at most once per
    LAST_USED_RESOLUTION by each worker, without emptying any worker's token cache."""
    token, value = issued
    assert token.last_used_at is None
    before = version("tokens")
    with django_capture_on_commit_callbacks(execute=True):
        services.token_authenticate(value=value, kind=Token.Kind.API)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None and timezone.now() - first < timedelta(seconds=5)
    assert version("tokens") == before

    with django_assert_num_queries(0), django_capture_on_commit_callbacks() as callbacks:
        for _ in range(5):
            assert services.token_authenticate(value=value, kind=Token.Kind.API) is not None
    assert callbacks == []
    token.refresh_from_db()
    assert token.last_used_at == first


def test_last_used_at_is_written_again_after_the_resolution(
    issued: tuple[Token, str],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    token, value = issued
    with django_capture_on_commit_callbacks(execute=True):
        services.token_authenticate(value=value, kind=Token.Kind.API)
    long_ago = timezone.now() - services.LAST_USED_RESOLUTION - timedelta(seconds=1)
    Token.objects.filter(pk=token.pk).update(last_used_at=long_ago)
    seen = services._last_used_noted[token.digest]
    monkeypatch.setitem(
        services._last_used_noted,
        token.digest,
        seen - services.LAST_USED_RESOLUTION.total_seconds() - 1,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.token_authenticate(value=value, kind=Token.Kind.API)
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_at > long_ago
