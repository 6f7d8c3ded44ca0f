"""Remove EXIF, XMP, IPTC and text metadata (GPS position, camera serial, author...) from JPEG,
PNG and WebP files without touching a single pixel.

The files are rewritten at the container level: metadata segments (JPEG), chunks (PNG) or RIFF
chunks (WebP) are dropped and everything else is copied byte for byte, so nothing is decoded or
re-encoded and no quality is lost. The picture's orientation survives: when the EXIF said to
rotate or mirror it, a new minimal EXIF block holding only that Orientation field is written,
so viewers still show it the right way up. Colour profiles (ICC) are kept.

JPEG: data after the image's end marker is dropped too (phones append a second JPEG there,
with its own EXIF, for "multi-picture" and depth data).
"""

from __future__ import annotations

import io
import shutil
import struct
import zlib
from typing import IO

from PIL import Image

ORIENTATION_TAG = 0x0112
STRIPPABLE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
CHUNK = 1 << 20


class NotStrippable(ValueError):
    """The bytes are not a well-formed file of the type they claim to be."""


def orientation_exif(orientation: int | None) -> bytes | None:
    """The EXIF block ("Exif\\0\\0" + TIFF) holding only Orientation, when it is not 1."""
    if orientation is None or orientation == 1 or not 1 <= orientation <= 8:
        return None
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = orientation
    return exif.tobytes()


def _orientation_of(exif_block: bytes) -> int | None:
    """Orientation from an EXIF block with or without its "Exif\\0\\0" header."""
    exif = Image.Exif()
    try:
        header = b"" if exif_block.startswith(b"Exif\x00\x00") else b"Exif\x00\x00"
        exif.load(header + exif_block)
    except (ValueError, SyntaxError, struct.error, OSError, KeyError, IndexError, TypeError):
        return None  # a damaged block: there is no orientation to keep
    value = exif.get(ORIENTATION_TAG)
    return int(value) if isinstance(value, int) else None


# --- JPEG -----------------------------------------------------------------------------------

# Application segments kept: APP0 (JFIF), APP2 only when it is an ICC profile, APP14 (Adobe
# colour transform). Dropped: APP1 (EXIF, XMP), other APP2 (MPF), APP3-13 (IPTC in APP13),
# APP15 and COM (comments).
_SOI, _EOI, _SOS = b"\xff\xd8", b"\xff\xd9", 0xDA


def _strip_jpeg(src: IO[bytes], dst: IO[bytes]) -> None:
    if src.read(2) != _SOI:
        raise NotStrippable("not a JPEG")
    dst.write(_SOI)
    orientation: int | None = None
    kept: list[bytes] = []
    while True:
        marker = src.read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            raise NotStrippable("damaged JPEG header")
        while marker[1] == 0xFF:  # fill bytes
            marker = marker[1:] + src.read(1)
        kind = marker[1]
        if kind == _SOS:
            length_bytes = src.read(2)
            header = src.read(struct.unpack(">H", length_bytes)[0] - 2)
            block = orientation_exif(orientation)
            if block is not None:
                dst.write(b"\xff\xe1" + struct.pack(">H", len(block) + 2) + block)
            dst.write(b"".join(kept))
            dst.write(marker + length_bytes + header)
            _copy_until_eoi(src, dst)
            return
        length_bytes = src.read(2)
        if len(length_bytes) < 2:
            raise NotStrippable("truncated JPEG")
        length = struct.unpack(">H", length_bytes)[0]
        body = src.read(length - 2)
        if len(body) != length - 2:
            raise NotStrippable("truncated JPEG")
        if kind == 0xE1 and body.startswith(b"Exif\x00\x00"):
            orientation = _orientation_of(body) or orientation
            continue
        if 0xE0 <= kind <= 0xEF or kind == 0xFE:
            keep = kind in (0xE0, 0xEE) or (kind == 0xE2 and body.startswith(b"ICC_PROFILE\x00"))
            if not keep:
                continue
        kept.append(marker + length_bytes + body)


def _copy_until_eoi(src: IO[bytes], dst: IO[bytes]) -> None:
    """Copy the entropy-coded data and the markers between scans up to the first EOI (in coded
    data 0xFF is always followed by 0x00 or a restart marker, so FF D9 is the real end)."""
    carry = b""
    while True:
        chunk = src.read(CHUNK)
        if not chunk:
            dst.write(carry)
            return  # no EOI: copy what there is (a truncated file stays as truncated)
        data = carry + chunk
        end = data.find(_EOI)
        if end >= 0:
            dst.write(data[: end + 2])
            return
        dst.write(data[:-1])
        carry = data[-1:]


# --- PNG ------------------------------------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Text and metadata chunks; everything else (image data, palette, transparency, colour space,
# gamma, physical size, animation) is copied.
_PNG_DROP = frozenset({b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"})


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _strip_png(src: IO[bytes], dst: IO[bytes]) -> None:
    if src.read(8) != _PNG_SIGNATURE:
        raise NotStrippable("not a PNG")
    dst.write(_PNG_SIGNATURE)
    orientation: int | None = None
    while True:
        head = src.read(8)
        if len(head) < 8:
            raise NotStrippable("truncated PNG")
        length, kind = struct.unpack(">I", head[:4])[0], head[4:]
        if kind in _PNG_DROP:
            data = src.read(length + 4)[:-4]
            if kind == b"eXIf":
                orientation = _orientation_of(data) or orientation
            continue
        if kind == b"IDAT" or kind == b"IEND":
            block = orientation_exif(orientation)
            if block is not None:  # eXIf must come before the first IDAT
                dst.write(_png_chunk(b"eXIf", block[len(b"Exif\x00\x00") :]))
                orientation = None
        dst.write(head)
        shutil.copyfileobj(_Limited(src, length + 4), dst, CHUNK)
        if kind == b"IEND":
            return  # data after IEND is dropped


class _Limited(io.RawIOBase):
    """At most `left` bytes of `src` (a chunk body copied without holding it in memory)."""

    def __init__(self, src: IO[bytes], left: int) -> None:
        self._src, self._left = src, left

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        want = self._left if size < 0 else min(size, self._left)
        data = self._src.read(want)
        if len(data) < want and not data:
            raise NotStrippable("truncated file")
        self._left -= len(data)
        return data


# --- WebP -----------------------------------------------------------------------------------

_VP8X_EXIF, _VP8X_XMP = 0x08, 0x04


def _riff_chunk(kind: bytes, payload: bytes) -> bytes:
    return kind + struct.pack("<I", len(payload)) + payload + b"\x00" * (len(payload) & 1)


def _strip_webp(src: IO[bytes], dst: IO[bytes]) -> None:
    header = src.read(12)
    if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WEBP":
        raise NotStrippable("not a WebP")
    chunks: list[tuple[bytes, bytes]] = []
    orientation: int | None = None
    while True:
        head = src.read(8)
        if not head:
            break
        if len(head) < 8:
            raise NotStrippable("truncated WebP")
        kind, size = head[:4], struct.unpack("<I", head[4:])[0]
        payload = src.read(size)
        if len(payload) < size:
            raise NotStrippable("truncated WebP")
        src.read(size & 1)  # padding byte
        if kind == b"EXIF":
            orientation = _orientation_of(payload) or orientation
        elif kind != b"XMP ":
            chunks.append((kind, payload))
    block = orientation_exif(orientation)
    body = []
    for kind, payload in chunks:
        if kind == b"VP8X":
            flags = payload[0] & ~(_VP8X_EXIF | _VP8X_XMP)
            payload = bytes([flags | (_VP8X_EXIF if block else 0)]) + payload[1:]
        body.append(_riff_chunk(kind, payload))
    if block is not None:  # only an extended (VP8X) WebP could have carried EXIF
        body.append(_riff_chunk(b"EXIF", block[len(b"Exif\x00\x00") :]))
    data = b"".join(body)
    dst.write(b"RIFF" + struct.pack("<I", len(data) + 4) + b"WEBP" + data)


# --- entry point ----------------------------------------------------------------------------

_STRIPPERS = {"image/jpeg": _strip_jpeg, "image/png": _strip_png, "image/webp": _strip_webp}


def strip(src: IO[bytes], dst: IO[bytes], content_type: str) -> None:
    """Copy `src` to `dst` without its metadata. Raises NotStrippable for a damaged file, and
    KeyError for a type that is not in STRIPPABLE_TYPES."""
    src.seek(0)
    _STRIPPERS[content_type](src, dst)
