"""Password-protected uploads (issue #20): checking the password and the short-lived links.

The password is stored with Django's password hashers (never in clear, never in a URL: the
page POSTs it). The right password gives a link `?expires=..&signature=..` (nekosite.lib
.signing) valid for ACCESS_SECONDS; the link signs the file's name together with a digest of
its password hash, so changing or removing the password ends every link given out before.
"""

from __future__ import annotations

import hashlib

from django.contrib.auth.hashers import check_password
from django.http import HttpRequest

from nekosite.lib import signing
from uploads.models import Upload

ACCESS_SECONDS = 300


def _signed_subject(upload: Upload) -> str:
    password_digest = hashlib.sha256(upload.password_hash.encode()).hexdigest()[:16]
    return f"upload-access:{upload.name}:{password_digest}"


def password_matches(upload: Upload, password: str) -> bool:
    return bool(upload.password_hash) and check_password(password, upload.password_hash)


def signed_link(upload: Upload) -> str:
    """The signed link, as a query-only relative URL: the browser keeps the path it used, which
    is /u/<name> on the site and /<name> on a separate upload origin (nginx maps it)."""
    expires = signing.expires_at(ACCESS_SECONDS)
    return f"?{signing.signed_query(_signed_subject(upload), expires)}"


def link_is_valid(request: HttpRequest, upload: Upload) -> bool:
    state = signing.verify(
        _signed_subject(upload), request.GET.get("expires"), request.GET.get("signature")
    )
    return state is signing.LinkState.VALID
