"""The DRF exception handler that produces the API error shape.

Every error answer has the form ``{"error": <message>, "code": <machine code>, "status_code": n,
...extra}``; field validation errors are ``400`` with ``code: "invalid"`` and a ``fields`` object.
The kit's own views always use this handler. A host can make its own DRF views answer the same way
with ``REST_FRAMEWORK = {"EXCEPTION_HANDLER": "ecommerce_kit.api.exceptions.exception_handler"}``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from ecommerce_kit.exceptions import EcommerceKitError


class RequestTooLarge(drf_exceptions.APIException):
    """The request body is larger than Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "request_too_large"


# DRF exception class -> machine code (the most specific class first).
_DRF_CODES: tuple[tuple[type[drf_exceptions.APIException], str], ...] = (
    (RequestTooLarge, "request_too_large"),
    (drf_exceptions.NotAuthenticated, "not_authenticated"),
    (drf_exceptions.AuthenticationFailed, "authentication_failed"),
    (drf_exceptions.PermissionDenied, "permission_denied"),
    (drf_exceptions.NotFound, "not_found"),
    (drf_exceptions.MethodNotAllowed, "method_not_allowed"),
    (drf_exceptions.NotAcceptable, "not_acceptable"),
    (drf_exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (drf_exceptions.Throttled, "throttled"),
    (drf_exceptions.ParseError, "parse_error"),
)


def error_body(message: Any, code: str, status_code: int, **extra: Any) -> dict[str, Any]:
    """Build the error body of the contract."""
    return {"error": str(message), "code": code, "status_code": status_code, **extra}


def _flatten(detail: Any) -> Any:
    """Turn DRF's ``ErrorDetail`` trees into plain strings, lists and dicts."""
    if isinstance(detail, dict):
        return {str(k): _flatten(v) for k, v in detail.items()}
    if isinstance(detail, list | tuple):
        return [_flatten(v) for v in detail]
    return str(detail)


def _fields(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {k: v if isinstance(v, list | dict) else [v] for k, v in _flatten(detail).items()}
    return {"non_field_errors": _flatten(detail if isinstance(detail, list) else [detail])}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Answer ``exc`` in the contract's error shape; return ``None`` for unexpected errors."""
    if isinstance(exc, EcommerceKitError):
        set_rollback()
        extra = dict(exc.extra)
        if exc.code == "invalid" and "fields" not in extra:
            # Like DRF's non-field errors: an "invalid" answer always carries ``fields``.
            extra["fields"] = {"non_field_errors": [str(exc.message)]}
        return Response(
            error_body(exc.message, exc.code, exc.status_code, **extra), status=exc.status_code
        )
    if isinstance(exc, DjangoValidationError):
        exc = drf_exceptions.ValidationError(
            detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    elif isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        # Raised while the body is read; Django would answer its own (HTML) 400.
        exc = RequestTooLarge()
    if not isinstance(exc, drf_exceptions.APIException):
        return None

    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]
    set_rollback()

    if isinstance(exc, drf_exceptions.ValidationError):
        body = error_body(
            _("Invalid input."), "invalid", status.HTTP_400_BAD_REQUEST, fields=_fields(exc.detail)
        )
        return Response(body, status=status.HTTP_400_BAD_REQUEST, headers=headers)

    code = next((c for cls, c in _DRF_CODES if isinstance(exc, cls)), None)
    if code is None:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
    if isinstance(exc.detail, dict) and "detail" in exc.detail:
        # A detail wrapped with extra keys, e.g. SimpleJWT's {"detail", "code", "messages"}.
        message: Any = str(exc.detail["detail"])
    else:
        message = exc.detail if isinstance(exc.detail, str) else _flatten(exc.detail)
    return Response(
        error_body(message, code, exc.status_code), status=exc.status_code, headers=headers
    )
