"""Base pieces for the kit's DRF views."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from ecommerce_kit.api.exceptions import exception_handler
from ecommerce_kit.api.pagination import KitPagination
from ecommerce_kit.api.parsers import JSONParser
from ecommerce_kit.api.throttles import WriteOnlyScopedThrottle


class KitViewMixin:
    """Give a DRF view the kit's error shape, pagination and write throttles.

    The kit's endpoints answer in the contract's error shape whatever the host's
    ``REST_FRAMEWORK["EXCEPTION_HANDLER"]`` is, and tell an unauthenticated client 401 (not 403)
    whatever authentication the host uses. A URL argument holding a NUL character (``%00``) is
    answered 404 before the view runs: PostgreSQL cannot compare text holding one. DRF's JSON
    parser is replaced by :class:`ecommerce_kit.api.parsers.JSONParser` (JSON nested too deeply is
    a 400, not a 500); the host's other parsers are kept.
    """

    pagination_class: type[BasePagination] | None = KitPagination
    throttle_classes: Sequence[type[BaseThrottle]] = [WriteOnlyScopedThrottle]

    def get_authenticate_header(self, request: Request) -> str:
        # With session authentication alone DRF has no challenge of its own to send and would
        # answer 403; a client that is not signed in is told 401 so it knows to authenticate.
        header = super().get_authenticate_header(request)  # type: ignore[misc]
        return header or 'Session realm="api"'

    def get_parsers(self) -> list[parsers.BaseParser]:
        found = super().get_parsers()  # type: ignore[misc]
        return [JSONParser() if type(p) is parsers.JSONParser else p for p in found]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if any(isinstance(value, str) and "\x00" in value for value in kwargs.values()):
            raise NotFound()

    def get_exception_handler(self) -> Callable[[Exception, dict[str, Any]], Response | None]:
        return exception_handler
