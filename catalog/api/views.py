"""The Nekos API v1 catalog endpoints (seed 002) under /api/v1.

Views are thin: read parameters and the token (catalog/api/inputs.py), call one selector, write
the wire format (catalog/api/wire.py). Errors are raised as ApiError and rendered in the
envelope by nekosite.lib.errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import ratelimit, scopes
from accounts.models import Token
from catalog import selectors
from catalog.api import editing, inputs, schema, wire, writes
from catalog.api.auth import CatalogTokenAuthentication
from catalog.api.renderers import JsonOnlyNegotiation, OrjsonRenderer
from catalog.models import Artist, Category, Character
from catalog.search import SearchError
from catalog.selectors import Row
from nekosite.lib.errors import ApiError
from nekosite.lib.slowbody import accepts_files

BASE_API_ROUTE = "/api/v1"
ENDPOINTS = [
    "/",
    "/stats",
    "/token",
    "/image",
    "/image/random",
    "/image/{id}",
    "/artist",
    "/artist/{id}",
    "/artist/{id}/images",
    "/character",
    "/character/{id}",
    "/category",
    "/category/{id}",
]
IMAGE_NOT_FOUND_MESSAGE = inputs.IMAGE_NOT_FOUND_MESSAGE
ARTIST_NOT_FOUND_MESSAGE = "Could not find an artist with the provided ID."
CHARACTER_NOT_FOUND_MESSAGE = "Could not find a character with the provided ID."
CATEGORY_NOT_FOUND_MESSAGE = "Could not find a category with the provided ID."


def ok(data: Any) -> HttpResponse:
    """The success envelope, serialised here with orjson: a plain HttpResponse skips DRF's
    template-response and renderer machinery, which costs more than the catalog read itself
    once rows come from the read cache."""
    return editing.answer(data)


class CatalogView(APIView):
    """JSON only, rendered with orjson; no session authentication, no CSRF.

    A token is optional (AllowAny tells the schema so); views that need one say so below.
    """

    renderer_classes = [OrjsonRenderer]
    content_negotiation_class = JsonOnlyNegotiation
    authentication_classes = [CatalogTokenAuthentication]
    permission_classes = [AllowAny]
    # Seed 003's scopes by method; clients are counted by their catalog token, else their IP.
    ratelimit_scope = ratelimit.GENERIC
    api_token_kind = Token.Kind.API

    def perform_authentication(self, request: Request) -> None:
        """Nothing to do up front: the views read the token themselves (inputs.py), and the
        authentication class above only describes it to the schema."""


class TokenRequiredView(CatalogView):
    """The token is checked in the view (seed 002's sentences); this only marks the schema."""

    permission_classes = []


class RootView(CatalogView):
    @extend_schema(
        operation_id="v1_root",
        summary="API information: endpoints and version",
        responses={
            200: inline_serializer(
                "RootResponse",
                {
                    "success": serializers.BooleanField(),
                    "data": serializers.ListField(child=serializers.CharField()),
                    "meta": inline_serializer(
                        "RootMeta",
                        {
                            "version": serializers.CharField(),
                            "baseApiRoute": serializers.CharField(),
                        },
                    ),
                },
            ),
            401: schema.INVALID_TOKEN,
            429: schema.TOO_MANY_REQUESTS,
        },
    )
    def get(self, request: Request) -> HttpResponse:
        inputs.optional_token(request)
        return Response(
            {
                "success": True,
                "data": ENDPOINTS,
                "meta": {"version": settings.API_VERSION, "baseApiRoute": BASE_API_ROUTE},
            }
        )


class StatsView(CatalogView):
    @extend_schema(
        operation_id="v1_stats",
        summary="Current API statistics",
        responses={
            200: schema.envelope(
                "StatsResponse",
                inline_serializer(
                    "Stats",
                    {
                        "images": inline_serializer(
                            "ImageStats",
                            {
                                "count": serializers.IntegerField(),
                                "nsfw": inline_serializer(
                                    "NsfwStats",
                                    {
                                        "sfw": serializers.IntegerField(),
                                        "questionable": serializers.IntegerField(),
                                        "nsfw": serializers.IntegerField(),
                                    },
                                ),
                            },
                        ),
                        "artists": inline_serializer(
                            "ArtistStats", {"count": serializers.IntegerField()}
                        ),
                        "characters": inline_serializer(
                            "CharacterStats", {"count": serializers.IntegerField()}
                        ),
                        "categories": inline_serializer(
                            "CategoryStats", {"count": serializers.IntegerField()}
                        ),
                    },
                ),
            ),
            401: schema.INVALID_TOKEN,
            429: schema.TOO_MANY_REQUESTS,
        },
    )
    def get(self, request: Request) -> HttpResponse:
        inputs.optional_token(request)
        stats = selectors.catalog_stats()
        images = stats["images"]
        return ok(
            {
                "images": {
                    "count": images["count"],
                    "nsfw": {
                        "sfw": images["sfw"],
                        "questionable": images["questionable"],
                        "nsfw": images["nsfw"],
                    },
                },
                "artists": {"count": stats["artists"]},
                "characters": {"count": stats["characters"]},
                "categories": {"count": stats["categories"]},
            }
        )


class TokenView(TokenRequiredView):
    @extend_schema(
        operation_id="v1_token",
        summary="Information about the current access token",
        responses={
            200: schema.envelope(
                "TokenResponse",
                inline_serializer(
                    "TokenInfo",
                    {
                        "owner": serializers.CharField(),
                        "purpose": serializers.CharField(allow_null=True),
                        "scopes": serializers.ListField(child=serializers.CharField()),
                        "issuedBy": serializers.CharField(allow_null=True),
                        "createdAt": serializers.DateTimeField(),
                        "expires": serializers.DateTimeField(allow_null=True),
                    },
                ),
            ),
            401: schema.error(inputs.NO_TOKEN_MESSAGE, inputs.TOKEN_NOT_VALID_MESSAGE),
            429: schema.TOO_MANY_REQUESTS,
        },
    )
    def get(self, request: Request) -> HttpResponse:
        token = inputs.required_token(request, inputs.TOKEN_NOT_VALID_MESSAGE)
        return ok(
            {
                "owner": token.user.username,
                "purpose": token.application.purpose if token.application else None,
                "scopes": list(token.scopes),
                "issuedBy": token.issued_by.username if token.issued_by else None,
                "createdAt": wire.timestamp(token.created_at),
                "expires": wire.timestamp(token.expires_at),
            }
        )


IMAGE_LIST_RESPONSE = schema.envelope("ImageListResponse", schema.ImageSerializer(many=True))
EXPIRY_FORBIDDEN = schema.error(inputs.NO_EXPIRY_PERMISSION_MESSAGE, inputs.EXPIRY_TOO_LONG_MESSAGE)


@accepts_files  # POST: an image up to MAX_UPLOAD_MB
class ImageListView(TokenRequiredView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="v1_image_list",
        summary="All images (needs a token with the image:list scope)",
        parameters=[schema.LIMIT, schema.OFFSET, schema.EXPIRY],
        responses={
            200: IMAGE_LIST_RESPONSE,
            400: schema.error(inputs.LIMIT_MESSAGE, inputs.OFFSET_MESSAGE, inputs.EXPIRY_MESSAGE),
            401: schema.error(inputs.NO_TOKEN_MESSAGE, inputs.TOKEN_NOT_VALID_MESSAGE),
            403: schema.error(
                inputs.NO_LIST_PERMISSION_MESSAGE,
                inputs.NO_EXPIRY_PERMISSION_MESSAGE,
                inputs.EXPIRY_TOO_LONG_MESSAGE,
            ),
            429: schema.TOO_MANY_REQUESTS,
        },
    )
    def get(self, request: Request) -> HttpResponse:
        token = inputs.required_token(request, inputs.TOKEN_NOT_VALID_MESSAGE)
        if not scopes.has_scope(token.scopes, scopes.IMAGE_LIST):
            raise ApiError(inputs.NO_LIST_PERMISSION_MESSAGE, 403)
        limit = inputs.limit(request)
        offset = inputs.offset(request)
        expires = inputs.link_expiry(request, token)
        rows = selectors.image_list(limit=limit, offset=offset)
        return ok(wire.ImageWriter(expires).images(rows))

    @extend_schema(**editing.image_submit_schema())
    def post(self, request: Request) -> HttpResponse:
        return editing.image_submit(request)


class ImageRandomView(CatalogView):
    @extend_schema(
        operation_id="v1_image_random",
        summary="Random images, optionally having all the given categories",
        parameters=[schema.CATEGORIES, schema.LIMIT, schema.EXPIRY],
        responses={
            200: IMAGE_LIST_RESPONSE,
            400: schema.error(
                inputs.CATEGORIES_MESSAGE, inputs.RANDOM_LIMIT_MESSAGE, inputs.EXPIRY_MESSAGE
            ),
            401: schema.error(inputs.TOKEN_NOT_VALID_MESSAGE, inputs.NO_TOKEN_MESSAGE),
            403: EXPIRY_FORBIDDEN,
            429: schema.TOO_MANY_REQUESTS,
        },
    )
    def get(self, request: Request) -> HttpResponse:
        token = inputs.optional_token(request, inputs.TOKEN_NOT_VALID_MESSAGE)
        limit = inputs.limit(request, inputs.RANDOM_LIMIT_MESSAGE)
        expires = inputs.link_expiry(request, token)
        names = inputs.category_names(request)
        category_ids = selectors.categories_resolve(names=names) if names else []
        if category_ids is None:
            raise ApiError(inputs.CATEGORIES_MESSAGE, 400)
        rows = selectors.image_random(limit=limit, category_ids=category_ids)
        return ok(wire.ImageWriter(expires).images(rows))


class ImageDetailView(CatalogView):
    @extend_schema(
        operation_id="v1_image_get",
        summary="An image by its ID",
        parameters=[
            schema.object_id("The ID of the image to get."),
            schema.EXPIRY,
        ],
        responses={
            200: schema.envelope("ImageResponse", schema.ImageSerializer()),
            400: schema.error(inputs.ID_MESSAGE, inputs.EXPIRY_MESSAGE),
            401: schema.error(inputs.TOKEN_INVALID_MESSAGE, inputs.NO_TOKEN_MESSAGE),
            403: EXPIRY_FORBIDDEN,
            404: schema.error(IMAGE_NOT_FOUND_MESSAGE),
            429: schema.TOO_MANY_REQUESTS,
        },
    )
    def get(self, request: Request, id: str) -> HttpResponse:
        token = inputs.optional_token(request)
        image_id = inputs.object_id(id)
        expires = inputs.link_expiry(request, token)
        row = selectors.image_get(image_id=image_id)
        if row is None:
            raise ApiError(IMAGE_NOT_FOUND_MESSAGE, 404)
        return ok(wire.ImageWriter(expires).image(row))

    @extend_schema(**editing.image_patch_schema())
    def patch(self, request: Request, id: str) -> HttpResponse:
        return editing.image_update(request, id)

    @extend_schema(**editing.image_delete_schema())
    def delete(self, request: Request, id: str) -> HttpResponse:
        return editing.image_remove(request, id)


def _list_errors() -> dict[int, OpenApiResponse]:
    return {
        400: schema.error(
            inputs.LIMIT_MESSAGE, inputs.OFFSET_MESSAGE, inputs.SEARCH_TOO_LONG_MESSAGE
        ),
        401: schema.INVALID_TOKEN,
        429: schema.TOO_MANY_REQUESTS,
    }


def _detail_errors(not_found: str) -> dict[int, OpenApiResponse]:
    return {
        400: schema.error(inputs.ID_MESSAGE),
        401: schema.INVALID_TOKEN,
        404: schema.error(not_found),
        429: schema.TOO_MANY_REQUESTS,
    }


def _searched(selector: Callable[..., list[Row]], **kwargs: Any) -> list[Row]:
    try:
        return selector(**kwargs)
    except SearchError as exc:
        raise ApiError(str(exc), 400) from exc


LIST_PARAMETERS = [schema.LIMIT, schema.OFFSET, schema.SEARCH]


class ArtistListView(CatalogView):
    @extend_schema(
        operation_id="v1_artist_list",
        summary="Search for artists or list them all",
        parameters=LIST_PARAMETERS,
        responses={
            200: schema.envelope("ArtistListResponse", schema.ArtistSerializer(many=True)),
            **_list_errors(),
        },
    )
    def get(self, request: Request) -> HttpResponse:
        inputs.optional_token(request)
        rows = _searched(
            selectors.artist_search,
            search=inputs.search(request),
            limit=inputs.limit(request),
            offset=inputs.offset(request),
        )
        return ok([wire.artist(row) for row in rows])

    @extend_schema(
        **editing.record_create_schema(
            "artist",
            writes.ArtistWriteSerializer,
            schema.envelope("ArtistWritten", schema.ArtistDetailSerializer()),
        )
    )
    def post(self, request: Request) -> HttpResponse:
        return editing.record_create(request, Artist, writes.ArtistWriteSerializer, wire.artist)


class ArtistDetailView(CatalogView):
    @extend_schema(
        operation_id="v1_artist_get",
        summary="An artist by ID, with the number of their images",
        parameters=[schema.object_id("The artist's ID.")],
        responses={
            200: schema.envelope("ArtistResponse", schema.ArtistDetailSerializer()),
            **_detail_errors(ARTIST_NOT_FOUND_MESSAGE),
        },
    )
    def get(self, request: Request, id: str) -> HttpResponse:
        inputs.optional_token(request)
        row = selectors.artist_get(artist_id=inputs.object_id(id))
        if row is None:
            raise ApiError(ARTIST_NOT_FOUND_MESSAGE, 404)
        return ok(wire.with_images(wire.artist(row), row))

    @extend_schema(
        **editing.record_patch_schema(
            "artist",
            writes.ArtistWriteSerializer,
            schema.envelope("ArtistChanged", schema.ArtistDetailSerializer()),
            ARTIST_NOT_FOUND_MESSAGE,
        )
    )
    def patch(self, request: Request, id: str) -> HttpResponse:
        return editing.record_update(
            request, id, Artist, writes.ArtistWriteSerializer, wire.artist, ARTIST_NOT_FOUND_MESSAGE
        )

    @extend_schema(**editing.record_delete_schema("artist", ARTIST_NOT_FOUND_MESSAGE))
    def delete(self, request: Request, id: str) -> HttpResponse:
        return editing.record_remove(request, id, Artist, ARTIST_NOT_FOUND_MESSAGE)


class ArtistImagesView(CatalogView):
    @extend_schema(
        operation_id="v1_artist_images",
        summary="An artist's images",
        parameters=[
            schema.object_id("The artist's ID."),
            schema.LIMIT,
            schema.OFFSET,
            schema.EXPIRY,
        ],
        responses={
            200: IMAGE_LIST_RESPONSE,
            400: schema.error(
                inputs.ID_MESSAGE,
                inputs.LIMIT_MESSAGE,
                inputs.OFFSET_MESSAGE,
                inputs.EXPIRY_MESSAGE,
            ),
            401: schema.error(inputs.TOKEN_INVALID_MESSAGE, inputs.NO_TOKEN_MESSAGE),
            403: EXPIRY_FORBIDDEN,
            404: schema.error(ARTIST_NOT_FOUND_MESSAGE),
            429: schema.TOO_MANY_REQUESTS,
        },
    )
    def get(self, request: Request, id: str) -> HttpResponse:
        token = inputs.optional_token(request)
        artist_id = inputs.object_id(id)
        limit = inputs.limit(request)
        offset = inputs.offset(request)
        expires = inputs.link_expiry(request, token)
        if not selectors.artist_exists(artist_id=artist_id):
            raise ApiError(ARTIST_NOT_FOUND_MESSAGE, 404)
        rows = selectors.artist_image_list(artist_id=artist_id, limit=limit, offset=offset)
        return ok(wire.ImageWriter(expires).images(rows))


class CharacterListView(CatalogView):
    @extend_schema(
        operation_id="v1_character_list",
        summary="Search for characters or list them all",
        parameters=LIST_PARAMETERS,
        responses={
            200: schema.envelope("CharacterListResponse", schema.CharacterSerializer(many=True)),
            **_list_errors(),
        },
    )
    def get(self, request: Request) -> HttpResponse:
        inputs.optional_token(request)
        rows = _searched(
            selectors.character_search,
            search=inputs.search(request),
            limit=inputs.limit(request),
            offset=inputs.offset(request),
        )
        return ok([wire.character(row) for row in rows])

    @extend_schema(
        **editing.record_create_schema(
            "character",
            writes.CharacterWriteSerializer,
            schema.envelope("CharacterWritten", schema.CharacterDetailSerializer()),
        )
    )
    def post(self, request: Request) -> HttpResponse:
        return editing.record_create(
            request, Character, writes.CharacterWriteSerializer, wire.character
        )


class CharacterDetailView(CatalogView):
    @extend_schema(
        operation_id="v1_character_get",
        summary="A character by ID, with the number of images showing them",
        parameters=[schema.object_id("The ID of the character to get.")],
        responses={
            200: schema.envelope("CharacterResponse", schema.CharacterDetailSerializer()),
            **_detail_errors(CHARACTER_NOT_FOUND_MESSAGE),
        },
    )
    def get(self, request: Request, id: str) -> HttpResponse:
        inputs.optional_token(request)
        row = selectors.character_get(character_id=inputs.object_id(id))
        if row is None:
            raise ApiError(CHARACTER_NOT_FOUND_MESSAGE, 404)
        return ok(wire.with_images(wire.character(row), row))

    @extend_schema(
        **editing.record_patch_schema(
            "character",
            writes.CharacterWriteSerializer,
            schema.envelope("CharacterChanged", schema.CharacterDetailSerializer()),
            CHARACTER_NOT_FOUND_MESSAGE,
        )
    )
    def patch(self, request: Request, id: str) -> HttpResponse:
        return editing.record_update(
            request,
            id,
            Character,
            writes.CharacterWriteSerializer,
            wire.character,
            CHARACTER_NOT_FOUND_MESSAGE,
        )

    @extend_schema(**editing.record_delete_schema("character", CHARACTER_NOT_FOUND_MESSAGE))
    def delete(self, request: Request, id: str) -> HttpResponse:
        return editing.record_remove(request, id, Character, CHARACTER_NOT_FOUND_MESSAGE)


class CategoryListView(CatalogView):
    @extend_schema(
        operation_id="v1_category_list",
        summary="Search for categories or list them all",
        parameters=LIST_PARAMETERS,
        responses={
            200: schema.envelope("CategoryListResponse", schema.CategorySerializer(many=True)),
            **_list_errors(),
        },
    )
    def get(self, request: Request) -> HttpResponse:
        inputs.optional_token(request)
        rows = _searched(
            selectors.category_search,
            search=inputs.search(request),
            limit=inputs.limit(request),
            offset=inputs.offset(request),
        )
        return ok([wire.category(row) for row in rows])

    @extend_schema(
        **editing.record_create_schema(
            "category",
            writes.CategoryWriteSerializer,
            schema.envelope("CategoryWritten", schema.CategoryDetailSerializer()),
        )
    )
    def post(self, request: Request) -> HttpResponse:
        return editing.record_create(
            request, Category, writes.CategoryWriteSerializer, wire.category
        )


class CategoryDetailView(CatalogView):
    @extend_schema(
        operation_id="v1_category_get",
        summary="A category by ID, with the number of images having it",
        parameters=[schema.object_id("The ID of the category to get.")],
        responses={
            200: schema.envelope("CategoryResponse", schema.CategoryDetailSerializer()),
            **_detail_errors(CATEGORY_NOT_FOUND_MESSAGE),
        },
    )
    def get(self, request: Request, id: str) -> HttpResponse:
        inputs.optional_token(request)
        row = selectors.category_get(category_id=inputs.object_id(id))
        if row is None:
            raise ApiError(CATEGORY_NOT_FOUND_MESSAGE, 404)
        return ok(wire.with_images(wire.category(row), row))

    @extend_schema(
        **editing.record_patch_schema(
            "category",
            writes.CategoryWriteSerializer,
            schema.envelope("CategoryChanged", schema.CategoryDetailSerializer()),
            CATEGORY_NOT_FOUND_MESSAGE,
        )
    )
    def patch(self, request: Request, id: str) -> HttpResponse:
        return editing.record_update(
            request,
            id,
            Category,
            writes.CategoryWriteSerializer,
            wire.category,
            CATEGORY_NOT_FOUND_MESSAGE,
        )

    @extend_schema(**editing.record_delete_schema("category", CATEGORY_NOT_FOUND_MESSAGE))
    def delete(self, request: Request, id: str) -> HttpResponse:
        return editing.record_remove(request, id, Category, CATEGORY_NOT_FOUND_MESSAGE)
