"""Page-number pagination: ``?page=N`` and ``?page_size=N`` (default and maximum are settings)."""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
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


class EstimatedCountPaginator(Paginator):
    """A paginator whose count is exact up to ``PRODUCT_COUNT_EXACT_UP_TO`` rows.

    For a page within the first ``PRODUCT_COUNT_EXACT_UP_TO`` rows it counts at most that many
    rows plus one; when there are more, the count is PostgreSQL's estimate of the query's rows
    (its planner's, from the table statistics: no row is read), never less than the rows
    counted. A page further on (``page=last`` included) is counted exactly, so a page is never
    refused while it has rows and ``next`` is always right. On other databases, or with the
    setting ``None``, the count is always exact.
    """

    requested: int | None = None

    def page(self, number: Any) -> Any:
        self.requested = int(number) if str(number).isdigit() else None
        return super().page(number)

    @cached_property
    def count(self) -> int:
        limit = kit_settings.PRODUCT_COUNT_EXACT_UP_TO
        if (
            limit is None
            or self.requested is None
            or self.requested * self.per_page > limit
            or not isinstance(self.object_list, QuerySet)
            or connections[self.object_list.db].vendor != "postgresql"
        ):
            return int(super().count)
        # The ids of the matches, compiled once for both statements below.
        ids: QuerySet[Any] = self.object_list.order_by().values("pk")
        sql, params = ids.query.get_compiler(using=ids.db).as_sql()
        with connections[ids.db].cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({sql} LIMIT %s) AS m", [*params, limit + 1])
            counted = int(cursor.fetchone()[0])
            if counted <= limit:
                return counted
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            raw = cursor.fetchone()[0]
        plan = json.loads(raw) if isinstance(raw, str) else raw
        return max(counted, int(plan[0]["Plan"]["Plan Rows"]))


class ProductPagination(KitPagination):
    """The product list's pages: :class:`KitPagination` with an estimated count on large
    catalogs (``PRODUCT_COUNT_EXACT_UP_TO``)."""

    django_paginator_class = EstimatedCountPaginator
