"""No token value and no password is stored: a full copy of the database yields neither.

PRODUCT.md: "No token is ever stored in plain text"."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection

from accounts import services
from accounts.models import Token, User

pytestmark = pytest.mark.django_db

PASSWORDS = ["first-secret-passphrase-1", "second-secret-passphrase-2"]


def _every_row_as_text() -> str:
    """Every row of every table, read with raw SQL (what an attacker with a dump would see)."""
    parts: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                parts.append(repr(row))
                parts.extend(
                    bytes(v).decode("latin-1") for v in row if isinstance(v, bytes | memoryview)
                )
    return "\n".join(parts)


def test_database_dump_contains_no_token_and_no_password(staff: User) -> None:
    alice = User.objects.create_user("alice2", password=PASSWORDS[0])
    bob = User.objects.create_user("bob2", password="placeholder")
    bob.set_password(PASSWORDS[1])
    bob.save()
    application = services.application_request(user=alice, name="a", purpose="b", scopes=[])
    api = services.application_approve(
        application=application, scopes=["image:list"], expires_at=None, by=staff
    )
    values = [services.token_value(token=api)]
    values.append(services.token_regenerate(token=api))
    for user in (alice, bob):
        _, filehost_value = services.filehost_token_get_or_create(user=user)
        values.append(filehost_value)
    assert Token.objects.count() == 3

    raw = _every_row_as_text()
    out = io.StringIO()
    call_command("dumpdata", stdout=out)
    for dump in (raw, out.getvalue()):
        assert "alice2" in dump  # the dump is real
        for secret in [*values, *PASSWORDS]:
            assert secret not in dump
            assert secret.upper() not in dump.upper() or secret.isdigit()
