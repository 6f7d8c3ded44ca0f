"""Token derivation: nothing usable is stored at rest.

A token is HMAC-SHA256(TOKEN_SECRET, nonce) stretched and formatted for its kind:
- catalog API tokens: 100 characters of [0-9a-zA-Z] (what v1 clients validate);
- file-host tokens: UUID-shaped, as in seed 004.
The database keeps the nonce and sha256(token) for look-up, never the token itself.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import uuid
from collections.abc import Iterator

from django.conf import settings

ALPHABET = string.digits + string.ascii_letters
API_TOKEN_LENGTH = 100


def new_nonce() -> str:
    return secrets.token_hex(32)


def _stream(nonce: str, kind: str) -> Iterator[int]:
    """Keyed byte stream (HMAC in counter mode) for one nonce."""
    key = settings.TOKEN_SECRET.encode()
    counter = 0
    while True:
        block = hmac.new(key, f"{kind}:{nonce}:{counter}".encode(), hashlib.sha256).digest()
        yield from block
        counter += 1


def derive(nonce: str, kind: str) -> str:
    if kind == "filehost":
        data = bytes(b for b, _ in zip(_stream(nonce, kind), range(16), strict=False))
        return str(uuid.UUID(bytes=data, version=4))
    chars: list[str] = []
    for byte in _stream(nonce, kind):
        # Rejection sampling keeps every character equally likely (248 = 4 * 62).
        if byte < 248:
            chars.append(ALPHABET[byte % 62])
            if len(chars) == API_TOKEN_LENGTH:
                break
    return "".join(chars)


def digest(token: str) -> str:
    """Look-up hash. Tokens carry >= 122 bits of entropy, so a fast hash is enough."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
