"""Where uploaded files live. Looked up at call time so a changed STORAGES setting (tests,
S3) is always honoured."""

from __future__ import annotations

from django.core.files.storage import Storage, storages


def upload_storage() -> Storage:
    return storages["uploads"]
