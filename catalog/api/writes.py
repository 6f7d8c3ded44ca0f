"""Bodies of the catalog's write API (issue #22), in seed 003's conventions (PluralKit):

- JSON bodies need `Content-Type: application/json` (DRF's JSONParser answers 415 otherwise);
  an image is submitted as multipart/form-data (its file, plus fields).
- PATCH: an omitted key is left as it is; `null` clears the value (an empty list, an empty
  description, no artist). POST: an omitted key is null / cleared.
- `id`, `createdAt` and the other computed keys of the wire objects are not settable.
- An unknown key, a key that cannot be set or an invalid value is a 400 whose message names
  each field and why, with the same reasons by field in `errors`.

These serializers only validate: the views hand `validated_data` to catalog.services.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.db.models import Model
from rest_framework import serializers

from catalog.models import Artist, Category, Character, Rating
from nekosite.lib.errors import ApiError

INVALID_BODY_MESSAGE = "The request body must be a JSON object."
UNKNOWN_FIELD = "unknown field"
NOT_SETTABLE = "cannot be set"
# The keys of the wire objects (catalog/api/wire.py) that the server computes.
COMPUTED_KEYS = frozenset({"id", "createdAt", "images", "url", "meta"})


def reasons(errors: Any) -> str:
    """DRF's error detail for one field as one sentence ("Must be a valid UUID.")."""
    if isinstance(errors, list):
        return " ".join(reasons(item) for item in errors if item)
    return str(errors)


def _by_field(errors: Mapping[Any, Any], prefix: str = "") -> dict[str, str]:
    """Nested errors flattened to dotted names: source.url, categories.0."""
    flat: dict[str, str] = {}
    for key, detail in errors.items():
        name = f"{prefix}{key}"
        if isinstance(detail, Mapping):
            flat.update(_by_field(detail, f"{name}."))
        else:
            flat[name] = reasons(detail)
    return flat


def invalid(errors: Mapping[str, Any]) -> ApiError:
    """The 400 naming each field and why: message for people, `errors` for programs."""
    by_field = _by_field(errors)
    listed = "; ".join(f"{field}: {why}" for field, why in by_field.items())
    return ApiError(f"Invalid fields: {listed}", 400, extra={"errors": by_field})


class WriteSerializer(serializers.Serializer):
    """Refuses keys it does not declare (by name, with why) beside the invalid values."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, Mapping):
            if self.parent is None:
                raise ApiError(INVALID_BODY_MESSAGE, 400)
            return super().to_internal_value(data)  # DRF's "Expected a dictionary" error
        extra = {
            key: [NOT_SETTABLE if key in COMPUTED_KEYS else UNKNOWN_FIELD]
            for key in data
            if key not in self.fields
        }
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            detail = exc.detail if isinstance(exc.detail, Mapping) else {"body": exc.detail}
            raise serializers.ValidationError({**extra, **detail}) from exc
        if extra:
            raise serializers.ValidationError(extra)
        return value


def validated(serializer: serializers.Serializer) -> dict[str, Any]:
    """The serializer's validated data, or the 400 that names what is wrong."""
    if not serializer.is_valid():
        raise invalid(serializer.errors)
    return dict(serializer.validated_data)


# Lists in bodies are bounded: nobody tags one image with thousands of things.
MAX_LINKS = 50


class _Existing(serializers.UUIDField):
    """The ID of an existing row of `model`, validated to the row itself."""

    def __init__(self, model: type[Model], noun: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model = model
        self.noun = noun

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):  # DRF would read an integer as a UUID
            raise serializers.ValidationError("Must be a valid UUID.")
        value: uuid.UUID = super().to_internal_value(data)
        found = self.model._default_manager.filter(pk=value).first()
        if found is None:
            raise serializers.ValidationError(f"No {self.noun} has the ID {value}.")
        return found


class StrictUUIDField(serializers.UUIDField):
    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):  # DRF would read an integer as a UUID
            raise serializers.ValidationError("Must be a valid UUID.")
        return super().to_internal_value(data)


class _ExistingList(serializers.ListField):
    """A list of IDs of existing rows (in one query), duplicates dropped, order kept."""

    def __init__(self, model: type[Model], noun: str, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", MAX_LINKS)
        super().__init__(child=StrictUUIDField(), **kwargs)
        self.model = model
        self.noun = noun

    def to_internal_value(self, data: Any) -> Any:
        ids: list[uuid.UUID] = list(dict.fromkeys(super().to_internal_value(data)))
        rows = self.model._default_manager.in_bulk(ids)
        missing = [str(value) for value in ids if value not in rows]
        if missing:
            raise serializers.ValidationError(f"No {self.noun} has the ID {', '.join(missing)}.")
        return [rows[value] for value in ids]


def _artist() -> _Existing:
    return _Existing(
        Artist, "artist", allow_null=True, required=False, help_text="The artist's ID, or null."
    )


def _categories() -> _ExistingList:
    return _ExistingList(
        Category, "category", allow_null=True, required=False, help_text="Category IDs."
    )


def _characters() -> _ExistingList:
    return _ExistingList(
        Character, "character", allow_null=True, required=False, help_text="Character IDs."
    )


_JSON_NAMES = {str: "string", bool: "boolean (true or false)", int: "integer"}


class _Strict:
    """A JSON value of exactly the documented type: DRF would store 0 as "0", take "true" or 1
    for true, "17" for 17, and an integer as a UUID. (Multipart fields are all text: the
    submission form uses DRF's own fields.)"""

    json_types: tuple[type, ...] = (str,)

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, self.json_types) or (
            isinstance(data, bool) and bool not in self.json_types
        ):
            raise serializers.ValidationError(f"Must be a JSON {_JSON_NAMES[self.json_types[0]]}.")
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictCharField(_Strict, serializers.CharField):
    pass


class StrictURLField(_Strict, serializers.URLField):
    pass


class StrictBooleanField(_Strict, serializers.BooleanField):
    json_types = (bool,)


class StrictIntegerField(_Strict, serializers.IntegerField):
    json_types = (int,)


def _rating() -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=Rating.values, required=False)


def _text(max_length: int, **kwargs: Any) -> serializers.CharField:
    return StrictCharField(
        max_length=max_length, allow_null=True, allow_blank=True, required=False, **kwargs
    )


def _url() -> serializers.URLField:
    return StrictURLField(max_length=500, allow_null=True, allow_blank=True, required=False)


class ImageSubmitSerializer(WriteSerializer):
    """POST /api/v1/image, multipart/form-data: the file, then optional fields. Lists are
    repeated fields (`categories=<id>&categories=<id>`)."""

    file = serializers.FileField(help_text="The image: JPEG, PNG, GIF or WebP.")
    artist = _artist()
    categories = _categories()
    characters = _characters()
    source_name = _text(200, help_text="Where the image comes from (e.g. pixiv).")
    source_url = _url()
    nsfw = _rating()
    original = serializers.BooleanField(allow_null=True, required=False, default=None)


class ImageSourceWriteSerializer(WriteSerializer):
    name = _text(200)
    url = _url()


class ImagePatchSerializer(WriteSerializer):
    """PATCH /api/v1/image/{id}: the settable keys of the image object."""

    artist = _artist()
    source = ImageSourceWriteSerializer(  # type: ignore[assignment]  # a field, not Field.source
        required=False,
        allow_null=True,
        help_text="Either key may be left out; null clears it (null for the object clears both).",
    )
    nsfw = _rating()
    original = StrictBooleanField(allow_null=True, required=False)
    categories = _categories()
    characters = _characters()


def _name(max_length: int) -> serializers.CharField:
    return StrictCharField(max_length=max_length, trim_whitespace=True)


class ArtistWriteSerializer(WriteSerializer):
    name = _name(200)
    url = _url()


class CategoryWriteSerializer(WriteSerializer):
    name = _name(100)
    description = _text(10_000)
    nsfw = StrictBooleanField(required=False)
    type = StrictCharField(max_length=50, required=False)

    def validate_name(self, value: str) -> str:
        others = Category.objects.filter(name__iexact=value)
        current = self.context.get("instance")
        if current is not None:
            others = others.exclude(pk=current.pk)
        if others.exists():
            raise serializers.ValidationError(f"A category named {value!r} exists already.")
        return value


class CharacterWriteSerializer(WriteSerializer):
    name = _name(200)
    description = _text(10_000)
    source = _text(200)  # type: ignore[assignment]  # a field, not Field.source
    gender = _text(50)
    ages = serializers.ListField(
        child=StrictIntegerField(min_value=0, max_value=1_000_000),
        allow_null=True,
        required=False,
        max_length=MAX_LINKS,
    )
    birth_date = _text(50)
    nationality = _text(100)
    occupations = serializers.ListField(
        child=StrictCharField(max_length=100),
        allow_null=True,
        required=False,
        max_length=MAX_LINKS,
    )
