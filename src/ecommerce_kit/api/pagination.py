"""Page-number pagination: ``?page=N`` and ``?page_size=N`` (default and maximum are settings)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

from ecommerce_kit.conf import kit_settings


class KitPagination(PageNumberPagination):
    """``{"count", "next", "previous", "results"}``; a bad ``page_size`` is a 400, not ignored."""

    page_size_query_param = "page_size"

    @property
    def page_size(self) -> int:  # type: ignore[override]
        return kit_settings.PAGE_SIZE

    @property
    def max_page_size(self) -> int:  # type: ignore[override]
        return kit_settings.MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value < 1 or value > self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("Must be an integer from 1 to %(max)d.") % {"max": self.max_page_size}
                    ]
                }
            )
        return value

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return super().get_paginated_response_schema(schema)
