"""Base pieces for the kit's DRF views."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from ecommerce_kit.api.exceptions import exception_handler
from ecommerce_kit.api.pagination import KitPagination
from ecommerce_kit.api.throttles import WriteOnlyScopedThrottle


class KitViewMixin:
    """Give a DRF view the kit's error shape, pagination and write throttles.

    The kit's endpoints answer in the contract's error shape whatever the host's
    ``REST_FRAMEWORK["EXCEPTION_HANDLER"]`` is.
    """

    pagination_class: type[BasePagination] | None = KitPagination
    throttle_classes: Sequence[type[BaseThrottle]] = [WriteOnlyScopedThrottle]

    def get_exception_handler(self) -> Callable[[Exception, dict[str, Any]], Response | None]:
        return exception_handler
