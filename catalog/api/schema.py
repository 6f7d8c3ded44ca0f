"""OpenAPI description of the wire format (seed 002), for drf-spectacular only.

These serializers document the objects; they are not used at run time (catalog/api/wire.py builds
the objects from plain rows, which is several times faster than nested serializers).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

from catalog.api import inputs
from catalog.models import Orientation, Rating
from nekosite.lib.openapi import NO_CONTROL_PATTERN, ErrorSerializer


class CategorySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField(allow_null=True)
    nsfw = serializers.BooleanField()
    type = serializers.CharField()
    createdAt = serializers.DateTimeField()


class CategoryDetailSerializer(CategorySerializer):
    images = serializers.IntegerField(help_text="How many images have this category.")


class CharacterSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField(allow_null=True)
    # The serializer metaclass moves declared fields off the class (Field.source stays).
    source = serializers.CharField(allow_null=True)  # type: ignore[assignment]
    gender = serializers.CharField(allow_null=True)
    ages = serializers.ListField(child=serializers.IntegerField())
    birth_date = serializers.CharField(allow_null=True)
    nationality = serializers.CharField(allow_null=True)
    occupations = serializers.ListField(child=serializers.CharField())
    createdAt = serializers.DateTimeField()


class CharacterDetailSerializer(CharacterSerializer):
    images = serializers.IntegerField(help_text="How many images show this character.")


class ArtistSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    url = serializers.URLField(allow_null=True)


class ArtistDetailSerializer(ArtistSerializer):
    images = serializers.IntegerField(help_text="How many images this artist made.")


class ImageSourceSerializer(serializers.Serializer):
    name = serializers.CharField(allow_null=True)
    url = serializers.URLField(allow_null=True)


class ImageDimensSerializer(serializers.Serializer):
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    aspectRatio = serializers.CharField(allow_null=True)
    orientation = serializers.ChoiceField(choices=Orientation.values, allow_null=True)


class ImageMetaSerializer(serializers.Serializer):
    eTag = serializers.CharField(allow_null=True)
    size = serializers.IntegerField(allow_null=True)
    mimetype = serializers.CharField(allow_null=True)
    color = serializers.CharField(allow_null=True)
    expires = serializers.DateTimeField(
        allow_null=True, help_text="When a signed link dies; null for permanent links."
    )
    dimens = ImageDimensSerializer()


class ImageSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.URLField()
    artist = serializers.UUIDField(allow_null=True, help_text="The artist's ID.")
    source = ImageSourceSerializer()  # type: ignore[assignment]  # a field, as above
    nsfw = serializers.ChoiceField(choices=Rating.values)
    categories = CategorySerializer(many=True)
    characters = CharacterSerializer(many=True)
    createdAt = serializers.DateTimeField()
    meta = ImageMetaSerializer()
    original = serializers.BooleanField(allow_null=True)


class FieldErrorSerializer(ErrorSerializer):
    """The write API's 400: the envelope plus the reason for each field it names."""

    # The metaclass moves declared fields off the class: Serializer.errors stays a property.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.CharField(),
        required=False,
        help_text="Why each field was refused, by field name (a nested one as source.url).",
    )


def envelope(name: str, data: serializers.Field) -> serializers.Serializer:
    """Seed 001: {"success": Boolean, "data": Object}."""
    return inline_serializer(
        name=name, fields={"success": serializers.BooleanField(), "data": data}
    )


def error(*sentences: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=" / ".join(sentences))


LIMIT = OpenApiParameter(
    "limit",
    {"type": "integer", "minimum": 1, "maximum": 25, "default": 10},
    description="How many objects to return (1 to 25, default 10).",
)
OFFSET = OpenApiParameter(
    "offset",
    {"type": "integer", "minimum": 0, "default": 0},
    description=(
        "How many objects to skip (0 or more, default 0); past the end the page is empty."
    ),
)
EXPIRY = OpenApiParameter(
    "expiry",
    {"type": "integer", "minimum": 31},
    description=(
        "Seconds the image links stay valid (more than 30, at most the token's "
        "image:custom-expiry:<N> scope, else 403); requires a token. Without it links are "
        "permanent."
    ),
)
SEARCH = OpenApiParameter(
    "search",
    {"type": "string", "maxLength": 50, "pattern": NO_CONTROL_PATTERN},
    description=(
        "A search query in the reference's operator language (at most 50 characters, no "
        "control characters). A query that is not a valid pattern (e.g. an unclosed `(`) "
        "is a 400."
    ),
)
CATEGORIES = OpenApiParameter(
    "categories",
    OpenApiTypes.STR,
    description=(
        "Comma-separated category names (at most 10); images must have all of them. "
        "A name that does not exist is a 400."
    ),
)


def object_id(description: str) -> OpenApiParameter:
    return OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description=description)


INVALID_TOKEN = error(inputs.TOKEN_INVALID_MESSAGE)
TOO_MANY_REQUESTS = error("You have made too many requests.")


def v1_paths_hook(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list[tuple[Any, ...]]:
    """drf-spectacular PREPROCESSING_HOOKS entry: /api/v1 is mounted without a trailing slash
    and our patterns write their leading slash as `(?:/)`, which Django's regex simplifier drops
    ("/api/v1stats"); put it back so the schema says /api/v1/stats."""
    fixed = []
    for path, *rest in endpoints:
        if path.startswith("/api/v1") and not path.startswith("/api/v1/") and path != "/api/v1":
            path = "/api/v1/" + path[len("/api/v1") :]
        fixed.append((path, *rest))
    return fixed
