"""OpenAPI helpers: the error shape of the contract, for ``@extend_schema(responses=...)``."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


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
