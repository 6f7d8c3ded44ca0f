"""The catalog's write API (issue #22) in seed 003's conventions (PluralKit):

"On `PATCH` endpoints, missing fields from the JSON request will be ignored and preserved as is,
but on `POST` endpoints will be set to `null` or cleared."
"For models that have them, the keys `id`, `uuid` and `created` are **not** user-settable."
"Endpoints taking JSON bodies (eg. most `PATCH` and `PUT` endpoints) require the
`Content-Type: application/json` header set."
"""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.models import Permission
from django.core.files.storage import storages
from django.test import Client
from django.test.utils import override_settings

from accounts.models import User
from accounts.services import token_issue
from catalog import services
from catalog.models import Artist, Category, Character, Image, ModerationStatus
from catalog.tests.api.conftest import assert_error, bearer
from catalog.tests.factories import (
    image_bytes,
    ingest_image,
    make_artist,
    make_category,
    make_character,
    make_image,
)

pytestmark = pytest.mark.django_db

JSON = "application/json"
NOT_FOUND = "Could not find image with the provided ID."


def _token(user: User, scopes: list[str]) -> dict[str, Any]:
    return bearer(token_issue(user=user, kind="api", scopes=scopes)[1])


@pytest.fixture
def submitter(db: None) -> User:
    return User.objects.create_user("submitter", "s@example.com", "a long password 123")


@pytest.fixture
def submit_auth(submitter: User) -> dict[str, Any]:
    return _token(submitter, ["image:submit"])


@pytest.fixture
def boss(db: None) -> User:
    return User.objects.create_superuser("boss", "boss@example.com", "a long password 123")


@pytest.fixture
def staff_auth(boss: User) -> dict[str, Any]:
    """A superuser's token: staff with every admin permission."""
    return _token(boss, [])


def submit(client: Client, auth: dict[str, Any], **fields: Any) -> Any:
    fields.setdefault("file", io.BytesIO(image_bytes()))
    if isinstance(fields["file"], io.BytesIO):
        fields["file"].name = "picture.png"
    return client.post("/api/v1/image", fields, **auth)


def send(client: Client, method: str, path: str, body: Any, auth: dict[str, Any]) -> Any:
    return getattr(client, method)(path, json.dumps(body), content_type=JSON, **auth)


def assert_invalid(response: Any, **reasons: str) -> dict[str, str]:
    """A 400 naming each field (message and `errors`), each reason containing the text given."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["success"] is False and body["code"] == 400
    assert set(body["errors"]) == set(reasons), body
    for field, text in reasons.items():
        assert text in body["errors"][field], body
        assert f"{field}: " in body["message"]
    return body["errors"]


# --- POST /api/v1/image: submissions ---------------------------------------------------------


def test_submit_needs_a_token(client: Client) -> None:
    assert_error(submit(client, {}), 401, "You have not provided a token.")


def test_submit_needs_the_image_submit_scope(client: Client, submitter: User) -> None:
    response = submit(client, _token(submitter, ["image:list"]))
    assert_error(
        response, 403, "The access token provided has not got permission to submit images."
    )
    assert not Image.objects.exists()


def test_submit_creates_a_pending_image_with_its_fields(
    client: Client, submit_auth: dict[str, Any], submitter: User
) -> None:
    artist = make_artist()
    catgirl, maid = make_category(name="catgirl"), make_category(name="maid")
    character = make_character()

    response = submit(
        client,
        submit_auth,
        artist=str(artist.pk),
        categories=[str(maid.pk), str(catgirl.pk)],
        characters=[str(character.pk)],
        source_name="pixiv",
        source_url="https://example.com/art/1",
        nsfw="questionable",
        original="true",
    )

    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["status"] == "pending_review"
    assert data["artist"] == str(artist.pk)
    assert [c["name"] for c in data["categories"]] == ["catgirl", "maid"]
    assert [c["id"] for c in data["characters"]] == [str(character.pk)]
    assert data["source"] == {"name": "pixiv", "url": "https://example.com/art/1"}
    assert (data["nsfw"], data["original"]) == ("questionable", True)
    assert data["meta"]["mimetype"] == "image/png"
    image = Image.objects.get(pk=data["id"])
    assert image.submitted_by == submitter and image.status == ModerationStatus.PENDING_REVIEW


def test_submit_without_optional_fields_leaves_them_null(
    client: Client, submit_auth: dict[str, Any]
) -> None:
    data = submit(client, submit_auth).json()["data"]
    assert data["artist"] is None and data["original"] is None
    assert data["source"] == {"name": None, "url": None}
    assert (data["categories"], data["characters"], data["nsfw"]) == ([], [], "sfw")


def test_a_submission_is_invisible_until_approved_then_public(
    client: Client, submit_auth: dict[str, Any], boss: User
) -> None:
    category = make_category(name="catgirl")
    image_id = submit(client, submit_auth, categories=[str(category.pk)]).json()["data"]["id"]

    assert_error(client.get(f"/api/v1/image/{image_id}"), 404, NOT_FOUND)
    assert client.get("/api/v1/image/random?categories=catgirl").json()["data"] == []
    assert client.get(f"/api/v1/category/{category.pk}").json()["data"]["images"] == 0

    services.submission_approve(images=Image.objects.filter(pk=image_id), reviewer=boss)

    assert client.get(f"/api/v1/image/{image_id}").status_code == 200
    drawn = client.get("/api/v1/image/random?categories=catgirl").json()["data"]
    assert [image["id"] for image in drawn] == [image_id]


def test_submit_names_unknown_and_invalid_fields(
    client: Client, submit_auth: dict[str, Any]
) -> None:
    response = submit(
        client, submit_auth, colour="red", nsfw="spicy", categories=["not-a-uuid"], id="x"
    )
    assert_invalid(
        response,
        colour="unknown field",
        id="cannot be set",
        nsfw="not a valid choice",
        **{"categories.0": "valid UUID"},
    )
    assert not Image.objects.exists()


def test_submit_refuses_ids_of_rows_that_do_not_exist(
    client: Client, submit_auth: dict[str, Any]
) -> None:
    missing = uuid.uuid4()
    response = submit(client, submit_auth, artist=str(missing), characters=[str(missing)])
    assert_invalid(
        response,
        artist=f"No artist has the ID {missing}.",
        characters=f"No character has the ID {missing}.",
    )


def test_submit_needs_a_file(client: Client, submit_auth: dict[str, Any]) -> None:
    response = client.post("/api/v1/image", {"nsfw": "sfw"}, **submit_auth)
    assert_invalid(response, file="No file was submitted.")


def test_submit_refuses_a_file_that_is_not_an_image_and_stores_nothing(
    client: Client, submit_auth: dict[str, Any]
) -> None:
    storage = storages["catalog"]
    before = storage.listdir("images")[1] if storage.exists("images") else []
    response = submit(client, submit_auth, file=io.BytesIO(b"<script>alert(1)</script>"))
    assert_invalid(response, file="")
    assert not Image.objects.exists()
    assert (storage.listdir("images")[1] if storage.exists("images") else []) == before


def test_submit_refuses_a_json_body(client: Client, submit_auth: dict[str, Any]) -> None:
    response = client.post("/api/v1/image", "{}", content_type=JSON, **submit_auth)
    assert_error(
        response,
        415,
        "Unsupported media type: send JSON bodies with Content-Type: application/json.",
    )


def test_submitting_the_same_bytes_twice_is_a_conflict(
    client: Client, submit_auth: dict[str, Any]
) -> None:
    data = image_bytes()
    assert submit(client, submit_auth, file=io.BytesIO(data)).status_code == 201
    response = submit(client, submit_auth, file=io.BytesIO(data))
    # The first copy is still pending: its ID is not told to anyone.
    assert_error(response, 409, "This image is in the catalog already.")


def test_a_duplicate_of_a_public_image_names_it(
    client: Client, submit_auth: dict[str, Any]
) -> None:
    data = image_bytes()
    public = ingest_image(data=data)
    response = submit(client, submit_auth, file=io.BytesIO(data))
    assert response.status_code == 409
    assert response.json()["id"] == str(public.pk)


@override_settings(SUBMISSIONS_MAX_PENDING=2)
def test_a_user_with_too_many_pending_submissions_must_wait(
    client: Client, submit_auth: dict[str, Any], submitter: User, boss: User
) -> None:
    first = submit(client, submit_auth).json()["data"]["id"]
    assert submit(client, submit_auth).status_code == 201
    response = submit(client, submit_auth)
    assert_error(
        response,
        403,
        "You have 2 submissions waiting for review; submit more once staff have decided on some.",
    )
    services.submission_reject(
        images=Image.objects.filter(pk=first), reviewer=boss, reason="blurry"
    )
    assert submit(client, submit_auth).status_code == 201


@override_settings(MAX_UPLOAD_MB=1)
def test_submit_refuses_a_file_over_the_upload_limit(
    client: Client, submit_auth: dict[str, Any]
) -> None:
    big = io.BytesIO(image_bytes(size=(64, 48)) + b"\0" * (2 * 1024 * 1024))
    response = submit(client, submit_auth, file=big)
    assert_error(response, 413, "The file is larger than the 1 MB upload limit.")
    assert not Image.objects.exists()


def test_submission_is_counted_in_the_generic_update_scope(
    client: Client, submit_auth: dict[str, Any]
) -> None:
    with override_settings(RATELIMIT_ENABLE=True):
        response = submit(client, submit_auth)
    assert response.status_code == 201
    assert response["X-RateLimit-Scope"] == "generic_update"


# --- staff tokens ------------------------------------------------------------------------------


def test_staff_writes_need_a_token(client: Client) -> None:
    image = make_image()
    response = send(client, "patch", f"/api/v1/image/{image.pk}", {"nsfw": "nsfw"}, {})
    assert_error(response, 401, "You have not provided a token.")


def test_a_token_of_someone_not_staff_cannot_write(client: Client, submitter: User) -> None:
    image = make_image()
    auth = _token(submitter, ["image:list", "image:submit"])
    response = send(client, "patch", f"/api/v1/image/{image.pk}", {"nsfw": "nsfw"}, auth)
    assert_error(
        response, 403, "The access token provided has not got permission to change images."
    )
    assert client.delete(f"/api/v1/category/{make_category().pk}", **auth).status_code == 403
    Image.objects.get(pk=image.pk, nsfw="sfw")


def test_staff_need_the_admin_permission_for_the_action(client: Client) -> None:
    moderator = User.objects.create_user("mod", "m@example.com", "a long password 123")
    moderator.is_staff = True
    moderator.save()
    moderator.user_permissions.add(Permission.objects.get(codename="change_artist"))
    auth = _token(moderator, [])
    artist = make_artist(name="before")

    changed = send(client, "patch", f"/api/v1/artist/{artist.pk}", {"name": "after"}, auth)
    assert changed.status_code == 200, changed.content
    assert_error(
        client.delete(f"/api/v1/artist/{artist.pk}", **auth),
        403,
        "The access token provided has not got permission to delete artists.",
    )
    assert_error(
        send(client, "post", "/api/v1/category", {"name": "new"}, auth),
        403,
        "The access token provided has not got permission to add categories.",
    )


def test_a_demoted_moderator_token_stops_writing_at_once(client: Client, boss: User) -> None:
    auth = _token(boss, [])
    artist = make_artist()
    assert send(client, "patch", f"/api/v1/artist/{artist.pk}", {}, auth).status_code == 200
    boss.is_staff = False
    boss.save()
    assert send(client, "patch", f"/api/v1/artist/{artist.pk}", {}, auth).status_code == 403


# --- PATCH / DELETE /api/v1/image/{id} ---------------------------------------------------------


def test_patch_image_keeps_omitted_fields_and_changes_the_given_ones(
    client: Client, staff_auth: dict[str, Any], boss: User
) -> None:
    artist = make_artist()
    old, new = make_category(name="old"), make_category(name="new")
    image = make_image(artist=artist, categories=[old], original=True)

    response = send(
        client,
        "patch",
        f"/api/v1/image/{image.pk}",
        {"nsfw": "nsfw", "categories": [str(new.pk)], "source": {"url": "https://example.org/x"}},
        staff_auth,
    )

    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert (data["nsfw"], data["artist"], data["original"]) == ("nsfw", str(artist.pk), True)
    assert [c["name"] for c in data["categories"]] == ["new"]
    assert data["source"] == {"name": "pixiv", "url": "https://example.org/x"}
    assert data["status"] == "approved"
    # Public readers see it at once (the write bumped the catalog's version).
    assert client.get(f"/api/v1/image/{image.pk}").json()["data"]["nsfw"] == "nsfw"
    entry = LogEntry.objects.get(object_id=str(image.pk))
    assert (entry.action_flag, entry.user_id) == (CHANGE, boss.pk)
    assert entry.change_message == "Changed source, nsfw, categories through the API."


def test_patch_image_null_clears(client: Client, staff_auth: dict[str, Any]) -> None:
    image = make_image(
        artist=make_artist(), categories=[make_category()], characters=[make_character()]
    )
    response = send(
        client,
        "patch",
        f"/api/v1/image/{image.pk}",
        {"artist": None, "categories": None, "characters": None, "source": None, "original": None},
        staff_auth,
    )
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["artist"] is None and data["original"] is None
    assert (data["categories"], data["characters"]) == ([], [])
    assert data["source"] == {"name": None, "url": None}
    # The category's random-draw slots follow its links.
    assert services.slots_check().clean


def test_patch_image_names_each_bad_field_and_changes_nothing(
    client: Client, staff_auth: dict[str, Any]
) -> None:
    image = make_image()
    response = send(
        client,
        "patch",
        f"/api/v1/image/{image.pk}",
        {
            "id": str(uuid.uuid4()),
            "createdAt": "2020-01-01T00:00:00.000Z",
            "nsfw": None,
            "rating": "sfw",
            "source": {"url": "not a url", "title": "x"},
            "original": "maybe",
        },
        staff_auth,
    )
    assert_invalid(
        response,
        id="cannot be set",
        createdAt="cannot be set",
        rating="unknown field",
        nsfw="may not be null",
        original="Must be a JSON boolean",
        **{"source.url": "valid URL", "source.title": "unknown field"},
    )
    assert Image.objects.get(pk=image.pk).source_url == "https://example.com/source"


def test_patch_needs_the_json_content_type(client: Client, staff_auth: dict[str, Any]) -> None:
    image = make_image()
    response = client.patch(
        f"/api/v1/image/{image.pk}", "nsfw=nsfw", content_type="text/plain", **staff_auth
    )
    assert_error(
        response,
        415,
        "Unsupported media type: send JSON bodies with Content-Type: application/json.",
    )


def test_patch_refuses_malformed_json_and_non_objects(
    client: Client, staff_auth: dict[str, Any]
) -> None:
    path = f"/api/v1/image/{make_image().pk}"
    broken = client.patch(path, "{nsfw:", content_type=JSON, **staff_auth)
    assert broken.status_code == 400 and broken.json()["success"] is False
    assert_error(
        send(client, "patch", path, ["nsfw"], staff_auth),
        400,
        "The request body must be a JSON object.",
    )


def test_patch_and_delete_of_an_unknown_or_malformed_id(
    client: Client, staff_auth: dict[str, Any]
) -> None:
    missing = f"/api/v1/image/{uuid.uuid4()}"
    assert_error(send(client, "patch", missing, {}, staff_auth), 404, NOT_FOUND)
    assert_error(client.delete(missing, **staff_auth), 404, NOT_FOUND)
    assert_error(
        client.delete("/api/v1/image/nope", **staff_auth),
        400,
        "The provided ID is not a valid UUID.",
    )


def test_staff_may_edit_a_pending_submission(
    client: Client, staff_auth: dict[str, Any], submitter: User
) -> None:
    image = ingest_image(submitted_by=submitter)
    response = send(client, "patch", f"/api/v1/image/{image.pk}", {"nsfw": "nsfw"}, staff_auth)
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "pending_review"


def test_delete_image_removes_row_and_files_and_is_logged(
    client: Client, staff_auth: dict[str, Any], boss: User, django_capture_on_commit_callbacks: Any
) -> None:
    image = ingest_image()
    storage = storages["catalog"]
    names = [image.file.name, image.thumbnail.name]
    assert all(storage.exists(name) for name in names)

    with django_capture_on_commit_callbacks(execute=True):  # the files go after the commit
        response = client.delete(f"/api/v1/image/{image.pk}", **staff_auth)

    assert response.status_code == 204 and response.content == b""
    assert not Image.objects.filter(pk=image.pk).exists()
    assert not any(storage.exists(name) for name in names)
    assert_error(client.get(f"/api/v1/image/{image.pk}"), 404, NOT_FOUND)
    assert LogEntry.objects.get(object_id=str(image.pk)).action_flag == DELETION
    assert services.slots_check().clean


# --- artists, characters, categories -----------------------------------------------------------


def test_post_artist_creates_it_with_omitted_fields_null(
    client: Client, staff_auth: dict[str, Any], boss: User
) -> None:
    response = send(client, "post", "/api/v1/artist", {"name": "  Mika  "}, staff_auth)
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data == {"id": data["id"], "name": "Mika", "url": None, "images": 0}
    assert client.get(f"/api/v1/artist/{data['id']}").json()["data"]["name"] == "Mika"
    assert LogEntry.objects.get(object_id=data["id"]).action_flag == ADDITION


def test_post_artist_needs_a_name(client: Client, staff_auth: dict[str, Any]) -> None:
    response = send(client, "post", "/api/v1/artist", {"url": "https://x.example"}, staff_auth)
    assert_invalid(response, name="required")
    assert not Artist.objects.exists()


def test_patch_artist_null_clears_the_url_and_keeps_the_name(
    client: Client, staff_auth: dict[str, Any]
) -> None:
    artist = make_artist(name="Mika")
    make_image(artist=artist)
    response = send(client, "patch", f"/api/v1/artist/{artist.pk}", {"url": None}, staff_auth)
    assert response.json()["data"] == {
        "id": str(artist.pk),
        "name": "Mika",
        "url": None,
        "images": 1,
    }


def test_deleting_an_artist_leaves_their_images_without_one(
    client: Client, staff_auth: dict[str, Any]
) -> None:
    artist = make_artist()
    image = make_image(artist=artist)
    assert client.delete(f"/api/v1/artist/{artist.pk}", **staff_auth).status_code == 204
    assert client.get(f"/api/v1/image/{image.pk}").json()["data"]["artist"] is None
    assert_error(
        client.get(f"/api/v1/artist/{artist.pk}"),
        404,
        "Could not find an artist with the provided ID.",
    )


def test_post_category_refuses_a_name_taken_in_any_case(
    client: Client, staff_auth: dict[str, Any]
) -> None:
    make_category(name="catgirl")
    response = send(client, "post", "/api/v1/category", {"name": "CatGirl"}, staff_auth)
    assert_invalid(response, name="A category named 'CatGirl' exists already.")


def test_patch_category_null_description_shows_null_and_renaming_to_itself_is_fine(
    client: Client, staff_auth: dict[str, Any]
) -> None:
    category = make_category(name="maid", description="Maids.")
    response = send(
        client,
        "patch",
        f"/api/v1/category/{category.pk}",
        {"name": "Maid", "description": None, "nsfw": True},
        staff_auth,
    )
    data = response.json()["data"]
    assert (data["name"], data["description"], data["nsfw"]) == ("Maid", None, True)
    assert Category.objects.get(pk=category.pk).description == ""


def test_deleting_a_category_unlinks_its_images_and_keeps_the_slots_dense(
    client: Client, staff_auth: dict[str, Any]
) -> None:
    category, other = make_category(name="catgirl"), make_category(name="maid")
    images = [make_image(categories=[category, other]) for _ in range(3)]
    assert client.delete(f"/api/v1/category/{category.pk}", **staff_auth).status_code == 204
    data = client.get(f"/api/v1/image/{images[0].pk}").json()["data"]
    assert [c["name"] for c in data["categories"]] == ["maid"]
    assert_error(
        client.get("/api/v1/image/random?categories=catgirl"),
        400,
        "One or more categories selected do not exist.",
    )
    assert services.slots_check().clean


def test_post_character_with_lists_and_invalid_ages(
    client: Client, staff_auth: dict[str, Any]
) -> None:
    created = send(
        client,
        "post",
        "/api/v1/character",
        {"name": "Kaguya", "ages": [17], "occupations": ["Student council president"]},
        staff_auth,
    )
    assert created.status_code == 201, created.content
    data = created.json()["data"]
    assert (data["ages"], data["occupations"], data["gender"]) == (
        [17],
        ["Student council president"],
        None,
    )
    character = f"/api/v1/character/{data['id']}"
    cleared = send(client, "patch", character, {"ages": None, "source": "Love is War"}, staff_auth)
    assert (cleared.json()["data"]["ages"], cleared.json()["data"]["source"]) == ([], "Love is War")
    assert Character.objects.get(pk=data["id"]).ages == []
    bad = send(client, "patch", character, {"ages": [-1, "x"]}, staff_auth)
    assert_invalid(
        bad, **{"ages.0": "greater than or equal to 0", "ages.1": "Must be a JSON integer."}
    )


def test_every_write_operation_is_in_the_schema(client: Client) -> None:
    paths = client.get("/api/schema/?format=json").json()["paths"]
    assert "post" in paths["/api/v1/image"]
    assert "multipart/form-data" in paths["/api/v1/image"]["post"]["requestBody"]["content"]
    for kind in ("image", "artist", "character", "category"):
        assert {"patch", "delete"} <= set(paths[f"/api/v1/{kind}/{{id}}"]), kind
        if kind != "image":
            assert "post" in paths[f"/api/v1/{kind}"], kind
    assert "400" in paths["/api/v1/artist/{id}"]["patch"]["responses"]


def test_json_values_must_have_the_documented_type(
    client: Client, staff_auth: dict[str, Any]
) -> None:
    """DRF alone would store 0 as the name "0", take "true" for true and 7 as a UUID."""
    response = send(
        client,
        "post",
        "/api/v1/category",
        {"name": 0, "nsfw": "true", "description": -3, "type": ["x"]},
        staff_auth,
    )
    assert_invalid(
        response,
        name="Must be a JSON string.",
        nsfw="Must be a JSON boolean",
        description="Must be a JSON string.",
        type="Must be a JSON string.",
    )
    image = make_image()
    response = send(
        client, "patch", f"/api/v1/image/{image.pk}", {"artist": 7, "categories": [1]}, staff_auth
    )
    assert_invalid(response, artist="Must be a valid UUID.", **{"categories.0": "valid UUID"})
    assert not Category.objects.exists() or Category.objects.filter(name="0").count() == 0
