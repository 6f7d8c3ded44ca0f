"""URL map for benchmarks: the real site plus baseline views under /bench/.

Selected with ROOT_URLCONF=bench.urls (settings read it from the environment). The baselines
run through the same middleware stack as the real endpoints, so a ratio isolates the cost of
the endpoint itself.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.models import Category, Character, Image
from nekosite.urls import urlpatterns as site_urlpatterns

_bodies: dict[str, bytes] = {}


def bare(request: HttpRequest, name: str) -> HttpResponse:
    """A constant JSON body: the bytes of a real response, captured by the bench script.

    The body lives in $BENCH_BODY_DIR/<name>.json and is read once per worker, so the view
    costs only Django's request/response cycle.
    """
    body = _bodies.get(name)
    if body is None:
        if not name.isidentifier():
            raise Http404
        directory = Path(os.environ.get("BENCH_BODY_DIR", "/nonexistent"))
        try:
            body = (directory / f"{name}.json").read_bytes()
        except OSError as exc:
            raise Http404 from exc
        _bodies[name] = body
    return HttpResponse(body, content_type="application/json")


class _NaiveCategory(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "description", "nsfw", "type", "created_at"]


class _NaiveCharacter(serializers.ModelSerializer):
    class Meta:
        model = Character
        fields = [
            "id", "name", "description", "source", "gender", "ages", "birth_date",
            "nationality", "occupations", "created_at",
        ]  # fmt: skip


class _NaiveImage(serializers.ModelSerializer):
    categories = _NaiveCategory(many=True, read_only=True)
    characters = _NaiveCharacter(many=True, read_only=True)

    class Meta:
        model = Image
        fields = [
            "id", "file", "artist", "source_name", "source_url", "nsfw", "original",
            "categories", "characters", "created_at", "etag", "size", "mimetype", "color",
            "width", "height", "aspect_ratio", "orientation",
        ]  # fmt: skip


class NaiveImageList(ListAPIView):
    """The textbook DRF way: nested ModelSerializers over a prefetched queryset."""

    serializer_class = _NaiveImage

    def get_queryset(self) -> QuerySet[Image]:
        return Image.objects.prefetch_related("categories", "characters")

    def list(self, request: Request, *args: object, **kwargs: object) -> Response:
        try:
            limit = min(max(int(request.query_params.get("limit", "10")), 1), 25)
        except ValueError:
            limit = 10
        queryset = self.get_queryset()[:limit]
        data = self.get_serializer(queryset, many=True).data
        return Response({"data": data, "success": True})


bench_urlpatterns = [
    path("bench/bare/<str:name>", bare, name="bench-bare"),
    path("bench/naive/image", NaiveImageList.as_view(), name="bench-naive-image"),
]
urlpatterns = [*bench_urlpatterns, *site_urlpatterns]
