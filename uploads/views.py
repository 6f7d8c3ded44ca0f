"""Server-rendered pages of the file host and the file-serving view."""

from __future__ import annotations

import json
from typing import cast
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from accounts import bruteforce
from accounts import ratelimit as limits
from accounts.http import AuthenticatedHttpRequest
from accounts.services import token_regenerate
from nekosite.lib.errors import ApiError, error_response
from nekosite.lib.serving import stored_file_response
from nekosite.lib.slowbody import accepts_files
from nekosite.lib.thumbnails import SLOT_RETRY_AFTER, ThumbnailBusy
from uploads import access, selectors, services, viewcount
from uploads.forms import (
    AlbumChoiceForm,
    AlbumForm,
    BulkOptionsForm,
    DeleteAccountForm,
    FileOptionsForm,
    LibraryFilterForm,
    SignupForm,
    UploadForm,
)
from uploads.models import Album, Upload
from uploads.storage import upload_storage
from uploads.uploadhandlers import parse_files_under_limit

FILES_URL = "uploads_dashboard:files"
PAGE_SIZE = 50


@login_required
@require_http_methods(["GET", "HEAD"])
def file_thumbnail(request: AuthenticatedHttpRequest, name: str) -> HttpResponseBase:
    """The owner's dashboard thumbnail of an image upload (made once, then kept)."""
    upload = selectors.upload_get_for_user(user=request.user, name=name)
    return thumbnail_response(request, upload, cache_control="private, max-age=86400")


def thumbnail_response(
    request: HttpRequest, upload: Upload | None, *, cache_control: str
) -> HttpResponseBase:
    """The stored thumbnail of an image upload (made on first request); the dashboard, albums
    and the admin's upload list serve it, each after its own access check."""
    try:
        thumbnail = services.upload_thumbnail_ensure(upload=upload) if upload else None
    except ThumbnailBusy:
        # Not a JSON path, so the error middleware leaves it to us: the one envelope still.
        return error_response(
            503,
            "Thumbnails are being made for other requests; retry shortly.",
            headers={"Retry-After": SLOT_RETRY_AFTER},
        )
    if thumbnail is None or upload is None:
        raise Http404("No thumbnail for this file.")
    storage = upload_storage()
    return stored_file_response(
        request,
        storage=storage,
        name=thumbnail,
        content_type="image/webp",
        size=storage.size(thumbnail),
        etag=f"thumb-{upload.sha256}",
        last_modified=upload.created_at,
        cache_control=cache_control,
    )


# Inline-safe types that still run scripts (a PDF viewer's JavaScript): never inline on the
# site's own origin, next to the dashboards and their cookies.
ACTIVE_INLINE_TYPES = frozenset({"application/pdf"})


def _uploads_share_site_origin() -> bool:
    """True when UPLOAD_URL is a path, or an absolute URL on SITE_URL's scheme and host."""
    upload = urlsplit(settings.UPLOAD_URL)
    if not upload.netloc:
        return True
    site = urlsplit(settings.SITE_URL)
    return (upload.scheme, upload.netloc.lower()) == (site.scheme, site.netloc.lower())


@require_http_methods(["GET", "HEAD", "POST"])
@csrf_protect
def serve_upload(request: HttpRequest, name: str) -> HttpResponseBase:
    """An uploaded file (seed 004's url). Past its expiry or its views it answers 404 at once;
    a password-protected file shows the password page until a short-lived signed link is used
    (issue #20). POST is only the password page's form."""
    upload = selectors.upload_get_by_name(name=name)
    if upload is None or not upload.is_available():
        raise ApiError("This file does not exist.", 404)
    if upload.has_password and not access.link_is_valid(request, upload):
        return _password_page(request, upload)
    if request.method == "POST":
        # The password was already good (a signed link): go to it rather than re-post.
        return HttpResponseRedirect("?" + request.META.get("QUERY_STRING", ""))
    limited = upload.max_views is not None
    if request.method == "GET":
        if limited:
            if not viewcount.take_limited_view(upload):
                raise ApiError("This file does not exist.", 404)
        else:
            viewcount.count_view(upload)
    return stored_file_response(
        request,
        storage=upload_storage(),
        name=upload.name,
        content_type=upload.content_type,
        size=upload.size,
        etag=upload.sha256,
        last_modified=upload.created_at,
        download_name=upload.name,
        cache_control=_file_cache_control(upload),
        attachment_types=ACTIVE_INLINE_TYPES if _uploads_share_site_origin() else frozenset(),
        one_response=limited or upload.has_password,
    )


def _file_cache_control(upload: Upload) -> str:
    """Not immutable, and not for a year: a deleted or taken-down file must leave browser and
    CDN caches within UPLOAD_CACHE_SECONDS, an expiring one by its expiry. Counted and
    password-protected files are never kept by a cache: each view must reach the server."""
    if upload.max_views is not None or upload.has_password:
        return "private, no-store"
    seconds = int(settings.UPLOAD_CACHE_SECONDS)
    if upload.expires_at is not None:
        left = (upload.expires_at - timezone.now()).total_seconds()
        seconds = max(0, min(seconds, int(left)))
    return f"public, max-age={seconds}"


def _password_page(request: HttpRequest, upload: Upload) -> HttpResponse:
    """GET: the form. POST: check the password (counted by the brute-force guard before it is
    checked) and send the visitor on to a signed link valid for ACCESS_SECONDS."""
    context = {"name": upload.name, "access_minutes": access.ACCESS_SECONDS // 60, "error": ""}
    status = 200
    if request.method == "POST":
        try:
            bruteforce.attempt(request, f"upload:{upload.name}")
        except bruteforce.TooManyAttempts as exc:
            context["error"], status = exc.message, 429
        else:
            if access.password_matches(upload, request.POST.get("password", "")):
                return HttpResponseRedirect(access.signed_link(upload))
            context["error"], status = "That password is not right.", 403
    response = render(request, "uploads/file_password.html", context, status=status)
    response["Cache-Control"] = "private, no-store"
    response.keep_body = True  # type: ignore[attr-defined]  # a page, even on the file path
    return response


# --- signup and account deletion ----------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@ratelimit(key=limits.ip_key, rate=limits.auth_rate, method="POST", block=False)
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("/dashboard/")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and request.limited:  # type: ignore[attr-defined]
        form.add_error(None, limits.FORM_MESSAGE)
    elif request.method == "POST" and form.is_valid():
        try:
            user = services.user_signup(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                regkey=form.cleaned_data.get("regkey"),
            )
        except ApiError as exc:
            form.add_error(None, exc.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {user.username}! Your account is ready.")
            return redirect("/dashboard/")
    return render(request, "uploads/signup.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = request.user.get_username()
        try:
            bruteforce.attempt(request, username)
        except bruteforce.TooManyAttempts as exc:
            form.add_error("password", exc.message)
        else:
            user = authenticate(request, username=username, password=form.cleaned_data["password"])
            if user is None:
                form.add_error("password", "The password is not correct.")
            else:
                count = services.user_delete_with_files(user=user)
                logout(request)
                messages.success(request, f"Your account and {count} file(s) have been deleted.")
                return redirect("/")
    return render(request, "uploads/delete_account.html", {"form": form})


# --- files dashboard ----------------------------------------------------------------------------
def _usage_context(request: AuthenticatedHttpRequest) -> dict:
    used_bytes, used_files = selectors.upload_usage(user=request.user)
    return {
        "used_bytes": used_bytes,
        "used_files": used_files,
        "quota_bytes": settings.UPLOAD_QUOTA_BYTES,
        "quota_files": settings.UPLOAD_QUOTA_FILES,
    }


def _files_context(request: AuthenticatedHttpRequest, form: UploadForm | None = None) -> dict:
    _, token = services.filehost_token_for(user=request.user)
    return {
        **_library_context(request),
        "form": form or UploadForm(),
        "token": token,
        **_usage_context(request),
        "max_upload_bytes": int(settings.MAX_UPLOAD_MB) * 1024 * 1024,
        "blocked_extensions": settings.BLOCKED_UPLOAD_EXTENSIONS,
    }


@accepts_files
@csrf_exempt
@never_cache  # the page shows the file-host token: no shared cache, no stored copy
@login_required
@require_http_methods(["GET", "POST"])
def files(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The uploader's files. POST is the no-JavaScript upload (the script talks to the API).

    CSRF is checked by the inner view: the CSRF middleware would otherwise parse the multipart
    body with Django's unlimited handler before the size limit is in place (Django docs,
    "Modifying upload handlers on the fly").
    """
    if request.method == "POST":
        try:
            parse_files_under_limit(request)
        except ApiError as exc:
            messages.error(request, exc.message)
            return redirect(FILES_URL)
    return _files(request)


@csrf_protect
def _files(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            # Nothing is stored: the options apply to every chosen file.
            messages.error(request, "Nothing was uploaded: correct the options below.")
            return render(request, "uploads/files.html", _files_context(request, form))
        chosen = request.FILES.getlist("files")
        if not chosen:
            messages.error(request, "Choose at least one file to upload.")
        for upload in chosen:
            label = upload.name or "file"
            try:
                created = services.upload_create(
                    owner=request.user,
                    file=upload,
                    client_name=upload.name or "",
                    size=cast(int, upload.size),  # set by the upload handler
                    options=form.upload_options(),
                )
            except ApiError as exc:
                messages.error(request, f"{label}: {exc.message}")
            else:
                messages.success(request, f"{label} uploaded as {created.name}.")
        return redirect(FILES_URL)
    return _remember_library_view(
        request, render(request, "uploads/files.html", _files_context(request))
    )


# --- media library ------------------------------------------------------------------------------
LIBRARY_VIEWS = ("list", "grid")
LIBRARY_VIEW_COOKIE = "library_view"


def _library_view(request: HttpRequest) -> str:
    """List or grid: `?view=` when given (then remembered in a cookie), else the cookie."""
    chosen = request.GET.get("view") or request.COOKIES.get(LIBRARY_VIEW_COOKIE, "")
    return chosen if chosen in LIBRARY_VIEWS else "list"


def _remember_library_view(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    chosen = request.GET.get("view", "")
    if chosen in LIBRARY_VIEWS and request.COOKIES.get(LIBRARY_VIEW_COOKIE) != chosen:
        response.set_cookie(
            LIBRARY_VIEW_COOKIE,
            chosen,
            max_age=365 * 86400,
            samesite="Lax",
            httponly=True,
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


def _library_context(request: AuthenticatedHttpRequest) -> dict:
    """The media library part of the files page: one page of files in keyset order (no count
    of the matches, so a page costs the same at file 10 and file 10,000)."""
    form = LibraryFilterForm(request.GET, auto_id="library_%s")
    page = selectors.upload_library_page(
        user=request.user,
        query=form.library_query(timezone.now()),
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
        size=PAGE_SIZE,
    )
    return {
        "library_form": form,
        "library": page,
        "uploads": page.uploads,
        "library_view": _library_view(request),
    }


def _back_to_library(request: HttpRequest) -> str:
    """Where a bulk action returns: the library page it came from (same filters and page)."""
    target = request.POST.get("next", "")
    files_url = reverse(FILES_URL)
    if target.startswith(files_url) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return files_url


def _report(request: HttpRequest, result: services.BulkResult, done: str) -> None:
    if result.done:
        messages.success(request, done.format(count=len(result.done)))
    for name, message in result.failed:
        messages.error(request, f"{name}: {message}")


BULK_ACTIONS = {
    "delete": "Delete",
    "options": "Change the options of",
    "album": "Add to an album",
}


@login_required
@require_POST
def files_bulk(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The library's bulk actions on the selected files. The first POST (from the library)
    shows what will happen and asks for the details; the second (`confirm`) does it, file by
    file through the one-file services. Names that are not the user's files are ignored."""
    back = _back_to_library(request)
    action = request.POST.get("action", "")
    uploads = list(
        selectors.uploads_by_names_for_user(user=request.user, names=request.POST.getlist("names"))
    )
    if action not in BULK_ACTIONS:
        messages.error(request, "Choose what to do with the selected files.")
        return redirect(back)
    if not uploads:
        messages.error(request, "Select at least one of your files first.")
        return redirect(back)
    confirmed = "confirm" in request.POST
    form: BulkOptionsForm | AlbumChoiceForm | None = None
    if action == "delete":
        if confirmed:
            _report(request, services.uploads_delete(uploads=uploads), "Deleted {count} file(s).")
            return redirect(back)
    elif action == "options":
        form = BulkOptionsForm(request.POST if confirmed else None)
        if confirmed and form.is_valid():
            change = form.bulk_options(timezone.now())
            result = services.uploads_update_options(uploads=uploads, change=change)
            _report(request, result, "The options of {count} file(s) have been saved.")
            return redirect(back)
    else:
        form = AlbumChoiceForm(request.POST if confirmed else None, owner=request.user)
        if confirmed and form.is_valid():
            try:
                album = form.cleaned_data["album"] or services.album_create(
                    owner=request.user, title=form.cleaned_data["new_title"]
                )
            except ApiError as exc:
                form.add_error("new_title", exc.message)
            else:
                added = services.album_add_uploads(album=album, uploads=uploads)
                messages.success(request, f"Added {added} file(s) to {album.title}.")
                return redirect("uploads_dashboard:album", album_id=album.pk)
    context = {
        "action": action,
        "verb": BULK_ACTIONS[action],
        "uploads": uploads,
        "form": form,
        "back": back,
    }
    return render(request, "uploads/files_bulk.html", context)


@never_cache
@login_required
@require_GET
def files_usage(request: AuthenticatedHttpRequest) -> JsonResponse:
    """The files page's header ("3 files, 1.2 MB used") as JSON, so the uploader can update it
    after an upload without reloading the page. `summary` is the header's text, rendered by the
    same partial as the page."""
    context = _usage_context(request)
    return JsonResponse(
        {
            "files": context["used_files"],
            "bytes": context["used_bytes"],
            "summary": render_to_string("uploads/_usage.html", context, request).strip(),
        }
    )


@login_required
@require_http_methods(["GET", "POST"])
def file_options(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    """The owner changes a file's expiry, views, password and embed (issue #20). Metadata
    removed at upload cannot come back, so keep-metadata is only shown."""
    upload = selectors.upload_get_for_user(user=request.user, name=name)
    if upload is None:
        raise Http404("This file does not exist.")
    form = FileOptionsForm(request.POST or None, upload=upload)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.upload_update_options(
                upload=upload,
                expires_at=form.expires_at(timezone.now()),
                max_views=data["max_views"],
                password=data["new_password"],
                remove_password=data.get("remove_password", False),
                embed_title=data["embed_title"],
                embed_color=data["embed_color"],
                embed_description=data["embed_description"],
            )
        except ApiError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"The options of {upload.name} have been saved.")
            return redirect(FILES_URL)
    return render(request, "uploads/file_options.html", {"upload": upload, "form": form})


@login_required
@require_POST
def file_delete(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    upload = selectors.upload_get_for_user(user=request.user, name=name)
    if upload is None:
        messages.error(request, "This file does not exist.")
    else:
        services.upload_delete(upload=upload)
        messages.success(request, f"{name} has been deleted.")
    return redirect(FILES_URL)


@login_required
@require_POST
def token_regen(request: AuthenticatedHttpRequest) -> HttpResponse:
    token, _ = services.filehost_token_for(user=request.user)
    token_regenerate(token=token)
    messages.success(request, "Your file-host token has been regenerated; update ShareX.")
    return redirect(FILES_URL)


def sharex_config(*, token_value: str, embed: bool = False) -> dict:
    """A ShareX custom uploader that posts exactly like the seed's /api/files/upload. With
    `embed`, it sends `embed: true` and copies the embed page's URL (issue #20) instead."""
    headers = {"token": token_value}
    if embed:
        headers["embed"] = "true"
    return {
        "Version": "15.0.0",
        "Name": f"nekosite{' embeds' if embed else ''} ({settings.SITE_URL})",
        "DestinationType": "ImageUploader, TextUploader, FileUploader",
        "RequestMethod": "POST",
        "RequestURL": f"{settings.SITE_URL}/api/files/upload",
        "Headers": headers,
        "Body": "MultipartFormData",
        "FileFormName": "uploadFile",
        "URL": "{json:embed}" if embed else "{json:url}",
    }


@login_required
@require_GET
def sharex(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The .sxcu file; `?link=embed` makes ShareX copy the embed page's URL."""
    _, value = services.filehost_token_for(user=request.user)
    embed = request.GET.get("link") == "embed"
    response = HttpResponse(
        json.dumps(sharex_config(token_value=value, embed=embed), indent=2),
        content_type="application/json",
    )
    filename = "nekosite-embed.sxcu" if embed else "nekosite.sxcu"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


# --- albums -------------------------------------------------------------------------------------
ALBUMS_URL = "uploads_dashboard:albums"


def _album_for_user(request: AuthenticatedHttpRequest, album_id: int) -> Album:
    album = selectors.album_get_for_user(user=request.user, album_id=album_id)
    if album is None:
        raise Http404("This album does not exist.")
    return album


def album_share_url(album: Album) -> str:
    return settings.SITE_URL + reverse("albums_public:album", args=[album.slug])


@login_required
@require_http_methods(["GET", "POST"])
def album_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The owner's albums; POST creates one."""
    form = AlbumForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            album = services.album_create(owner=request.user, **form.cleaned_data)
        except ApiError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Album {album.title} created. Add files from My files.")
            return redirect("uploads_dashboard:album", album_id=album.pk)
    albums = selectors.album_list_for_user(user=request.user)
    return render(request, "uploads/albums.html", {"albums": albums, "form": form})


@never_cache  # the page shows the share link: a capability, like a token
@login_required
@require_http_methods(["GET", "POST"])
def album_detail(request: AuthenticatedHttpRequest, album_id: int) -> HttpResponse:
    """One album: its files, its details (POST saves them) and its share link."""
    album = _album_for_user(request, album_id)
    initial = {"title": album.title, "description": album.description, "is_public": album.is_public}
    form = AlbumForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.album_update(album=album, **form.cleaned_data)
        except ApiError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Album {album.title} saved.")
            return redirect("uploads_dashboard:album", album_id=album.pk)
    context = {
        "album": album,
        "form": form,
        "items": selectors.album_items(album=album),
        "share_url": album_share_url(album),
        "now": timezone.now(),
    }
    return render(request, "uploads/album.html", context)


@login_required
@require_POST
def album_remove(request: AuthenticatedHttpRequest, album_id: int) -> HttpResponse:
    album = _album_for_user(request, album_id)
    uploads = selectors.uploads_by_names_for_user(
        user=request.user, names=request.POST.getlist("names")
    )
    removed = services.album_remove_uploads(album=album, uploads=uploads)
    if removed:
        messages.success(request, f"Removed {removed} file(s) from {album.title}.")
    else:
        messages.error(request, "Select at least one file of the album first.")
    return redirect("uploads_dashboard:album", album_id=album.pk)


@login_required
@require_POST
def album_move(request: AuthenticatedHttpRequest, album_id: int) -> HttpResponse:
    album = _album_for_user(request, album_id)
    upload = selectors.upload_get_for_user(user=request.user, name=request.POST.get("name", ""))
    offset = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if upload is None or offset is None:
        raise Http404("This file is not in the album.")
    services.album_move(album=album, upload=upload, offset=offset)
    return redirect(reverse("uploads_dashboard:album", args=[album.pk]) + f"#item-{upload.name}")


@login_required
@require_POST
def album_rotate(request: AuthenticatedHttpRequest, album_id: int) -> HttpResponse:
    album = services.album_rotate_slug(album=_album_for_user(request, album_id))
    messages.success(request, "The album has a new share link; the old one no longer works.")
    return redirect("uploads_dashboard:album", album_id=album.pk)


@login_required
@require_http_methods(["GET", "POST"])
def album_delete(request: AuthenticatedHttpRequest, album_id: int) -> HttpResponse:
    """GET asks (it works without JavaScript); POST deletes the album, never its files."""
    album = _album_for_user(request, album_id)
    if request.method == "POST":
        services.album_delete(album=album)
        messages.success(request, f"Album {album.title} deleted; its files are still in My files.")
        return redirect(ALBUMS_URL)
    return render(request, "uploads/album_delete.html", {"album": album})


# --- shared albums (public) ---------------------------------------------------------------------
SHARED_THUMBNAIL_CACHE = "private, max-age=300"


def _shared_album(slug: str) -> Album:
    album = selectors.album_get_shared(slug=slug)
    if album is None:
        raise Http404("This album does not exist.")
    return album


@require_http_methods(["GET", "HEAD"])
def album_public(request: HttpRequest, slug: str) -> HttpResponse:
    """A shared album, for anyone with the link. Each file shows as its options allow: past
    its expiry or its views it is left out; with a password it is locked (no thumbnail; its
    link leads to the password page). A file's own bytes are never embedded, so showing the
    album takes no view from a file with a view limit: pictures show their stored thumbnail."""
    album = _shared_album(slug)
    items = list(selectors.album_items_shared(album=album))
    response = render(request, "uploads/album_public.html", {"album": album, "items": items})
    # Unsharing, rotating the link or locking a file must take effect at once.
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"  # the share link stays off other sites' logs
    return response


@require_http_methods(["GET", "HEAD"])
def album_thumbnail(request: HttpRequest, slug: str, name: str) -> HttpResponseBase:
    """The stored thumbnail of a picture in a shared album; none for a locked file."""
    album = _shared_album(slug)
    item = selectors.album_items_shared(album=album).filter(upload__name=name).first()
    upload = item.upload if item is not None and not item.upload.has_password else None
    return thumbnail_response(request, upload, cache_control=SHARED_THUMBNAIL_CACHE)
