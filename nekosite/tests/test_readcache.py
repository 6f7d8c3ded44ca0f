"""The per-process read cache (nekosite/lib/readcache.py) and the version triggers behind it.

Runs on SQLite and, in CI, on PostgreSQL: both trigger dialects are exercised.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.db.models import F, Sum
from django.test import Client, override_settings

from accounts.models import User
from accounts.services import token_revoke
from catalog import services
from catalog.models import Category, CategorySlot, Image
from catalog.tests.api.conftest import _issue, assert_error, assert_success, bearer
from catalog.tests.factories import make_artist, make_category, make_image
from nekosite.lib import readcache, versiontriggers
from nekosite.models import DataVersion

pytestmark = pytest.mark.django_db
NOT_VALID = "The token provided is not a valid token."


@pytest.fixture
def owner() -> User:
    return User.objects.create_user("owner", "owner@example.com", "a long password 123")


def version(family: str) -> int:
    """What the read caches compare: the sum of the family's counters (one per stripe)."""
    return DataVersion.objects.filter(name=family).aggregate(total=Sum("version"))["total"] or 0


def raw_sql(sql: str, params: list[Any]) -> None:
    """A write that sends no Django signal, as another process's write looks to this one."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# --- the triggers -------------------------------------------------------------------------------


def test_triggers_bump_the_catalog_version_on_every_kind_of_write() -> None:
    before = version("catalog")
    image = make_image(categories=[make_category(name="maid")])
    after_insert = version("catalog")
    assert after_insert > before

    Image.objects.filter(pk=image.pk).update(nsfw="questionable")
    after_update = version("catalog")
    assert after_update > after_insert

    raw_sql("UPDATE catalog_category SET description = %s", ["changed behind the ORM"])
    after_raw = version("catalog")
    assert after_raw > after_update

    Image.categories.through.objects.all().delete()
    after_unlink = version("catalog")
    assert after_unlink > after_raw

    Category.objects.bulk_create([Category(name="bulk")])
    assert version("catalog") > after_unlink


def test_token_and_user_writes_bump_the_tokens_version_not_the_catalog(owner) -> None:
    catalog_before, tokens_before = version("catalog"), version("tokens")
    _issue(owner, [])
    owner.first_name = "Renamed"
    owner.save()
    assert version("tokens") >= tokens_before + 2
    assert version("catalog") == catalog_before


def test_triggers_recreate_a_missing_version_row() -> None:
    DataVersion.objects.all().delete()
    make_artist()
    assert version("catalog") == 1


# --- what the API serves ------------------------------------------------------------------------


def test_repeated_image_request_is_served_without_queries(
    client: Client, django_assert_num_queries
) -> None:
    image = make_image()
    first = assert_success(client.get(f"/api/v1/image/{image.id}"))
    with django_assert_num_queries(0):
        assert assert_success(client.get(f"/api/v1/image/{image.id}")) == first


def test_orm_writes_in_this_process_are_seen_at_once(client: Client) -> None:
    maid = make_category(name="maid")
    image = make_image(nsfw="sfw")
    path = f"/api/v1/image/{image.id}"
    assert assert_success(client.get(path))["nsfw"] == "sfw"

    services.image_set_rating(images=Image.objects.filter(pk=image.pk), nsfw="nsfw")
    assert assert_success(client.get(path))["nsfw"] == "nsfw"

    services.image_add_category(images=Image.objects.filter(pk=image.pk), category=maid)
    assert [c["name"] for c in assert_success(client.get(path))["categories"]] == ["maid"]

    services.image_remove_category(images=Image.objects.filter(pk=image.pk), category=maid)
    assert assert_success(client.get(path))["categories"] == []

    maid.description = "Wears an apron."
    maid.save()
    assert assert_success(client.get(f"/api/v1/category/{maid.id}"))["description"] == (
        "Wears an apron."
    )

    services.image_delete(image=image)
    assert_error(client.get(path), 404, "Could not find image with the provided ID.")


def test_revoked_token_is_refused_at_once(client: Client, owner) -> None:
    value = _issue(owner, ["image:list"])
    assert_success(client.get("/api/v1/image", **bearer(value)))
    token = owner.tokens.get(kind="api")
    token_revoke(token=token)
    assert_error(
        client.get("/api/v1/image", **bearer(value)),
        401,
        "The token provided is not a valid token.",
    )


def test_deactivated_user_token_is_refused_at_once(client: Client, owner) -> None:
    value = _issue(owner, ["image:list"])
    assert_success(client.get("/api/v1/image", **bearer(value)))
    owner.is_active = False
    owner.save()
    assert_error(
        client.get("/api/v1/image", **bearer(value)),
        401,
        "The token provided is not a valid token.",
    )


@override_settings(READ_CACHE_MS=60_000)
def test_a_write_without_signals_is_seen_after_the_interval_only(client: Client) -> None:
    """Another process's write (here raw SQL, which sends no signal) reaches this worker when
    it next reads the versions: not before READ_CACHE_MS, and at once after."""
    image = make_image(nsfw="sfw")
    path = f"/api/v1/image/{image.id}"
    assert assert_success(client.get(path))["nsfw"] == "sfw"
    raw_sql("UPDATE catalog_image SET nsfw = %s WHERE id = %s", ["nsfw", image.id.hex])
    assert assert_success(client.get(path))["nsfw"] == "sfw"  # within the interval: old copy
    with override_settings(READ_CACHE_MS=1):
        time.sleep(0.01)
        assert assert_success(client.get(path))["nsfw"] == "nsfw"


@override_settings(READ_CACHE_MS=0)
def test_zero_turns_the_cache_off(client: Client, django_assert_num_queries) -> None:
    image = make_image()
    assert_success(client.get(f"/api/v1/image/{image.id}"))
    with django_assert_num_queries(1):  # the image with its relations, in one statement: every time
        assert_success(client.get(f"/api/v1/image/{image.id}"))


# --- ReadCache itself -----------------------------------------------------------------------------


def test_a_value_read_before_the_cache_was_emptied_is_not_stored() -> None:
    cache = readcache.ReadCache("test-family")
    stamp = cache.stamp()
    cache.clear()  # what another thread does when it notices a change mid-read
    cache.put(stamp, "key", "read before the change")
    assert cache.get("key") is None
    cache.put(cache.stamp(), "key", "fresh")
    assert cache.get("key") == "fresh"


@override_settings(READ_CACHE_ENTRIES=16)
def test_the_cache_keeps_at_most_read_cache_entries() -> None:
    cache = readcache.ReadCache("test-bounded")
    for number in range(100):
        cache.put(cache.stamp(), number, str(number))
    assert cache.get(99) == "99"
    assert cache.get(0) is None
    assert len(cache.get_many(range(100))) <= 16


def test_every_watched_table_has_its_version_trigger() -> None:
    """A migration that rebuilds a table on SQLite drops its triggers: the last nekosite
    migration must come after it (nekosite/lib/versiontriggers.py)."""
    expected = {
        name
        for _, table in versiontriggers.watched_tables(apps)
        for name in versiontriggers.trigger_names(table, connection.vendor)
    }
    assert len(expected) >= 10
    assert versiontriggers.installed(connection) == expected


def test_category_slot_writes_bump_the_catalog_version() -> None:
    image = make_image(categories=[make_category(name="maid")])
    before = version("catalog")
    CategorySlot.objects.filter(image=image).update(slot=F("slot"))
    assert version("catalog") > before


def test_update_triggers_cover_every_column_but_the_bookkeeping_ones() -> None:
    """A column added to accounts_user or accounts_token after the last trigger migration would
    be missing from its `UPDATE OF` list, and updates of it would go unseen: a migration must
    install the triggers again (nekosite/lib/versiontriggers.py)."""
    definitions = versiontriggers.trigger_definitions(connection)
    columns = versiontriggers.watched_update_columns(apps)
    assert set(columns) == set(versiontriggers.IGNORED_COLUMNS)
    for table, watched in columns.items():
        update_trigger = next(
            sql
            for name, sql in definitions.items()
            if name in versiontriggers.trigger_names(table, connection.vendor)
            and "UPDATE OF" in sql.upper()
        )
        match = re.search(r"UPDATE OF (.+?) (?:OR|ON) ", update_trigger, re.IGNORECASE)
        assert match is not None, update_trigger
        listed = {name.strip().strip('"`').lower() for name in match.group(1).split(",")}
        assert listed == set(watched), table
        assert not listed & versiontriggers.IGNORED_COLUMNS[table]
