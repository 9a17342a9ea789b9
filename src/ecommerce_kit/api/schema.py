"""OpenAPI helpers: the schema decorator of the kit's views and the contract's error shape."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from drf_spectacular import utils as spectacular
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

F = TypeVar("F", bound=Callable[..., Any])


def extend_schema(**kwargs: Any) -> Callable[[F], F]:
    """Decorate a view method like drf-spectacular's ``extend_schema``, whatever the host's schema.

    drf-spectacular bases a method's schema on ``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]`` as it was
    when the method was decorated; a host that never set it (or set DRF's own) would then get a
    broken description of the kit's endpoints. This names drf-spectacular's ``AutoSchema`` as the
    base first, as :class:`ecommerce_kit.api.views.KitViewMixin` does for whole views.

    :param kwargs: The arguments of :func:`drf_spectacular.utils.extend_schema`.
    :returns: The decorator.
    """
    decorate = spectacular.extend_schema(**kwargs)

    def decorator(f: F) -> F:
        if not inspect.isclass(f) and callable(f) and getattr(f, "schema", None) is None:
            found = getattr(f, "kwargs", None)
            if found is None:
                found = {}
                f.kwargs = found  # type: ignore[attr-defined]
            if found.get("schema") is None:
                found["schema"] = AutoSchema
        return decorate(f)

    return decorator


class ErrorSerializer(serializers.Serializer[Any]):
    """``{"error", "code", "status_code", ...extra}``; field errors add ``fields``."""

    error = serializers.CharField(help_text="A human, translated message.")
    code = serializers.CharField(help_text="A stable machine code, e.g. ``store_exists``.")
    status_code = serializers.IntegerField()
    # A declared field named like Serializer.fields: DRF moves it into the field set.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Only for ``code: invalid``: the messages of each bad field.",
    )


def error_responses(descriptions: dict[int, str]) -> dict[int, OpenApiResponse]:
    """Describe error answers, e.g. ``error_responses({403: "no_store, store_not_approved"})``.

    :returns: A ``responses`` mapping of each status code to the error shape.
    """
    return {
        status: OpenApiResponse(response=ErrorSerializer, description=description)
        for status, description in descriptions.items()
    }
