"""Base pieces for the kit's DRF views."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from drf_spectacular.openapi import AutoSchema
from rest_framework import parsers, renderers
from rest_framework.exceptions import NotFound
from rest_framework.filters import BaseFilterBackend
from rest_framework.metadata import BaseMetadata, SimpleMetadata
from rest_framework.negotiation import BaseContentNegotiation, DefaultContentNegotiation
from rest_framework.pagination import BasePagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.schemas.inspectors import ViewInspector
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle
from rest_framework.versioning import BaseVersioning

from ecommerce_kit.api.exceptions import exception_handler
from ecommerce_kit.api.pagination import KitPagination
from ecommerce_kit.api.parsers import JSONParser
from ecommerce_kit.api.throttles import WriteOnlyScopedThrottle

if TYPE_CHECKING:
    from rest_framework.generics import BaseFilterProtocol
    from rest_framework.permissions import _PermissionClass


class KitViewMixin:
    """Make a DRF view answer as the API contract says, whatever the host's ``REST_FRAMEWORK``.

    A view of the kit takes nothing from the host's DRF defaults but its authentication classes
    (who the user is) and ``NUM_PROXIES`` (see :mod:`ecommerce_kit.api.throttles`). Everything else
    is set here, so that a host whose defaults differ (another pagination class or exception
    handler, ``IsAdminUser`` as the default permission, other renderers) still gets the documented
    answers, and keeps its defaults for its own views:

    - renderers: JSON, plus DRF's browsable API when the host's ``DEFAULT_RENDERER_CLASSES``
      offer it (so a host that turned the browsable API off keeps it off);
    - parsers: :class:`ecommerce_kit.api.parsers.JSONParser` (JSON nested too deeply is a 400,
      not a 500), then DRF's form and multipart parsers;
    - the contract's error shape (:func:`ecommerce_kit.api.exceptions.exception_handler`), page
      numbers (:class:`ecommerce_kit.api.pagination.KitPagination`), no filter backend unless the
      view names its own, the kit's write throttles, DRF's content negotiation and metadata, no
      versioning, and drf-spectacular's schema class;
    - permissions: a view states its own; one that forgot would require a signed-in user.

    It also tells an unauthenticated client 401 (not 403) whatever authentication the host uses,
    and answers a URL argument holding a NUL character (``%00``) with 404 before the view runs:
    PostgreSQL cannot compare text holding one.
    """

    renderer_classes: Sequence[type[renderers.BaseRenderer]] = (
        renderers.JSONRenderer,
        renderers.BrowsableAPIRenderer,
    )
    parser_classes: Sequence[type[parsers.BaseParser]] = (
        JSONParser,
        parsers.FormParser,
        parsers.MultiPartParser,
    )
    permission_classes: Sequence[_PermissionClass] = (IsAuthenticated,)
    throttle_classes: Sequence[type[BaseThrottle]] = (WriteOnlyScopedThrottle,)
    content_negotiation_class: type[BaseContentNegotiation] = DefaultContentNegotiation
    metadata_class: str | type[BaseMetadata] | None = SimpleMetadata
    versioning_class: type[BaseVersioning] | None = None
    pagination_class: type[BasePagination] | None = KitPagination
    filter_backends: Sequence[type[BaseFilterBackend | BaseFilterProtocol[Any]]] = ()
    schema: ViewInspector | None = AutoSchema()

    def get_renderers(self) -> list[renderers.BaseRenderer]:
        # Imported classes at run time, though typed as their dotted paths.
        host_renderers = cast(
            "Sequence[type[renderers.BaseRenderer]]", api_settings.DEFAULT_RENDERER_CLASSES
        )
        host_offers_html = any(
            issubclass(renderer, renderers.BrowsableAPIRenderer) for renderer in host_renderers
        )
        return [
            renderer()
            for renderer in self.renderer_classes
            if host_offers_html or not issubclass(renderer, renderers.BrowsableAPIRenderer)
        ]

    def get_authenticate_header(self, request: Request) -> str:
        # With session authentication alone DRF has no challenge of its own to send and would
        # answer 403; a client that is not signed in is told 401 so it knows to authenticate.
        header = super().get_authenticate_header(request)  # type: ignore[misc]
        return header or 'Session realm="api"'

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if any(isinstance(value, str) and "\x00" in value for value in kwargs.values()):
            raise NotFound()

    def get_exception_handler(self) -> Callable[[Exception, dict[str, Any]], Response | None]:
        return exception_handler
