"""Public gallery pages (server-rendered) and thumbnail serving."""

from __future__ import annotations

import re
import secrets
import uuid

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from catalog import selectors
from catalog.forms import SEARCH_MAX_LENGTH, GalleryFilterForm
from catalog.models import Image, Rating, catalog_storage
from catalog.selectors import GalleryFilter
from catalog.services import image_thumbnail_ensure
from nekosite.lib.imagemeta import ImageRejected
from nekosite.lib.serving import stored_file_response
from nekosite.lib.thumbnails import THUMBNAIL_MIMETYPE, THUMBNAIL_SIDE

PAGE_SIZE = 24
TAG_SUGGESTIONS = 10
SIDEBAR_TAGS = 8
_COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
# The gallery's state, carried from the grid to the image pages so previous/next follow it.
_GALLERY_PARAMS = (
    "q",
    "ops",
    "category",
    "character",
    "artist",
    "rating",
    "show_nsfw",
    "sort",
    "seed",
)


def _gallery_state(request: HttpRequest) -> str:
    """The gallery's query string without the page number ("" when there is none)."""
    state = QueryDict(mutable=True)
    for name in _GALLERY_PARAMS:
        if request.GET.get(name):
            state[name] = request.GET[name]
    return state.urlencode()


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
    f = form.gallery_filter()
    if f is not None and f.sort == "random" and not request.GET.get("seed"):
        # One shuffle per visit, named in the URL, so that every page is of the same shuffle.
        return redirect(_gallery_url(request, seed=str(secrets.randbelow(2**62))))
    images = selectors.gallery_images(f=f) if f else Image.objects.none()
    page = Paginator(images, PAGE_SIZE).get_page(request.GET.get("page"))
    for image in page.object_list:
        # Attributes for the template only, not model fields.
        image.thumb_width, image.thumb_height = thumbnail_size(image.width, image.height)  # type: ignore[attr-defined]
        image.alt_text = _alt_text(image)  # type: ignore[attr-defined]
    state = _gallery_state(request)
    return render(
        request,
        "catalog/gallery.html",
        {
            "form": form,
            "page_obj": page,
            "show_nsfw": bool(f and f.show_nsfw),
            "filtered": f is None or bool(f.text or f.category_id or f.character_id or f.artist_id),
            "chips": _chips(request, form),
            "tag_counts": _tag_links(request, f),
            "image_query": f"?{state}" if state else "",
        },
    )


def _gallery_url(request: HttpRequest, **changes: str | None) -> str:
    """This gallery page's URL with `changes` (None removes a parameter), back on page 1."""
    state = request.GET.copy()
    state.pop("page", None)
    for name, value in changes.items():
        if value is None:
            state.pop(name, None)
        else:
            state[name] = value
    return f"{request.path}?{state.urlencode()}" if state else request.path


def _chips(request: HttpRequest, form: GalleryFilterForm) -> list[dict[str, str]]:
    """The chosen category, character and artist, each with the link that removes it."""
    data = form.valid_data() if form.data else {}
    return [
        {"kind": kind, "name": data[kind].name, "remove_url": _gallery_url(request, **{kind: None})}
        for kind in ("category", "character", "artist")
        if data.get(kind)
    ]


def _tag_links(request: HttpRequest, f: GalleryFilter | None) -> dict[str, list[dict]]:
    """The sidebar: the tags most used by the matching images, each linking to the gallery
    narrowed to it."""
    if f is None:
        return {}
    counts = selectors.gallery_tag_counts(f=f, limit=SIDEBAR_TAGS)
    return {
        kind: [{**row, "url": _gallery_url(request, **{kind: str(row["id"])})} for row in rows]
        for kind, rows in counts.items()
    }


@require_safe
def tag_suggestions(request: HttpRequest) -> JsonResponse:
    """The gallery search box's autocomplete: categories, characters and artists whose name
    contains `q` (literal text), with their image counts. A page helper, not part of the
    Nekos API (not under /api/v1, not in the OpenAPI schema)."""
    text = request.GET.get("q", "")[:SEARCH_MAX_LENGTH]
    show_nsfw = request.GET.get("show_nsfw") in ("1", "on", "true")
    rows = selectors.gallery_tag_suggest(text=text, show_nsfw=show_nsfw, limit=TAG_SUGGESTIONS)
    response = JsonResponse(
        {"results": [{**row, "id": str(row["id"])} for row in rows]},
        json_dumps_params={"ensure_ascii": False},
    )
    response["Cache-Control"] = "public, max-age=60"
    return response


@require_safe
def image_detail(request: HttpRequest, image_id: uuid.UUID) -> HttpResponse:
    image = selectors.gallery_image_get(image_id=image_id)
    if image is None:
        raise Http404("no such image")
    show_nsfw = request.GET.get("show_nsfw") in ("1", "on", "true")
    form = GalleryFilterForm(request.GET or None)
    # Previous/next in the gallery's order and filters when the visitor came from it (an
    # invalid search falls back to the plain order by date).
    f = form.gallery_filter() or GalleryFilter(show_nsfw=show_nsfw)
    preceding, following = selectors.gallery_neighbours(image=image, f=f)
    state = _gallery_state(request)
    query = f"?{state}" if state else ""
    api_path = f"/api/v1/image/{image.pk}"
    asset_url = asset_path(image)
    return render(
        request,
        "catalog/image.html",
        {
            "image": image,
            "asset_url": asset_url,
            "download_name": asset_url.rsplit("/", 1)[-1],
            "api_url": request.build_absolute_uri(api_path),
            "color": image.color if image.color and _COLOR_RE.match(image.color) else None,
            "hidden": image.nsfw != Rating.SFW and not show_nsfw,
            "nsfw_param": "&show_nsfw=1" if image.nsfw != Rating.SFW else "",
            "alt_text": _alt_text(image),
            "previous_url": _image_url(preceding, query),
            "next_url": _image_url(following, query),
            "gallery_url": f"{reverse('catalog:gallery')}{query}",
        },
    )


def _image_url(image_id: uuid.UUID | None, query: str) -> str | None:
    return f"{reverse('catalog:image', args=[image_id])}{query}" if image_id else None


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
