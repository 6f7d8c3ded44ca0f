"""The write half of /api/v1 (issue #22): submissions and staff edits, called by the views.

`POST /api/v1/image` takes a submission from a token with the `image:submit` scope (pending
until staff approve it). Staff tokens (their owner active staff with the admin permission for
the action) `POST` artists, characters and categories, and `PATCH` / `DELETE` those and images.
Bodies are validated in catalog/api/writes.py and written by catalog.services; answers are the
objects of the read API (catalog/api/wire.py), read afresh from the database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request

from catalog import selectors, services
from catalog.api import inputs, schema, wire, writes
from catalog.api.renderers import OrjsonRenderer
from catalog.models import Artist, Category, Character, Image, ModerationStatus
from catalog.selectors import Row
from nekosite.lib.errors import ApiError
from nekosite.lib.imagemeta import ImageRejected
from uploads.uploadhandlers import install_limited_handler, reject_oversized_content_length

Record = Artist | Category | Character
Writer = Callable[[Row], dict[str, Any]]

DUPLICATE_MESSAGE = "This image is in the catalog already."


def answer(data: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(
        orjson.dumps({"success": True, "data": data}),
        status=status,
        content_type=OrjsonRenderer.media_type,
    )


def deleted() -> HttpResponse:
    """PluralKit answers a DELETE with 204 No Content."""
    return HttpResponse(status=204)


def _image_object(image: Image) -> dict[str, Any]:
    row = selectors.image_fresh(image_id=image.pk)
    assert row is not None  # written in this request
    return {**wire.ImageWriter().image(row), "status": image.status}


# --- images -------------------------------------------------------------------------------------


def image_submit(request: Request) -> HttpResponse:
    user = inputs.submitter(request)
    raw = request._request
    reject_oversized_content_length(raw)  # 413 before a byte of the body is read
    install_limited_handler(raw)  # and while it streams in, whatever Content-Length said
    fields = writes.validated(writes.ImageSubmitSerializer(data=request.data))
    upload = fields.pop("file")
    try:
        image = services.submission_create(
            user=user,
            file=upload,
            filename=upload.name or "",
            artist=fields.get("artist"),
            categories=fields.get("categories") or (),
            characters=fields.get("characters") or (),
            source_name=fields.get("source_name") or None,
            source_url=fields.get("source_url") or None,
            nsfw=fields.get("nsfw") or "sfw",
            original=fields.get("original"),
        )
    except services.SubmissionLimit as exc:
        raise ApiError(str(exc), 403) from exc
    except ImageRejected as exc:
        raise writes.invalid({"file": exc.message}) from exc
    except services.ImageDuplicate as exc:
        # The existing image's ID only when the public may see it: a pending or rejected
        # submission of somebody else's stays unknown.
        known = {"id": str(exc.existing.pk)} if exc.existing.is_public else {}
        raise ApiError(DUPLICATE_MESSAGE, 409, extra=known) from exc
    return answer(_image_object(image), 201)


def _image(object_id: str) -> Image:
    """Any image, whatever its status: staff edit submissions too."""
    image = Image.objects.filter(pk=inputs.object_id(object_id)).first()
    if image is None:
        raise ApiError(inputs.IMAGE_NOT_FOUND_MESSAGE, 404)
    return image


def image_update(request: Request, object_id: str) -> HttpResponse:
    user = inputs.staff_member(request, action="change", model=Image)
    image = _image(object_id)
    changes = writes.validated(writes.ImagePatchSerializer(data=request.data, partial=True))
    image = services.image_patch(image=image, changes=changes, by=user)
    return answer(_image_object(image))


def image_remove(request: Request, object_id: str) -> HttpResponse:
    user = inputs.staff_member(request, action="delete", model=Image)
    services.image_delete_logged(image=_image(object_id), by=user)
    return deleted()


# --- artists, characters, categories --------------------------------------------------------


def _record_object(model: type[Record], obj: Record, writer: Writer) -> dict[str, Any]:
    row = selectors.record_fresh(model=model, object_id=obj.pk)
    assert row is not None  # written in this request
    return wire.with_images(writer(row), row)


def record_create(
    request: Request, model: type[Record], serializer: type[writes.WriteSerializer], writer: Writer
) -> HttpResponse:
    user = inputs.staff_member(request, action="add", model=model)
    values = writes.validated(serializer(data=request.data))
    obj = services.record_create(model=model, values=values, by=user)
    return answer(_record_object(model, obj, writer), 201)


def _record(model: type[Record], object_id: str, not_found: str) -> Record:
    obj = model.objects.filter(pk=inputs.object_id(object_id)).first()
    if obj is None:
        raise ApiError(not_found, 404)
    return obj


def record_update(
    request: Request,
    object_id: str,
    model: type[Record],
    serializer: type[writes.WriteSerializer],
    writer: Writer,
    not_found: str,
) -> HttpResponse:
    user = inputs.staff_member(request, action="change", model=model)
    obj = _record(model, object_id, not_found)
    changes = writes.validated(
        serializer(data=request.data, partial=True, context={"instance": obj})
    )
    obj = services.record_update(obj=obj, changes=changes, by=user)
    return answer(_record_object(model, obj, writer))


def record_remove(
    request: Request, object_id: str, model: type[Record], not_found: str
) -> HttpResponse:
    user = inputs.staff_member(request, action="delete", model=model)
    services.record_delete(obj=_record(model, object_id, not_found), by=user)
    return deleted()


# --- the schema ---------------------------------------------------------------------------------

STAFF_401 = schema.error(inputs.NO_TOKEN_MESSAGE, inputs.TOKEN_INVALID_MESSAGE)
STAFF_403 = schema.error(
    "The access token provided has not got permission to <action> <things>: its owner is not "
    "active staff with that admin permission."
)
INVALID_FIELDS = OpenApiResponse(
    schema.FieldErrorSerializer,
    description=(
        "Invalid fields: each unknown key, key that cannot be set (id, createdAt...) or invalid "
        "value, named with why (in `message`, and by field in `errors`)."
    ),
)
UNSUPPORTED = schema.error(
    "Unsupported media type: send JSON bodies with Content-Type: application/json."
)
DELETED = OpenApiResponse(description="Deleted; no body.")

IMAGE_WRITTEN = schema.envelope(
    "ImageWriteResponse",
    inline_serializer(
        "WrittenImage",
        {
            **schema.ImageSerializer().get_fields(),
            "status": serializers.ChoiceField(
                choices=ModerationStatus.values,
                help_text="Moderation status: a submission is pending_review until staff decide.",
            ),
        },
    ),
)


def image_submit_schema() -> dict[str, Any]:
    return {
        "operation_id": "v1_image_submit",
        "summary": "Submit an image for review (needs a token with the image:submit scope)",
        "description": (
            "multipart/form-data: `file` and optional fields (`categories` and `characters` "
            "repeated, one ID each). The image stays invisible to the public API and the gallery "
            "until staff approve it; its `url` answers 404 until then."
        ),
        "request": {"multipart/form-data": writes.ImageSubmitSerializer},
        "responses": {
            201: IMAGE_WRITTEN,
            400: INVALID_FIELDS,
            401: schema.error(inputs.NO_TOKEN_MESSAGE, inputs.TOKEN_NOT_VALID_MESSAGE),
            403: schema.error(inputs.NO_SUBMIT_PERMISSION_MESSAGE, "Too many submissions waiting."),
            409: schema.error(DUPLICATE_MESSAGE),
            413: schema.error("The file is larger than the upload limit."),
            415: UNSUPPORTED,
            429: schema.TOO_MANY_REQUESTS,
        },
    }


def image_patch_schema() -> dict[str, Any]:
    return {
        "operation_id": "v1_image_update",
        "summary": "Change an image (staff): omitted keys stay, null clears",
        "parameters": [schema.object_id("The ID of the image to change.")],
        "request": writes.ImagePatchSerializer,
        "responses": _write_errors(IMAGE_WRITTEN, inputs.IMAGE_NOT_FOUND_MESSAGE),
    }


def image_delete_schema() -> dict[str, Any]:
    return {
        "operation_id": "v1_image_delete",
        "summary": "Delete an image and its files (staff)",
        "parameters": [schema.object_id("The ID of the image to delete.")],
        "request": None,
        "responses": _delete_errors(inputs.IMAGE_NOT_FOUND_MESSAGE),
    }


def _write_errors(written: Any, not_found: str | None) -> dict[int, Any]:
    responses: dict[int, Any] = {
        400: INVALID_FIELDS,
        401: STAFF_401,
        403: STAFF_403,
        415: UNSUPPORTED,
        429: schema.TOO_MANY_REQUESTS,
    }
    if not_found is None:
        return {201: written, **responses}
    return {200: written, **responses, 404: schema.error(not_found)}


def _delete_errors(not_found: str) -> dict[int, Any]:
    return {
        204: DELETED,
        400: schema.error(inputs.ID_MESSAGE),
        401: STAFF_401,
        403: STAFF_403,
        404: schema.error(not_found),
        429: schema.TOO_MANY_REQUESTS,
    }


def record_create_schema(
    kind: str, serializer: type[writes.WriteSerializer], detail: Any
) -> dict[str, Any]:
    return {
        "operation_id": f"v1_{kind}_create",
        "summary": f"Add a {kind} (staff): omitted keys are null or empty",
        "request": serializer,
        "responses": _write_errors(detail, None),
    }


def record_patch_schema(
    kind: str, serializer: type[writes.WriteSerializer], detail: Any, not_found: str
) -> dict[str, Any]:
    return {
        "operation_id": f"v1_{kind}_update",
        "summary": f"Change a {kind} (staff): omitted keys stay, null clears",
        "parameters": [schema.object_id(f"The ID of the {kind} to change.")],
        "request": serializer,
        "responses": _write_errors(detail, not_found),
    }


def record_delete_schema(kind: str, not_found: str) -> dict[str, Any]:
    return {
        "operation_id": f"v1_{kind}_delete",
        "summary": f"Delete a {kind} (staff)",
        "parameters": [schema.object_id(f"The ID of the {kind} to delete.")],
        "request": None,
        "responses": _delete_errors(not_found),
    }
