"""URLs of the example host site.

- ``/api/v1/``: the kit (``ecommerce_kit.urls``) and this site's JWT auth endpoints
- ``/api/schema/``: the OpenAPI 3 document; ``/api/docs/``: Swagger UI
- ``/admin/``: the Django admin
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="swagger-ui", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/auth/", include("accounts.urls")),
    path("api/v1/", include("ecommerce_kit.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="schema", template_name="drf_spectacular/swagger_ui_strict.html"
        ),
        name="swagger-ui",
    ),
]
