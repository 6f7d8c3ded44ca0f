"""manage.py import_images DIR --manifest: bulk load with per-file metadata."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from catalog.models import Artist, Category, Character, Image
from catalog.tests.factories import image_bytes

pytestmark = pytest.mark.django_db


def _run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_images", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "megumin.png").write_bytes(image_bytes("PNG", size=(800, 600)))
    (folder / "rem.jpg").write_bytes(image_bytes("JPEG", size=(600, 800)))
    (folder / "miku.webp").write_bytes(image_bytes("WEBP", size=(500, 500)))
    (folder / "broken.png").write_bytes(image_bytes("PNG")[:40])
    (folder / "notes.txt").write_text("not an image")
    return folder


ENTRIES = [
    {
        "file": "megumin.png",
        "artist": {"name": "Aoi Hoshizora", "url": "https://example.com/aoi"},
        "characters": ["Megumin"],
        "categories": ["Catgirl", "Night Sky"],
        "source": {"name": "Pixiv", "url": "https://example.com/pixiv/1"},
        "nsfw": "sfw",
        "original": True,
    },
    {
        "file": "rem.jpg",
        "artist": "Tama-chan Art",
        "characters": "Rem; Ram",
        "categories": "Maid",
        "source_name": "Twitter",
        "source_url": "https://example.com/twitter/2",
        "nsfw": "questionable",
        "original": "false",
    },
    {"file": "gone.png", "artist": "Nobody"},
]


def _check_manifest_applied() -> None:
    megumin = Image.objects.get(characters__name="Megumin")
    assert megumin.artist.name == "Aoi Hoshizora"
    assert megumin.artist.url == "https://example.com/aoi"
    assert sorted(c.name for c in megumin.categories.all()) == ["Catgirl", "Night Sky"]
    assert (megumin.source_name, megumin.source_url) == ("Pixiv", "https://example.com/pixiv/1")
    assert megumin.nsfw == "sfw" and megumin.original is True
    assert megumin.orientation == "landscape" and megumin.mimetype == "image/png"

    rem = Image.objects.get(characters__name="Rem")
    assert sorted(c.name for c in rem.characters.all()) == ["Ram", "Rem"]
    assert rem.artist.name == "Tama-chan Art"
    assert rem.nsfw == "questionable" and rem.original is False
    assert rem.source_name == "Twitter"

    miku = Image.objects.get(mimetype="image/webp")
    assert miku.artist is None and miku.original is None and miku.nsfw == "sfw"


def test_import_with_json_manifest(folder: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(ENTRIES))
    out, err = _run(str(folder), "--manifest", str(manifest))
    assert Image.objects.count() == 3
    _check_manifest_applied()
    assert "Imported 3 image(s), skipped 3" in out
    assert "broken.png: bad file" in out
    assert "notes.txt: bad file" in out
    assert "gone.png: missing file" in out
    assert "[" in err and "5/5" in err  # progress bar on stderr


def test_import_with_csv_manifest(folder: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.csv"
    columns = [
        "file",
        "artist",
        "artist_url",
        "characters",
        "categories",
        "source_name",
        "source_url",
        "nsfw",
        "original",
    ]
    with manifest.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerow(
            {
                "file": "megumin.png",
                "artist": "Aoi Hoshizora",
                "artist_url": "https://example.com/aoi",
                "characters": "Megumin",
                "categories": "Catgirl|Night Sky",
                "source_name": "Pixiv",
                "source_url": "https://example.com/pixiv/1",
                "nsfw": "sfw",
                "original": "true",
            }
        )
        writer.writerow(
            {
                "file": "rem.jpg",
                "artist": "Tama-chan Art",
                "characters": "Rem;Ram",
                "categories": "Maid",
                "source_name": "Twitter",
                "source_url": "https://example.com/twitter/2",
                "nsfw": "questionable",
                "original": "no",
            }
        )
    out, _ = _run(str(folder), "--manifest", str(manifest))
    assert Image.objects.count() == 3
    _check_manifest_applied()
    assert "Imported 3 image(s), skipped 2" in out


def test_import_skips_duplicates_by_content_hash(folder: Path) -> None:
    (folder / "copy-of-megumin.png").write_bytes((folder / "megumin.png").read_bytes())
    out, _ = _run(str(folder))
    assert Image.objects.count() == 3
    assert "duplicate: 1" in out
    out_again, _ = _run(str(folder))
    assert Image.objects.count() == 3
    assert "Imported 0 image(s)" in out_again and "duplicate: 4" in out_again


def test_bad_manifest_entry_skips_only_that_file(folder: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "m.json"
    manifest.write_text(
        json.dumps(
            {
                "megumin.png": {"nsfw": "spicy"},
                "rem.jpg": {"source_url": "ftp://example.com/x"},
                "miku.webp": {"categories": ["Fox-Ears"]},
            }
        )
    )
    out, _ = _run(str(folder), "--manifest", str(manifest))
    assert Image.objects.count() == 1
    assert "megumin.png: invalid manifest entry" in out
    assert "rem.jpg: invalid manifest entry" in out
    # A refused file leaves no artist, character or category of its own behind.
    assert list(Category.objects.values_list("name", flat=True)) == ["Fox-Ears"]
    assert not Artist.objects.exists() and not Character.objects.exists()


def test_manifest_inside_the_folder_is_not_imported(folder: Path) -> None:
    manifest = folder / "manifest.json"
    manifest.write_text(json.dumps([{"file": "miku.webp", "nsfw": "nsfw"}]))
    out, _ = _run(str(folder), "--manifest", str(manifest))
    assert "manifest.json" not in out
    assert Image.objects.get(mimetype="image/webp").nsfw == "nsfw"


def test_missing_directory_and_unreadable_manifest_are_command_errors(
    folder: Path, tmp_path: Path
) -> None:
    with pytest.raises(CommandError, match="not a directory"):
        _run(str(tmp_path / "nope"))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CommandError, match="manifest"):
        _run(str(folder), "--manifest", str(bad))
    other = tmp_path / "m.yaml"
    other.write_text("a: b")
    with pytest.raises(CommandError, match=r"\.json or a \.csv"):
        _run(str(folder), "--manifest", str(other))
    assert Image.objects.count() == 0
