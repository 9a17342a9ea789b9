from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from django.test import override_settings
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from ecommerce_kit.api.exceptions import exception_handler
from ecommerce_kit.api.views import KitViewMixin
from ecommerce_kit.catalog.models import Category
from ecommerce_kit.exceptions import (
    EcommerceKitError,
    InsufficientStockError,
    InvalidInputError,
    StoreExistsError,
)


def _handle(exc: Exception) -> Response:
    response = exception_handler(exc, {})
    assert response is not None
    return response


class _Quantity(serializers.Serializer[Any]):
    quantity = serializers.IntegerField(min_value=1)
    address = serializers.DictField(child=serializers.CharField())


def test_field_validation_errors_are_400_invalid_with_fields() -> None:
    serializer = _Quantity(data={"quantity": 0, "address": {"city": None}})
    assert not serializer.is_valid()
    response = _handle(exceptions.ValidationError(serializer.errors))
    assert response.status_code == 400
    assert response.data == {
        "error": "Invalid input.",
        "code": "invalid",
        "status_code": 400,
        "fields": {
            "quantity": ["Ensure this value is greater than or equal to 1."],
            "address": {"city": ["This field may not be null."]},
        },
    }


def test_non_field_validation_errors_go_under_non_field_errors() -> None:
    response = _handle(exceptions.ValidationError("Nope."))
    assert response.data["fields"] == {"non_field_errors": ["Nope."]}
    response = _handle(exceptions.ValidationError({"quantity": "Too many."}))
    assert response.data["fields"] == {"quantity": ["Too many."]}


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (exceptions.NotAuthenticated(), 401, "not_authenticated"),
        (exceptions.AuthenticationFailed(), 401, "authentication_failed"),
        (exceptions.PermissionDenied(), 403, "permission_denied"),
        (exceptions.NotFound(), 404, "not_found"),
        (exceptions.MethodNotAllowed("PUT"), 405, "method_not_allowed"),
        (exceptions.NotAcceptable(), 406, "not_acceptable"),
        (exceptions.UnsupportedMediaType("text/csv"), 415, "unsupported_media_type"),
        (exceptions.ParseError(), 400, "parse_error"),
        (exceptions.Throttled(wait=12.3), 429, "throttled"),
    ],
)
def test_drf_errors_keep_their_status_and_get_a_code(
    exc: exceptions.APIException, status: int, code: str
) -> None:
    response = _handle(exc)
    assert response.status_code == status
    assert response.data["code"] == code and response.data["status_code"] == status
    assert isinstance(response.data["error"], str) and response.data["error"]
    assert set(response.data) == {"error", "code", "status_code"}


def test_throttled_sends_retry_after() -> None:
    response = _handle(exceptions.Throttled(wait=12.3))
    assert response["Retry-After"] == "13"  # DRF rounds the wait up


def test_other_api_exceptions_use_their_default_code() -> None:
    class Gone(exceptions.APIException):
        status_code = 410
        default_detail = "Gone for good."
        default_code = "gone"

    response = _handle(Gone())
    assert response.status_code == 410
    assert response.data == {"error": "Gone for good.", "code": "gone", "status_code": 410}


def test_kit_errors_carry_their_code_status_and_extra_fields() -> None:
    response = _handle(InsufficientStockError(available=3))
    assert response.status_code == 409
    assert response.data == {
        "error": "Not enough stock.",
        "code": "insufficient_stock",
        "status_code": 409,
        "available": 3,
    }


def test_kit_errors_accept_a_custom_message() -> None:
    response = _handle(StoreExistsError("Already open."))
    assert response.data == {"error": "Already open.", "code": "store_exists", "status_code": 409}


def test_kit_invalid_input_with_fields_has_the_validation_shape() -> None:
    response = _handle(InvalidInputError(fields={"parent": ["Choose another."]}))
    assert response.status_code == 400
    assert response.data == {
        "error": "Invalid input.",
        "code": "invalid",
        "status_code": 400,
        "fields": {"parent": ["Choose another."]},
    }


def test_http404_becomes_not_found() -> None:
    response = _handle(Http404("No Product matches the given query."))
    assert response.status_code == 404
    assert response.data == {"error": "Not found.", "code": "not_found", "status_code": 404}


def test_django_permission_denied_becomes_403() -> None:
    response = _handle(DjangoPermissionDenied())
    assert response.status_code == 403 and response.data["code"] == "permission_denied"


def test_django_validation_errors_become_field_errors() -> None:
    response = _handle(DjangoValidationError({"slug": ["Taken."]}))
    assert response.data["fields"] == {"slug": ["Taken."]}
    response = _handle(DjangoValidationError("Bad."))
    assert response.data["fields"] == {"non_field_errors": ["Bad."]}


def test_unexpected_errors_are_left_to_django() -> None:
    assert exception_handler(RuntimeError("boom"), {}) is None
    assert exception_handler(KeyError("x"), {}) is None


def test_codes_do_not_depend_on_the_language() -> None:
    from django.utils import translation

    with translation.override("pt"):
        pt = _handle(InsufficientStockError(available=2)).data
    with translation.override("en"):
        en = _handle(InsufficientStockError(available=2)).data
    assert pt["code"] == en["code"] == "insufficient_stock"
    assert pt["available"] == en["available"] == 2


# --- Through a view --------------------------------------------------------------------------


class _Raises(KitViewMixin, APIView):
    permission_classes = [AllowAny]
    exc: Exception = EcommerceKitError()

    def post(self, request: Request) -> Response:
        Category.objects.create(name="Should roll back", slug="rollback")
        raise self.exc


@pytest.mark.django_db
@override_settings(REST_FRAMEWORK={"EXCEPTION_HANDLER": "rest_framework.views.exception_handler"})
def test_kit_views_use_the_kit_handler_whatever_the_host_setting() -> None:
    view = _Raises.as_view(exc=InsufficientStockError(available=1))
    with transaction.atomic():
        response = view(APIRequestFactory().post("/x/"))
    assert response.status_code == 409
    assert response.data["code"] == "insufficient_stock" and response.data["available"] == 1


@pytest.mark.django_db
def test_kit_errors_roll_back_atomic_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import connection

    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    view = _Raises.as_view(exc=StoreExistsError())
    with transaction.atomic():
        response = view(APIRequestFactory().post("/x/"))
        assert response.status_code == 409
        assert connection.needs_rollback
        transaction.set_rollback(False)


class _HostView(APIView):
    """A host's own view: it answers in the contract's shape once the host opts in."""

    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        raise Http404


@override_settings(
    REST_FRAMEWORK={
        "EXCEPTION_HANDLER": "ecommerce_kit.api.exceptions.exception_handler",
        "DEFAULT_AUTHENTICATION_CLASSES": [],
    }
)
def test_a_host_view_can_opt_in_through_the_drf_setting() -> None:
    response = _HostView.as_view()(APIRequestFactory().get("/x/"))
    assert response.status_code == 404
    assert response.data == {"error": "Not found.", "code": "not_found", "status_code": 404}


@pytest.mark.django_db
def test_unauthenticated_with_session_authentication_only_is_401() -> None:
    """DRF alone would answer 403 here (no authenticator sends a challenge); kit views say 401."""
    from rest_framework.authentication import SessionAuthentication
    from rest_framework.permissions import IsAuthenticated

    class _Private(KitViewMixin, APIView):
        authentication_classes = [SessionAuthentication]
        permission_classes = [IsAuthenticated]

        def get(self, request: Request) -> Response:
            return Response({})

    response = _Private.as_view()(APIRequestFactory().get("/x/"))
    assert response.status_code == 401
    assert response.data["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == 'Session realm="api"'


@pytest.mark.django_db
def test_body_over_the_upload_limit_is_413_in_the_error_shape(
    client_for: Any, settings: Any
) -> None:
    # Django's RequestDataTooBig left the kit's handler and was answered by the host's HTML 400.
    from tests.factories import UserFactory

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"product": 1, "quantity": 1, "note": "' + "x" * 2000 + '"}'
    response = client_for(UserFactory()).post(
        "/api/v1/cart/items/", data=body, content_type="application/json"
    )
    assert response.status_code == 413, response.content
    assert response.json() == {
        "error": response.json()["error"],
        "code": "request_too_large",
        "status_code": 413,
    }


def test_request_data_too_big_is_413() -> None:
    from django.core.exceptions import RequestDataTooBig

    response = _handle(RequestDataTooBig("too big"))
    assert response.status_code == 413 and response.data["code"] == "request_too_large"


def test_kit_invalid_input_without_fields_still_has_a_fields_object() -> None:
    # Clients read ``fields`` whenever the code is "invalid"; a message-only InvalidInputError
    # (an unreadable webhook body, say) had none.
    response = _handle(InvalidInputError("The webhook body is not JSON."))
    assert response.status_code == 400
    assert response.data == {
        "error": "The webhook body is not JSON.",
        "code": "invalid",
        "status_code": 400,
        "fields": {"non_field_errors": ["The webhook body is not JSON."]},
    }
