"""Races that must not break the rules: one registration key, one account."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import close_old_connections

from accounts.models import User
from nekosite.lib.errors import ApiError
from uploads import services
from uploads.models import RegistrationKey
from uploads.tests.conftest import PASSWORD


@pytest.mark.django_db(transaction=True)
def test_two_parallel_signups_cannot_share_one_key(settings: Any) -> None:
    settings.INVITE_ONLY = True
    (key,) = services.regkey_generate(created_by=None)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def signup(username: str) -> None:
        try:
            barrier.wait(timeout=10)
            services.user_signup(username=username, password=PASSWORD, regkey=key)
            outcomes.append("ok")
        except ApiError as exc:
            outcomes.append(str(exc.status))
        except Exception as exc:  # noqa: BLE001 - a lock timeout is also a refusal here
            outcomes.append(type(exc).__name__)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=signup, args=(f"racer{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes.count("ok") == 1, outcomes
    assert User.objects.count() == 1
    key_row = RegistrationKey.objects.get()
    assert key_row.used_by_username == User.objects.get().username


@pytest.mark.django_db
def test_redeeming_a_used_key_again_is_refused(owner: User, other_user: User) -> None:
    (key,) = services.regkey_generate(created_by=None)
    services.regkey_redeem(key=key, user=owner)
    with pytest.raises(ApiError) as refused:
        services.regkey_redeem(key=key, user=other_user)
    assert refused.value.status == 403
    assert RegistrationKey.objects.get().used_by == owner
