"""token_authenticate: only an active token of the right kind, of an active user, is accepted.
(Seed 002: 401 "The token provided is not a valid token." is built on this.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services
from accounts.models import Token, User

pytestmark = pytest.mark.django_db


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


def test_api_token_reads_the_bearer_header(issued: tuple[Token, str], rf: object) -> None:
    from accounts.authentication import api_token

    token, value = issued
    request = rf.get("/api/v1/token", HTTP_AUTHORIZATION=f"Bearer {value}")  # type: ignore[attr-defined]
    assert api_token(request) == (True, token)
    request = rf.get("/api/v1/token", HTTP_AUTHORIZATION="Bearer nope")  # type: ignore[attr-defined]
    assert api_token(request) == (True, None)
    assert api_token(rf.get("/api/v1/token")) == (False, None)  # type: ignore[attr-defined]
