"""manage.py import_images DIR [--manifest FILE.json|FILE.csv]: bulk-load a folder of images.

The manifest gives, per file name: artist (name and url), characters, categories, source name and
url, nsfw rating and original flag. Files already in the catalog (same sha256), near-duplicates of
an image in the catalog (perceptual hashes within PHASH_DUPLICATE_DISTANCE bits; `--keep-near-
duplicates` imports them and lists them as flagged instead) and files that are not acceptable
images are skipped, with the reason in the summary. Colours and thumbnails are
computed afterwards by the task queue's worker (catalog/tasks.py).
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.db import transaction

from catalog.models import Rating
from catalog.selectors import near_duplicates
from catalog.services import (
    ImageDuplicate,
    artist_get_or_create,
    category_get_or_create,
    character_get_or_create,
    image_ingest,
)
from nekosite.lib.imagemeta import ImageRejected, image_phash

LIST_SEPARATORS = (";", "|")
_TRUE = {"1", "true", "yes", "y", "on"}
_FALSE = {"0", "false", "no", "n", "off"}


class ManifestError(ValueError):
    pass


@dataclass
class Entry:
    artist: str | None = None
    artist_url: str | None = None
    characters: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    source_name: str | None = None
    source_url: str | None = None
    nsfw: str = Rating.SFW
    original: bool | None = None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _names(value: Any) -> list[str]:
    """A list from a JSON list or from a string separated by ';' or '|'."""
    if value in (None, ""):
        return []
    if isinstance(value, list):
        items = [str(v) for v in value]
    elif isinstance(value, str):
        items = [value]
        for separator in LIST_SEPARATORS:
            items = [part for item in items for part in item.split(separator)]
    else:
        raise ManifestError(f"expected a list of names, got {value!r}")
    return [item.strip() for item in items if item.strip()]


def _bool_or_none(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text == "":
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ManifestError(f"original must be true, false or empty, got {value!r}")


def _entry(raw: dict[str, Any]) -> Entry:
    artist = raw.get("artist")
    artist_url = _text(raw.get("artist_url"))
    if isinstance(artist, dict):
        artist_url = _text(artist.get("url")) or artist_url
        artist = artist.get("name")
    source = raw.get("source")
    source_name = _text(raw.get("source_name"))
    source_url = _text(raw.get("source_url"))
    if isinstance(source, dict):
        source_name = _text(source.get("name")) or source_name
        source_url = _text(source.get("url")) or source_url
    nsfw = (_text(raw.get("nsfw")) or Rating.SFW).lower()
    if nsfw not in Rating.values:
        raise ManifestError(f"nsfw must be one of {', '.join(Rating.values)}, got {nsfw!r}")
    return Entry(
        artist=_text(artist),
        artist_url=artist_url,
        characters=_names(raw.get("characters")),
        categories=_names(raw.get("categories")),
        source_name=source_name,
        source_url=source_url,
        nsfw=nsfw,
        original=_bool_or_none(raw.get("original")),
    )


def _raw_rows(path: Path) -> list[dict[str, Any]]:
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return list(csv.DictReader(handle))
    if path.suffix.lower() == ".json":
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
        if isinstance(data, dict) and isinstance(data.get("files"), list):
            data = data["files"]
        if isinstance(data, dict):
            # {"name.png": {...}, ...}
            return [{**(value or {}), "file": key} for key, value in data.items()]
        if isinstance(data, list):
            return data
        raise ManifestError("a JSON manifest is a list of entries or an object keyed by file name")
    raise ManifestError("the manifest must be a .json or a .csv file")


def load_manifest(path: Path) -> dict[str, dict[str, Any]]:
    """File name -> raw entry; entries are checked one by one, so a bad one skips one file."""
    rows: dict[str, dict[str, Any]] = {}
    for number, row in enumerate(_raw_rows(path), start=1):
        if not isinstance(row, dict) or not _text(row.get("file")):
            raise ManifestError(f"entry {number} has no 'file'")
        rows[Path(str(row["file"]).strip()).name] = row
    return rows


class Progress:
    """A one-line progress bar on stderr; no dependency."""

    def __init__(self, stream: OutputWrapper, total: int, width: int = 30) -> None:
        self.stream = stream
        self.total = total
        self.width = width

    def show(self, done: int, label: str) -> None:
        filled = int(self.width * done / self.total) if self.total else self.width
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {done}/{self.total} {label[:40]:<40}", ending="")
        self.stream.flush()

    def finish(self) -> None:
        self.stream.write("", ending="\n")
        self.stream.flush()


class Command(BaseCommand):
    help = "Import a folder of images into the catalog, with an optional JSON or CSV manifest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)
        parser.add_argument("--manifest", type=Path, help="a .json or .csv file describing files")
        parser.add_argument(
            "--keep-near-duplicates",
            action="store_true",
            help="import near-duplicates (perceptual hash) and list them as flagged, not skipped",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory: Path = options["directory"]
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a directory")
        manifest_path: Path | None = options["manifest"]
        manifest: dict[str, dict[str, Any]] = {}
        if manifest_path is not None:
            if not manifest_path.is_file():
                raise CommandError(f"manifest {manifest_path} does not exist")
            try:
                manifest = load_manifest(manifest_path)
            except (ManifestError, json.JSONDecodeError, csv.Error, UnicodeDecodeError) as exc:
                raise CommandError(f"manifest {manifest_path}: {exc}") from exc

        skip = {manifest_path.resolve()} if manifest_path else set()
        files = sorted(
            p
            for p in directory.iterdir()
            if p.is_file() and not p.name.startswith(".") and p.resolve() not in skip
        )
        present = {p.name for p in files}
        reasons: Counter[str] = Counter()
        details: list[str] = []
        for name in sorted(set(manifest) - present):
            reasons["missing file"] += 1
            details.append(f"{name}: missing file (listed in the manifest)")

        progress = Progress(self.stderr, len(files))
        imported = 0
        flagged: list[str] = []
        keep_near = bool(options["keep_near_duplicates"])
        for done, path in enumerate(files, start=1):
            progress.show(done - 1, path.name)
            outcome = self._import_one(path, manifest.get(path.name), keep_near=keep_near)
            if outcome is None:
                imported += 1
            elif outcome[0] == "flagged":
                imported += 1
                flagged.append(f"{path.name}: {outcome[1]}")
            else:
                reason, message = outcome
                reasons[reason] += 1
                details.append(f"{path.name}: {message}")
            progress.show(done, path.name)
        progress.finish()

        skipped = sum(reasons.values())
        summary = f"Imported {imported} image(s), skipped {skipped}"
        if reasons:
            summary += " (" + ", ".join(f"{k}: {v}" for k, v in sorted(reasons.items())) + ")"
        self.stdout.write(summary + ".")
        for line in details:
            self.stdout.write(f"  skipped {line}")
        for line in flagged:
            self.stdout.write(f"  flagged {line}")

    def _import_one(
        self, path: Path, raw: dict[str, Any] | None, *, keep_near: bool = False
    ) -> tuple[str, str] | None:
        """None when imported, ("flagged", message) when imported as a near-duplicate (with
        keep_near), otherwise (reason, message) of the skip."""
        try:
            entry = _entry(raw) if raw else Entry()
        except ManifestError as exc:
            return "invalid manifest entry", f"invalid manifest entry: {exc}"
        flag = None
        try:
            # Hashed before anything is written: a near-duplicate is skipped (or flagged).
            # The same bytes are reported as a duplicate by image_ingest, not as a near one.
            phash = image_phash(path)
            with path.open("rb") as handle:
                etag = hashlib.file_digest(handle, "sha256").hexdigest()
            near = [
                match
                for match in near_duplicates(
                    phash=phash, max_distance=settings.PHASH_DUPLICATE_DISTANCE, limit=2
                )
                if match[0].etag != etag
            ]
            if near:
                existing, distance = near[0]
                message = f"near-duplicate of image {existing.pk} (distance {distance})"
                if not keep_near:
                    return "near-duplicate", message
                flag = ("flagged", message)
            # One transaction per file: a refused file leaves no new artist or category behind.
            with transaction.atomic():
                image_ingest(
                    file=path,
                    filename=path.name,
                    artist=(
                        artist_get_or_create(name=entry.artist, url=entry.artist_url)
                        if entry.artist
                        else None
                    ),
                    categories=[category_get_or_create(name=n) for n in entry.categories],
                    characters=[character_get_or_create(name=n) for n in entry.characters],
                    source_name=entry.source_name,
                    source_url=entry.source_url,
                    nsfw=entry.nsfw,
                    original=entry.original,
                    # Colour and thumbnail by the task queue: the loop only hashes, checks and
                    # stores (the rows stay `pending` until a worker has done them).
                    defer=True,
                    phash=phash,
                )
        except ImageDuplicate as exc:
            return "duplicate", f"duplicate of image {exc.existing.pk}"
        except ImageRejected as exc:
            return "bad file", f"bad file: {exc.message}"
        except ValidationError as exc:
            return "invalid manifest entry", f"invalid manifest entry: {'; '.join(exc.messages)}"
        except OSError as exc:
            return "unreadable", f"unreadable: {exc}"
        return flag
