"""Public gallery pages (server-rendered) and thumbnail serving."""

from __future__ import annotations

import re
import uuid
from functools import reduce
from operator import or_

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from catalog import search, selectors
from catalog.forms import GalleryFilterForm
from catalog.models import Category, Character, Image, Rating, catalog_storage
from catalog.services import image_thumbnail_ensure
from nekosite.lib.imagemeta import ImageRejected
from nekosite.lib.serving import stored_file_response
from nekosite.lib.thumbnails import THUMBNAIL_MIMETYPE, THUMBNAIL_SIDE

PAGE_SIZE = 24
# Where the gallery's search box looks for the text.
SEARCH_FIELDS = ("characters__name", "artist__name", "categories__name", "source_name")
_COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


def _search_filter(queryset: QuerySet, field: str, text: str) -> QuerySet:
    """Rows whose `field` matches `text`. The one place the name match is decided.

    Plain words are a case-insensitive substring (what a visitor expects of a search box); a
    query with operators uses the API's search language (seed 001), validated by the form.
    """
    text = text.strip()
    if not text:
        return queryset
    if search.uses_operators(text):
        return queryset.filter(**{f"{field}__iregex": search.name_pattern(text)})
    return queryset.filter(**{f"{field}__icontains": text})


def _text_query(text: str) -> Q:
    """Images whose character, artist, category or source name matches `text`.

    Subqueries on the primary key instead of joins, so a many-to-many match never duplicates
    a row in the grid.
    """
    return reduce(
        or_,
        (
            Q(pk__in=_search_filter(Image.objects.all(), f, text).values("pk"))
            for f in SEARCH_FIELDS
        ),
    )


def _gallery_images(filters: dict) -> QuerySet[Image]:
    images = (
        selectors.images_public()
        .select_related("artist")
        .prefetch_related(
            Prefetch("characters", queryset=Character.objects.only("id", "name")),
            Prefetch("categories", queryset=Category.objects.only("id", "name", "nsfw")),
        )
    )
    if filters.get("q"):
        images = images.filter(_text_query(filters["q"]))
    if filters.get("category"):
        images = images.filter(categories=filters["category"])
    if filters.get("character"):
        images = images.filter(characters=filters["character"])
    if filters.get("artist"):
        images = images.filter(artist=filters["artist"])
    if filters.get("rating"):
        images = images.filter(nsfw=filters["rating"])
    if not filters.get("show_nsfw"):
        # Questionable and NSFW stay hidden unless the visitor opts in.
        images = images.filter(nsfw=Rating.SFW)
    return images.order_by("-created_at", "id")


def thumbnail_size(width: int, height: int, side: int = THUMBNAIL_SIDE) -> tuple[int, int]:
    """The thumbnail's pixel size, so the grid reserves the space before it loads."""
    if width <= 0 or height <= 0:
        return side, side
    scale = min(1.0, side / max(width, height))
    return max(round(width * scale), 1), max(round(height * scale), 1)


def asset_path(image: Image) -> str:
    """The full image's site-relative URL: /assets/<uuid>.<ext> (served by catalog.media)."""
    assert image.file.name is not None  # an Image always has its file
    extension = image.file.name.rsplit(".", 1)[-1] if "." in image.file.name else ""
    return f"{settings.CATALOG_MEDIA_URL}{image.pk}.{extension}"


def _alt_text(image: Image) -> str:
    characters = ", ".join(c.name for c in image.characters.all())
    categories = ", ".join(c.name for c in image.categories.all())
    parts = [p for p in (characters, categories) if p]
    return " — ".join(parts) if parts else "Catalog image"


@require_safe
def gallery(request: HttpRequest) -> HttpResponse:
    form = GalleryFilterForm(request.GET or None)
    filters = form.valid_data() if request.GET else {}
    page = Paginator(_gallery_images(filters), PAGE_SIZE).get_page(request.GET.get("page"))
    for image in page.object_list:
        # Attributes for the template only, not model fields.
        image.thumb_width, image.thumb_height = thumbnail_size(image.width, image.height)  # type: ignore[attr-defined]
        image.alt_text = _alt_text(image)  # type: ignore[attr-defined]
    return render(
        request,
        "catalog/gallery.html",
        {
            "form": form,
            "page_obj": page,
            "show_nsfw": bool(filters.get("show_nsfw")),
            "filtered": any(filters.get(k) for k in ("q", "category", "character", "artist")),
        },
    )


@require_safe
def image_detail(request: HttpRequest, image_id: uuid.UUID) -> HttpResponse:
    image = get_object_or_404(
        selectors.images_public()
        .select_related("artist")
        .prefetch_related("categories", "characters"),
        pk=image_id,
    )
    show_nsfw = request.GET.get("show_nsfw") in ("1", "on", "true")
    api_path = f"/api/v1/image/{image.pk}"
    return render(
        request,
        "catalog/image.html",
        {
            "image": image,
            "asset_url": asset_path(image),
            "api_url": request.build_absolute_uri(api_path),
            "color": image.color if image.color and _COLOR_RE.match(image.color) else None,
            "hidden": image.nsfw != Rating.SFW and not show_nsfw,
            "nsfw_param": "&show_nsfw=1" if image.nsfw != Rating.SFW else "",
            "alt_text": _alt_text(image),
        },
    )


@require_safe
def thumbnail(request: HttpRequest, image_id: uuid.UUID) -> HttpResponseBase:
    """The cached WebP thumbnail, with the same safe-serving rules as every stored file."""
    image = get_object_or_404(
        Image.objects.only("id", "file", "thumbnail", "etag", "created_at", "status"), pk=image_id
    )
    # A submission's thumbnail is for staff only (the moderation queue), and never cached.
    private = not image.is_public
    if private and not request.user.is_staff:
        raise Http404("no such image")
    if not image.thumbnail.name:
        try:
            image = image_thumbnail_ensure(image=image)
        except (ImageRejected, OSError) as exc:
            raise Http404("no thumbnail can be made") from exc
    assert image.thumbnail.name is not None  # made above if it was missing
    storage = catalog_storage()
    try:
        size = storage.size(image.thumbnail.name)
    except (FileNotFoundError, OSError) as exc:
        raise Http404("thumbnail missing") from exc
    response = stored_file_response(
        request,
        storage=storage,
        name=image.thumbnail.name,
        content_type=THUMBNAIL_MIMETYPE,
        size=size,
        etag=f"t-{image.etag[:32]}" if image.etag else None,
        last_modified=image.created_at,
        download_name=f"{image.pk}.webp",
    )
    if private:
        response["Cache-Control"] = "private, no-store"
    return response
