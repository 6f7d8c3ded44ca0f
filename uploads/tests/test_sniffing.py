"""Content types come from the bytes, never from the client's claim."""

from __future__ import annotations

import io

import pytest

from uploads.services import extension_from_client_name
from uploads.sniffing import sniff_content_type
from uploads.tests.conftest import png_bytes


def gif_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("P", (4, 4)).save(buffer, format="GIF")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (png_bytes(), "image/png"),
        (gif_bytes(), "image/gif"),
        (b"%PDF-1.7\n...", "application/pdf"),
        (b"\x00\x00\x00\x18ftypmp42rest", "video/mp4"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01webm", "video/webm"),
        (b"ID3\x04\x00rest", "audio/mpeg"),
        (b"OggS\x00\x02", "audio/ogg"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio/wav"),
        (b"PK\x03\x04\x14\x00", "application/zip"),
        (b"hello world\n", "text/plain"),
        ("日本語のテキスト".encode(), "text/plain"),
        (b"text with \x00 nul", "application/octet-stream"),
        (b"\xff\xfe\xfd not utf8", "application/octet-stream"),
        (b"<!DOCTYPE html><p>x", "text/html"),
        (b"  <svg onload=alert(1)>", "image/svg+xml"),
        (b"<?xml version='1.0'?><root/>", "application/xml"),
        (b"\x89PNG\r\n\x1a\nbroken", "application/octet-stream"),
    ],
)
def test_sniffed_types(data: bytes, expected: str) -> None:
    assert sniff_content_type(io.BytesIO(data)) == expected


def test_markup_extension_wins_over_innocent_bytes() -> None:
    assert sniff_content_type(io.BytesIO(b"plain"), "svg") == "image/svg+xml"


def test_multibyte_character_cut_at_the_sniff_window_is_still_text() -> None:
    data = b"a" * (64 * 1024 - 1) + "é".encode() + b"tail"
    assert sniff_content_type(io.BytesIO(data)) == "text/plain"


@pytest.mark.parametrize(
    ("client_name", "expected"),
    [
        ("a.PNG", "png"),
        ("../../etc/passwd", ""),
        ("C:\\Users\\x\\evil.bat", "bat"),
        ("a.tar.gz", "gz"),
        (".hidden", ""),
        ("a.", ""),
        ("a.b c", ""),
        ("a.12345678901", ""),
        ("a.ünï", ""),
        ("", ""),
    ],
)
def test_extension_from_client_name(client_name: str, expected: str) -> None:
    assert extension_from_client_name(client_name) == expected


def test_mpeg_frame_without_id3_is_audio() -> None:
    assert sniff_content_type(io.BytesIO(b"\xff\xfb\x90\x64" + b"\x00" * 100)) == "audio/mpeg"
