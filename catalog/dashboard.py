"""/dashboard/submissions/: the images a user submitted, with each decision and its reason."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_safe

from catalog import selectors

app_name = "submissions"


@require_safe
@login_required
def submission_list(request: HttpRequest) -> HttpResponse:
    submissions = selectors.submissions_for_user(user=request.user)
    return render(request, "catalog/submissions.html", {"submissions": submissions})


urlpatterns = [path("", submission_list, name="list")]
