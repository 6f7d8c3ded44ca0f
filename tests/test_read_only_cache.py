"""Values shared through a worker's read cache cannot be changed (issue #18, item 8).

A row or token in nekosite.lib.readcache is shared by every request of the worker: a change
made for one request would leak into the others, so the cache hands out read-only copies and
the services that change a token fetch their own copy of the row.
"""

from __future__ import annotations

import pytest
from django.test import Client

from accounts import services
from accounts.models import Token, User
from catalog import selectors
from catalog.tests.factories import make_category, make_image
from nekosite.lib.readcache import ReadOnlyError

pytestmark = pytest.mark.django_db


def test_a_cached_catalog_row_cannot_be_mutated() -> None:
    image = make_image(categories=[make_category(name="Catgirl")])
    row = selectors.images_by_id([image.pk])[0]
    assert selectors.images_by_id([image.pk])[0] is row  # shared: the read cache's copy
    with pytest.raises(TypeError):
        row["_wire"] = {}
    with pytest.raises(ReadOnlyError):
        row["categories"].append({"name": "Leak"})
    with pytest.raises(TypeError):
        row["categories"][0]["name"] = "Leak"


def test_a_cached_token_cannot_be_mutated_or_saved() -> None:
    user = User.objects.create_user("reader", password="x-Long-passw0rd")
    _, value = services.token_issue(user=user, kind=Token.Kind.API)
    token = services.token_authenticate(value=value, kind=Token.Kind.API)
    assert token is not None
    assert services.token_authenticate(value=value, kind=Token.Kind.API) is token
    with pytest.raises(ReadOnlyError):
        token.nonce = "changed"
    with pytest.raises(ReadOnlyError):
        token.save()
    with pytest.raises(ReadOnlyError):
        token.user.is_active = False


def test_regenerating_a_cached_token_changes_the_row_not_the_shared_copy() -> None:
    user = User.objects.create_user("regen", password="x-Long-passw0rd")
    _, value = services.filehost_token_get_or_create(user=user)
    cached = services.token_authenticate(value=value, kind=Token.Kind.FILEHOST)
    assert cached is not None
    old_digest = cached.digest
    response = Client().post("/api/token/regen", HTTP_TOKEN=value)
    assert response.status_code == 200
    assert cached.digest == old_digest  # the shared copy was not touched
    assert Token.objects.get(pk=cached.pk).digest != old_digest
    assert services.token_authenticate(value=value, kind=Token.Kind.FILEHOST) is None
