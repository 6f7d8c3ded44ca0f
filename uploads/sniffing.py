"""What an uploaded file really is, from its bytes (never from the client's word).

The stored content type decides how the file is served: anything not known to be inert is
served as an attachment in a CSP sandbox (nekosite.lib.serving).
"""

from __future__ import annotations

import codecs
import re
from typing import IO

from PIL import Image, UnidentifiedImageError

SNIFF_BYTES = 64 * 1024
OCTET_STREAM = "application/octet-stream"

# Pillow formats we accept as images; anything else Pillow can parse stays a download.
_PILLOW_FORMATS = {"PNG", "JPEG", "GIF", "WEBP", "BMP"}
_MARKUP_RE = re.compile(
    rb"<\s*(!doctype\s+html|html|head|body|script|iframe|svg|\?xml|object|embed|meta|a\s|img\s)",
    re.IGNORECASE,
)
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF", b"BM")
_SVG_RE = re.compile(rb"<\s*svg", re.IGNORECASE)
_XML_RE = re.compile(rb"<\s*\?xml", re.IGNORECASE)
# Extensions a browser treats as active content: never inline, whatever the bytes look like.
MARKUP_EXTENSIONS = {
    "html": "text/html",
    "htm": "text/html",
    "xhtml": "application/xhtml+xml",
    "shtml": "text/html",
    "svg": "image/svg+xml",
    "svgz": "image/svg+xml",
    "xml": "application/xml",
    "xsl": "application/xml",
    "js": "text/javascript",
    "mjs": "text/javascript",
}
# Preferred extension for a sniffed type when the client's name has none we can use.
EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/bmp": "bmp",
    "image/avif": "avif",
    "application/pdf": "pdf",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "audio/mp4": "m4a",
    "video/webm": "webm",
    "video/x-matroska": "mkv",
    "audio/mpeg": "mp3",
    "audio/ogg": "ogg",
    "audio/wav": "wav",
    "audio/flac": "flac",
    "application/zip": "zip",
    "text/plain": "txt",
    "text/html": "html",
    "image/svg+xml": "svg",
    "application/xml": "xml",
}


def _pillow_type(handle: IO[bytes]) -> str | None:
    handle.seek(0)
    try:
        with Image.open(handle) as image:
            fmt = image.format
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    if fmt in _PILLOW_FORMATS:
        return Image.MIME.get(fmt)
    return None


def _is_mpeg_frame(head: bytes) -> bool:
    """An MPEG audio frame header: 11 sync bits, no reserved version, layer, rate or bitrate."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 0b11, (head[1] >> 1) & 0b11
    bitrate, sample_rate = head[2] >> 4, (head[2] >> 2) & 0b11
    return version != 0b01 and layer != 0b00 and bitrate != 0b1111 and sample_rate != 0b11


def _magic_type(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in {b"avif", b"avis"}:
            return "image/avif"
        if brand == b"qt  ":
            return "video/quicktime"
        if brand in {b"M4A ", b"M4B "}:
            return "audio/mp4"
        return "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm" if b"webm" in head[:64] else "video/x-matroska"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head.startswith(b"ID3") or _is_mpeg_frame(head):
        return "audio/mpeg"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return "application/zip"
    return None


def _markup_type(head: bytes) -> str | None:
    if _SVG_RE.search(head):
        return "image/svg+xml"
    if _MARKUP_RE.search(head):
        if _XML_RE.search(head) and b"html" not in head.lower():
            return "application/xml"
        return "text/html"
    return None


def _is_utf8_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        # final=False: a multi-byte character cut at SNIFF_BYTES is not an error.
        decoder.decode(head, final=len(head) < SNIFF_BYTES)
    except UnicodeDecodeError:
        return False
    return True


def sniff_content_type(handle: IO[bytes], extension: str = "") -> str:
    """The content type to store for this file. `extension` is the sanitized one we keep."""
    handle.seek(0)
    head = handle.read(SNIFF_BYTES)
    handle.seek(0)
    if extension in MARKUP_EXTENSIONS:
        # Whatever the bytes, a browser would treat this name as active content.
        return MARKUP_EXTENSIONS[extension]
    detected = _magic_type(head)
    if detected is None and head.startswith(_IMAGE_MAGIC):
        detected = _pillow_type(handle)
    if detected is None:
        detected = _markup_type(head)
    if detected is None and _is_utf8_text(head):
        detected = "text/plain"
    handle.seek(0)
    return detected or OCTET_STREAM


def extension_for(content_type: str) -> str:
    return EXTENSIONS.get(content_type, "bin")
