"""A real Nekos API v1 client (npm `nekosapi`, its v1 `NekosAPI` class) against our server.

Tried as a new user would: install the published client, point it at this server, call its
methods. The client itself validates tokens as 100 characters of [0-9a-zA-Z] and builds image
objects from exactly seed 002's fields (`meta.eTag`, `meta.dimens`, `original`, …).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from catalog.tests.factories import make_artist, make_category, make_character, make_image

pytestmark = pytest.mark.django_db(transaction=True)
CLIENT_VERSION = "0.7.0"

SCRIPT = """
const { NekosAPI } = require("nekosapi/v1");
(async () => {
  const api = new NekosAPI();
  api.baseUrl = process.argv[2];  // the client's only base-URL knob
  const [artistId, characterId, categoryId] = process.argv.slice(3);
  const out = {};
  out.random = await api.getRandomImages(["Catgirl"], 2);
  out.one = await api.getRandomImage();
  out.artist = await api.getArtistByID(artistId);
  out.artistImages = await api.getImagesByArtistID(artistId, 5, 0);
  out.character = await api.getCharacterByID(characterId);
  out.categories = await api.getCategories(10, 0);
  out.category = await api.getCategoryByID(categoryId);
  try { NekosAPI.validateToken(process.argv[6]); out.tokenAccepted = true; }
  catch (e) { out.tokenAccepted = String(e); }
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
"""


@pytest.fixture(scope="module")
def nekosapi_client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip("node and npm are needed for the real v1 client")
    folder = tmp_path_factory.mktemp("nekosapi-client")
    result = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--silent", f"nekosapi@{CLIENT_VERSION}"],
        cwd=folder, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if result.returncode != 0:
        pytest.skip(f"npm install nekosapi failed: {result.stderr[-300:]}")
    (folder / "run.js").write_text(SCRIPT)
    return folder


def test_the_published_v1_client_works_against_our_server(
    nekosapi_client: Path, live_server: Any, settings: Any
) -> None:
    from accounts.models import User
    from accounts.services import token_issue

    settings.RATELIMIT_ENABLE = True  # the client paces itself to seed 001's 1 request/s
    settings.SITE_URL = live_server.url
    catgirl = make_category(name="Catgirl")
    artist = make_artist(name="Kaguya Artist")
    character = make_character(name="Kaguya Shinomiya")
    image = make_image(artist=artist, categories=[catgirl], characters=[character])
    make_image(categories=[catgirl])
    user = User.objects.create_user("v1client", password="x-Long-passw0rd")
    _, token = token_issue(user=user, kind="api", scopes=["image:list"])

    result = subprocess.run(
        ["node", "run.js", f"{live_server.url}/api/v1/", str(artist.pk), str(character.pk),
         str(catgirl.pk), token],
        cwd=nekosapi_client, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert len(out["random"]) == 2
    assert all(c["name"] == "Catgirl" for img in out["random"] for c in img["categories"][:1])
    picked = out["random"][0]
    assert picked["dimensions"]["aspectRatio"] and picked["etag"] and picked["mimetype"]
    assert picked["url"].startswith(live_server.url)
    assert out["one"]["id"]
    assert out["artist"]["name"] == "Kaguya Artist" and out["artist"]["images"] == 1
    assert [img["id"] for img in out["artistImages"]] == [str(image.pk)]
    assert out["character"]["name"] == "Kaguya Shinomiya"
    assert "Catgirl" in [c["name"] for c in out["categories"]]
    assert out["category"]["images"] == 2
    assert out["tokenAccepted"] is True  # our tokens pass the client's own format check
