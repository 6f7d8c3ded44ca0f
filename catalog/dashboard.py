"""/dashboard/submissions/: the images a user submitted, with each decision and its reason, and
the form to submit one (the browser's POST /api/v1/image)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_safe
from django_ratelimit.decorators import ratelimit

from accounts import ratelimit as limits
from catalog import selectors, services
from catalog.forms import SubmissionForm
from nekosite.lib.errors import ApiError
from nekosite.lib.imagemeta import ImageRejected
from nekosite.lib.slowbody import accepts_files
from uploads.uploadhandlers import parse_files_under_limit

app_name = "submissions"


@require_safe
@login_required
def submission_list(request: HttpRequest) -> HttpResponse:
    submissions = selectors.submissions_for_user(user=request.user)
    return render(request, "catalog/submissions.html", {"submissions": submissions})


@accepts_files
@csrf_exempt
@login_required
@require_http_methods(["GET", "POST"])
def submission_new(request: HttpRequest) -> HttpResponse:
    """The body is parsed here under MAX_UPLOAD_MB, then CSRF is checked by the inner view (the
    CSRF middleware would parse it first with Django's unlimited handler)."""
    if request.method == "POST":
        try:
            parse_files_under_limit(request)
        except ApiError as exc:
            messages.error(request, exc.message)
            return redirect("submissions:new")
    return _submission_new(request)


@csrf_protect
@ratelimit(key=limits.user_key, rate=limits.auth_rate, method="POST", block=False)
def _submission_new(request: HttpRequest) -> HttpResponse:
    form = SubmissionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and request.limited:  # type: ignore[attr-defined]
        form.add_error(None, limits.FORM_MESSAGE)
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.submission_create(
                user=request.user,  # type: ignore[arg-type]  # login_required
                file=data["file"],
                filename=data["file"].name or "",
                categories=data["categories"],
                source_name=data["source_name"] or None,
                source_url=data["source_url"] or None,
                nsfw=data["nsfw"],
                original=data["original"],
            )
        except ImageRejected as exc:
            form.add_error("file", exc.message)
        except services.ImageDuplicate:
            form.add_error("file", "This image is in the catalog already.")
        except services.SubmissionLimit as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Thank you! Staff will review your image before it shows.")
            return redirect("submissions:list")
    return render(request, "catalog/submission_form.html", {"form": form})


urlpatterns = [
    path("", submission_list, name="list"),
    path("new/", submission_new, name="new"),
]
