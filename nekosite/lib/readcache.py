"""Per-process copies of hot rows, dropped as soon as their tables are known to have changed.

The catalog API reads the same few thousand images and tokens over and over; fetching them costs
two or three PostgreSQL round trips per request, ten times the rest of the request. Each worker
therefore keeps what it read in a `ReadCache` (a dict in its own memory, no network hop) per
family of tables ("catalog", "tokens").

Freshness comes from `nekosite.models.DataVersion`: database triggers bump a counter of the
family on every write to its tables, whoever writes (ORM, admin, bulk SQL, another server). A
worker reads the sum of each family's counters (one tiny query) at most every `READ_CACHE_MS`
milliseconds and empties a family's cache when its sum moved. The sum grows with every commit
and with nothing else (nekosite/lib/versiontriggers.py), so:

- another process's write is seen within READ_CACHE_MS (default 1000 ms);
- this process's own writes through the ORM are seen at once: model signals call
  `mark_changed`, which empties the family and forces the next read to check the counters;
- a value read from the database while a change was being noticed is never stored: `put` takes
  the stamp that `stamp()` returned before the read and drops the value when the cache was
  emptied in between (threads of one worker share the cache).

`READ_CACHE_MS=0` turns the caches off (every read goes to the database). Entries are shared by
all requests of the worker, so `put` stores read-only copies (`freeze`): dicts become
MappingProxyType, lists ReadOnlyList, and model instances that use `ReadOnlyWhenCached` refuse
attribute writes, save() and delete(). A mutation fails loudly; a caller that needs to change a
row builds a new object or fetches the row again.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Hashable, Iterable
from types import MappingProxyType
from typing import Any, cast

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Field, Model, signals

from nekosite.lib.versiontriggers import IGNORED_COLUMNS

# A family has a counter row per writer stripe (versiontriggers.STRIPES): its version is the sum.
_VERSIONS_SQL = "SELECT name, SUM(version) FROM nekosite_dataversion GROUP BY name"


class ReadOnlyError(AttributeError):
    """A value shared through a read cache was about to be changed."""


class ReadOnlyWhenCached:
    """Model mixin: an instance `freeze` marked refuses attribute writes, save() and delete()."""

    def __setattr__(self, name: str, value: Any) -> None:
        if self.__dict__.get("_read_only"):
            raise ReadOnlyError(f"{type(self).__name__} from a read cache is read-only ({name})")
        super().__setattr__(name, value)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.__dict__.get("_read_only"):
            raise ReadOnlyError(f"{type(self).__name__} from a read cache is read-only")
        super().save(*args, **kwargs)  # type: ignore[misc]

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.__dict__.get("_read_only"):
            raise ReadOnlyError(f"{type(self).__name__} from a read cache is read-only")
        return super().delete(*args, **kwargs)  # type: ignore[misc]


class ReadOnlyList(list):
    """A list that refuses every change (it still compares equal to a list)."""

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise ReadOnlyError("a list from a read cache is read-only")

    append = extend = insert = remove = pop = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse


def freeze(value: Any) -> Any:
    """A read-only version of `value`: dicts and lists are copied (deeply), model instances
    (with their select_related objects) are marked in place."""
    if isinstance(value, dict | MappingProxyType):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if isinstance(value, list):
        return ReadOnlyList(freeze(item) for item in value)
    if isinstance(value, tuple):
        return tuple(freeze(item) for item in value)
    if isinstance(value, Model) and not value.__dict__.get("_read_only"):
        value.__dict__["_read_only"] = True  # before the relations: they may point back
        for related in value._state.fields_cache.values():
            if related is not None:
                freeze(related)
    return value


class _Versions:
    """The families' versions (sums of their DataVersion counters) as this process last read
    them."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}
        self.checked_at = float("-inf")

    def current(self) -> dict[str, int]:
        now = time.monotonic()
        if now - self.checked_at >= settings.READ_CACHE_MS / 1000:
            with connection.cursor() as cursor:
                cursor.execute(_VERSIONS_SQL)
                # int(): PostgreSQL sums bigints as numeric.
                values = {name: int(total) for name, total in cursor.fetchall()}
            # One assignment each: other threads see either the old or the new snapshot.
            self.values = values
            self.checked_at = now
        return self.values

    def expire(self) -> None:
        self.checked_at = float("-inf")


_versions = _Versions()
_caches: dict[str, ReadCache] = {}


class ReadCache:
    """A bounded dict for one family of tables, emptied when the family's version moves."""

    def __init__(self, family: str) -> None:
        self.family = family
        self._entries: dict[Hashable, Any] = {}
        self._version: int | None = None
        self._generation = 0
        self._lock = threading.Lock()
        _caches[family] = self

    @staticmethod
    def enabled() -> bool:
        return settings.READ_CACHE_MS > 0

    def stamp(self) -> int | None:
        """Check freshness (a query at most every READ_CACHE_MS); call before reading the
        database, and hand the result to `put`. None when caching is off."""
        if not self.enabled():
            return None
        version = _versions.current().get(self.family, 0)
        if version != self._version:
            with self._lock:
                self._entries = {}
                self._version = version
                self._generation += 1
        return self._generation

    def get(self, key: Hashable) -> Any:
        """The cached value or None. Call `stamp()` first in each request."""
        return self._entries.get(key)

    def get_many(self, keys: Iterable[Hashable]) -> dict[Hashable, Any]:
        entries = self._entries
        return {key: entries[key] for key in keys if key in entries}

    def put(self, stamp: int | None, key: Hashable, value: Any) -> Any:
        """Keep `value`; returns the read-only copy to use instead of it."""
        return self.put_many(stamp, {key: value})[key]

    def put_many(self, stamp: int | None, values: dict[Hashable, Any]) -> dict[Hashable, Any]:
        """Keep `values`; returns their read-only copies (frozen even when caching is off, so
        code behaves the same with and without the cache)."""
        values = {key: freeze(value) for key, value in values.items()}
        if stamp is None or not values:
            return values
        limit = settings.READ_CACHE_ENTRIES
        with self._lock:
            if stamp != self._generation:
                return values  # emptied since the caller read the database: may be old
            entries = self._entries
            overflow = len(entries) + len(values) - limit
            if overflow > 0:
                # Oldest first (dicts keep insertion order); drop an eighth at once so this
                # does not run on every put of a full cache.
                drop = max(overflow, limit // 8)
                for key in list(itertools.islice(entries, drop)):
                    del entries[key]
            entries.update(values)
        return values

    def clear(self) -> None:
        with self._lock:
            self._entries = {}
            self._generation += 1


def mark_changed(family: str) -> None:
    """This process wrote to `family`'s tables: drop its copies now and re-read the counters on
    the next request; again once the transaction commits (a read in between may have stored
    rows from before the commit)."""
    _forget(family)
    if connection.in_atomic_block:
        transaction.on_commit(lambda: _forget(family))


def _forget(family: str) -> None:
    _versions.expire()
    cache = _caches.get(family)
    if cache is not None:
        cache.clear()


def clear_all() -> None:
    """Empty every cache of this process (tests call this between tests)."""
    _versions.expire()
    for cache in _caches.values():
        cache.clear()


def watch(family: str, models: Iterable[type[Model]]) -> None:
    """Call `mark_changed(family)` whenever this process saves or deletes one of `models` or
    changes one of their many-to-many relations (AppConfig.ready of the owning app).

    Bulk writes (QuerySet.update, bulk_create) send no signals: the service doing one calls
    `mark_changed` itself. Other processes learn of every write from the triggers anyway.
    """

    def changed(sender: type[Model], **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields and _only_bookkeeping(sender, update_fields):
            return  # the triggers skip these too (versiontriggers.IGNORED_COLUMNS)
        mark_changed(family)

    for model in models:
        uid = f"readcache:{family}:{model._meta.label}"
        signals.post_save.connect(changed, sender=model, weak=False, dispatch_uid=uid)
        signals.post_delete.connect(changed, sender=model, weak=False, dispatch_uid=uid)
        for field in model._meta.many_to_many:
            signals.m2m_changed.connect(
                changed,
                sender=field.remote_field.through,
                weak=False,
                dispatch_uid=f"{uid}:{field.name}",
            )


def _only_bookkeeping(model: type[Model], field_names: Iterable[str]) -> bool:
    ignored = IGNORED_COLUMNS.get(model._meta.db_table, frozenset())
    # update_fields names concrete fields only, never a reverse relation.
    return all(cast(Field, model._meta.get_field(name)).column in ignored for name in field_names)
