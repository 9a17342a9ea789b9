"""A host whose DRF defaults differ from DRF's in every way that could change the kit's answers.

Copied into the generated site as ``mysite/hostile.py`` by ``tests/test_host_site.py``, which
points ``REST_FRAMEWORK`` at these classes (this module must not import ``rest_framework.views``,
which reads those settings when it is imported). The kit's endpoints must still answer as
documented; the host's own view (``host_views.py``) must keep all of this.
"""

from __future__ import annotations

from typing import Any

from rest_framework.pagination import BasePagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """Answer every error with a teapot, in the host's own shape."""
    return Response({"host_error": type(exc).__name__}, status=418)


class EnvelopeRenderer(JSONRenderer):
    """Wrap every answer in ``{"host_envelope": ...}``."""

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> bytes:
        return super().render({"host_envelope": data}, accepted_media_type, renderer_context)


class HostPagination(BasePagination):
    """The host's own page shape: ``{"host_items", "host_total"}``."""

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list[Any]:
        self.total = queryset.count()
        return list(queryset[:1])

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"host_items": data, "host_total": self.total})
