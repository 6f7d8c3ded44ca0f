"""URL map (../shared/PRODUCT.md). Wiring only: every view lives in its app."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from nekosite import views


def _prefix(url: str) -> str:
    """'/u/' -> 'u/' for path(); only a local path prefix is routed here."""
    return url.lstrip("/")


urlpatterns = [
    # The catalog API first: it is the hot path, and Django tries patterns in order.
    path("api/v1", include("catalog.api.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("stats/", views.stats, name="stats"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/", include("uploads.api.urls")),
    path("accounts/", include("uploads.account_urls", namespace="signup")),
    path("accounts/", include("accounts.urls")),
    path("dashboard/", include("accounts.dashboard_urls")),
    path("dashboard/files/", include("uploads.dashboard_urls")),
    path("dashboard/webhooks/", include("webhooks.urls")),
    path("dashboard/submissions/", include("catalog.dashboard")),
    path("e/", include("uploads.embed_urls")),
    path("a/", include("uploads.album_urls")),
    path(_prefix(settings.CATALOG_MEDIA_URL), include("catalog.media_urls")),
    path("", include("catalog.urls")),
]
urlpatterns.insert(0, path(_prefix(settings.UPLOAD_SERVE_PATH), include("uploads.serve_urls")))
