"""The demo catalog loaded by `make run` (manage.py seed_demo): fixed names, generated pictures.

Everything is deterministic (a seeded random generator per image), so a second run produces the
same bytes and the content-hash check skips them.
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageDraw, ImageOps

ARTISTS: list[tuple[str, str | None]] = [
    ("Kuroneko Studio", "https://example.com/artists/kuroneko-studio"),
    ("mochi-mochi", "https://example.com/artists/mochi-mochi"),
    ("Aoi Hoshizora", "https://example.com/artists/aoi-hoshizora"),
    ("Tama-chan Art", None),
    ("Yuki no Hana", "https://example.com/artists/yuki-no-hana"),
    ("Pixel-Kitsune", "https://example.com/artists/pixel-kitsune"),
    ("Sakura Mizuki", None),
    ("Nyan Nyan Works", "https://example.com/artists/nyan-nyan-works"),
]

# name, description, nsfw, type
CATEGORIES: list[tuple[str, str, bool, str]] = [
    ("Catgirl", "Girls with cat ears and, often, a tail.", False, "character"),
    ("Fox-Ears", "Characters with fox ears or a fluffy fox tail.", False, "character"),
    ("Kemonomimi", "Any character with animal ears.", False, "character"),
    ("Maid", "Maid outfits: aprons, headdresses, frills.", False, "clothing"),
    ("School Uniform", "Sailor suits, blazers and other school uniforms.", False, "clothing"),
    ("Night Sky", "Stars, moons and city lights after dark.", False, "setting"),
    ("Cherry-Blossom", "Sakura trees and falling petals.", False, "setting"),
    ("Chibi", "Small, round, super-deformed drawings.", False, "style"),
    ("kaguya-sama", "Art from Kaguya-sama: Love Is War.", False, "source"),
    ("Ecchi", "Suggestive art; hidden unless explicitly requested.", True, "rating"),
]

CHARACTERS: list[dict[str, Any]] = [
    {
        "name": "Megumin",
        "description": "An arch wizard of the Crimson Demon clan who only casts Explosion.",
        "source": "KonoSuba: God's Blessing on This Wonderful World!",
        "gender": "female",
        "ages": [13, 14],
        "birth_date": "December 4",
        "nationality": "Crimson Demon Village",
        "occupations": ["Arch Wizard", "Adventurer"],
    },
    {
        "name": "Rem",
        "description": "A blue-haired oni maid serving at the Roswaal mansion.",
        "source": "Re:Zero - Starting Life in Another World",
        "gender": "female",
        "ages": [17],
        "birth_date": "February 2",
        "nationality": "Kingdom of Lugunica",
        "occupations": ["Maid"],
    },
    {
        "name": "Ram",
        "description": "Rem's older twin sister, a pink-haired maid with a sharp tongue.",
        "source": "Re:Zero - Starting Life in Another World",
        "gender": "female",
        "ages": [17],
        "birth_date": "February 2",
        "nationality": "Kingdom of Lugunica",
        "occupations": ["Maid", "Head Maid"],
    },
    {
        "name": "Kaguya Shinomiya",
        "description": "Vice president of the Shuchiin student council, too proud to confess.",
        "source": "Kaguya-sama: Love Is War",
        "gender": "female",
        "ages": [16, 17],
        "birth_date": "January 1",
        "nationality": "Japanese",
        "occupations": ["Student", "Student Council Vice President"],
    },
    {
        "name": "Chika Fujiwara",
        "description": "The cheerful secretary of the Shuchiin student council.",
        "source": "Kaguya-sama: Love Is War",
        "gender": "female",
        "ages": [16, 17],
        "birth_date": "March 3",
        "nationality": "Japanese",
        "occupations": ["Student", "Student Council Secretary"],
    },
    {
        "name": "Hatsune Miku",
        "description": "A virtual singer with long turquoise twin tails.",
        "source": "Vocaloid",
        "gender": "female",
        "ages": [16],
        "birth_date": "August 31",
        "nationality": "Japanese",
        "occupations": ["Virtual Singer"],
    },
    {
        "name": "Holo",
        "description": "The Wisewolf of Yoitsu, a harvest deity travelling with a merchant.",
        "source": "Spice and Wolf",
        "gender": "female",
        "ages": [600],
        "birth_date": None,
        "nationality": "Yoitsu",
        "occupations": ["Harvest Deity", "Travelling Companion"],
    },
    {
        "name": "Senko",
        "description": "An 800-year-old fox spirit who pampers an overworked salaryman.",
        "source": "The Helpful Fox Senko-san",
        "gender": "female",
        "ages": [800],
        "birth_date": None,
        "nationality": "Japanese",
        "occupations": ["Fox Deity", "Housekeeper"],
    },
    {
        "name": "Nekomata Okayu",
        "description": "A laid-back cat VTuber who loves onigiri.",
        "source": "Hololive",
        "gender": "female",
        "ages": [],
        "birth_date": "February 22",
        "nationality": "Japanese",
        "occupations": ["VTuber", "Singer"],
    },
    {
        "name": "Shirakami Fubuki",
        "description": "A white fox VTuber (she insists she is not a cat).",
        "source": "Hololive",
        "gender": "female",
        "ages": [],
        "birth_date": "October 5",
        "nationality": "Japanese",
        "occupations": ["VTuber"],
    },
    {
        "name": "Asuna Yuuki",
        "description": "A rapier fencer known as the Flash, sub-leader of her guild.",
        "source": "Sword Art Online",
        "gender": "female",
        "ages": [17, 18],
        "birth_date": "September 30",
        "nationality": "Japanese",
        "occupations": ["Student", "Sub-leader of the Knights of the Blood Oath"],
    },
    {
        "name": "Mash Kyrielight",
        "description": "A demi-servant who fights with a great shield.",
        "source": "Fate/Grand Order",
        "gender": "female",
        "ages": [16],
        "birth_date": None,
        "nationality": "Unknown",
        "occupations": ["Demi-Servant", "Chaldea Staff"],
    },
]

SOURCES: list[tuple[str, str]] = [
    ("Pixiv", "https://example.com/pixiv/artworks/"),
    ("Twitter", "https://example.com/twitter/status/"),
    ("DeviantArt", "https://example.com/deviantart/art/"),
]

_SIZES = {
    "landscape": [(1280, 720), (1200, 800), (1024, 768), (1600, 900), (960, 540)],
    "portrait": [(720, 1280), (800, 1200), (768, 1024), (600, 900), (540, 960)],
    "square": [(800, 800), (1024, 1024), (640, 640), (900, 900)],
}
_ORIENTATIONS = ("landscape", "portrait", "square")
_FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
_PALETTES = [
    ((255, 183, 197), (120, 60, 160)),
    ((20, 30, 80), (250, 200, 90)),
    ((180, 230, 255), (40, 90, 180)),
    ((255, 240, 200), (230, 100, 60)),
    ((200, 255, 220), (30, 120, 90)),
    ((60, 20, 60), (255, 120, 180)),
    ((240, 240, 250), (90, 90, 120)),
    ((255, 210, 120), (160, 40, 40)),
]


@dataclass
class DemoImage:
    data: bytes
    filename: str
    artist: tuple[str, str | None] | None
    categories: list[str]
    characters: list[str]
    source_name: str | None
    source_url: str | None
    nsfw: str
    original: bool | None
    extra: dict[str, Any] = field(default_factory=dict)


def _draw_cat(draw: ImageDraw.ImageDraw, rng: random.Random, size: tuple[int, int]) -> None:
    """A simple cat face: a round head, two triangle ears, eyes and whiskers."""
    width, height = size
    radius = rng.randint(min(size) // 8, min(size) // 4)
    # Near the middle, so the face survives any crop or letterbox.
    cx = rng.randint(max(radius, width // 4), min(width - radius, width * 3 // 4))
    cy = rng.randint(
        max(radius * 2, height // 3), max(radius * 2, min(height - radius, height * 2 // 3))
    )
    fur = tuple(rng.randint(30, 255) for _ in range(3))
    ear = int(radius * 0.9)
    draw.polygon(
        [(cx - radius, cy - radius // 3), (cx - radius // 2, cy - radius - ear), (cx, cy - radius)],
        fill=fur,
    )
    draw.polygon(
        [(cx + radius, cy - radius // 3), (cx + radius // 2, cy - radius - ear), (cx, cy - radius)],
        fill=fur,
    )
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=fur)
    eye = max(radius // 6, 2)
    for side in (-1, 1):
        ex = cx + side * radius // 2
        draw.ellipse((ex - eye, cy - eye, ex + eye, cy + eye), fill=(250, 250, 240))
        draw.ellipse((ex - eye // 2, cy - eye, ex + eye // 2, cy + eye), fill=(20, 20, 30))
        for dy in (-eye, 0, eye):
            draw.line(
                (
                    cx + side * radius // 4,
                    cy + radius // 3,
                    cx + side * radius,
                    cy + radius // 3 + dy,
                ),
                fill=(40, 30, 30),
                width=max(radius // 40, 1),
            )
    nose = max(radius // 10, 2)
    draw.polygon(
        [
            (cx - nose, cy + radius // 5),
            (cx + nose, cy + radius // 5),
            (cx, cy + radius // 5 + nose),
        ],
        fill=(240, 120, 150),
    )


def render_picture(rng: random.Random, size: tuple[int, int], fmt: str) -> bytes:
    """A gradient background with sparkles and a cat face, encoded as `fmt`."""
    start, end = rng.choice(_PALETTES)
    gradient = Image.linear_gradient("L").rotate(
        rng.randint(0, 359), Image.Resampling.BILINEAR, expand=True
    )
    # The centre of the rotated square has no empty corners.
    cx, cy = gradient.width // 2, gradient.height // 2
    gradient = gradient.crop((cx - 90, cy - 90, cx + 90, cy + 90))
    gradient = gradient.resize(size, Image.Resampling.BILINEAR)
    picture = ImageOps.colorize(gradient, start, end)
    draw = ImageDraw.Draw(picture)
    for _ in range(rng.randint(6, 16)):
        r = rng.randint(3, max(min(size) // 30, 4))
        x, y = rng.randint(0, size[0]), rng.randint(0, size[1])
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randint(180, 255) for _ in "rgb"))
    _draw_cat(draw, rng, size)
    out = io.BytesIO()
    if fmt == "GIF":
        frames = [picture.convert("P", palette=Image.Palette.ADAPTIVE, colors=64)]
        # Every other GIF is a two-frame animation: the thumbnail uses the first frame.
        if rng.random() < 0.5:
            frames.append(ImageOps.mirror(picture).convert("P", palette=Image.Palette.ADAPTIVE))
        frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=400)
    elif fmt == "JPEG":
        picture.save(out, format="JPEG", quality=85)
    elif fmt == "WEBP":
        picture.save(out, format="WEBP", quality=80, method=0)
    else:
        picture.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def demo_images(count: int) -> Iterator[DemoImage]:
    """`count` demo pictures with their catalog links, the same on every run."""
    category_names = [name for name, *_ in CATEGORIES if name != "Ecchi"]
    for index in range(count):
        rng = random.Random(f"nekosite-demo-{index}")
        shape = _ORIENTATIONS[index % 3]
        fmt = _FORMATS[index % 4]
        size = rng.choice(_SIZES[shape])
        if index % 15 == 11:
            nsfw = "nsfw"
        elif index % 9 == 7:
            nsfw = "questionable"
        else:
            nsfw = "sfw"
        characters = rng.sample([c["name"] for c in CHARACTERS], k=rng.choice([1, 1, 2]))
        categories = rng.sample(category_names, k=rng.randint(1, 3))
        if nsfw != "sfw":
            categories.append("Ecchi")
        artist = None if index % 8 == 5 else ARTISTS[rng.randrange(len(ARTISTS))]
        source_name, source_url = None, None
        if index % 3 != 2:
            source_name, base = rng.choice(SOURCES)
            source_url = f"{base}{100000 + index * 7919}"
        yield DemoImage(
            data=render_picture(rng, size, fmt),
            filename=f"demo-{index:03d}.{fmt.lower().replace('jpeg', 'jpg')}",
            artist=artist,
            categories=categories,
            characters=characters,
            source_name=source_name,
            source_url=source_url,
            nsfw=nsfw,
            original=rng.choice([True, True, False, None]),
        )
