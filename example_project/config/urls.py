"""URLs of the example host site.

- ``/api/v1/``: the kit (``ecommerce_kit.urls``) and this site's JWT auth endpoints
- ``/api/schema/``: the OpenAPI 3 document; ``/api/docs/``: Swagger UI
- ``/admin/``: the Django admin
- ``/``: a landing page; ``/shop/``: the storefront; ``/i18n/``: the language switch
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from storefront.views.site import landing

urlpatterns = [
    path("", landing, name="landing"),
    path("shop/", include("storefront.urls")),
    path("desk/", include("desk.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
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
