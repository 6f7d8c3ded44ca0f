"""Server-rendered pages of the file host and the file-serving view."""

from __future__ import annotations

import json
from typing import cast
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
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
from uploads.forms import DeleteAccountForm, FileOptionsForm, SignupForm, UploadForm
from uploads.models import Upload
from uploads.storage import upload_storage
from uploads.uploadhandlers import install_limited_handler, reject_oversized_content_length

FILES_URL = "uploads_dashboard:files"
PAGE_SIZE = 50


@login_required
@require_http_methods(["GET", "HEAD"])
def file_thumbnail(request: AuthenticatedHttpRequest, name: str) -> HttpResponseBase:
    """The owner's dashboard thumbnail of an image upload (made once, then kept)."""
    upload = selectors.upload_get_for_user(user=request.user, name=name)
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
        cache_control="private, max-age=86400",
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
        "uploads": Paginator(selectors.upload_list_for_user(user=request.user), PAGE_SIZE).get_page(
            request.GET.get("page")
        ),
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
            reject_oversized_content_length(request)
            install_limited_handler(request)
            request.POST  # noqa: B018 - parse now, under the limit
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
    return render(request, "uploads/files.html", _files_context(request))


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
