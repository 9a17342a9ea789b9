"""JWT auth endpoints of the example site (API.md, "Auth").

- ``POST auth/register/``: 201 ``{"id", "username", "email"}``; 400 on a taken username or email
  or a password Django's validators reject
- ``POST auth/token/``: 200 ``{"access", "refresh"}``; 401 on bad credentials
- ``POST auth/token/refresh/``: 200 ``{"access", "refresh"}``; the old refresh token is blacklisted
- ``POST auth/logout/``: 205; the refresh token is blacklisted (400 if it is not a valid one)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from accounts.serializers import (
    OnceOnlyTokenRefreshSerializer,
    RefreshTokenSerializer,
    RegisterSerializer,
)
from accounts.throttles import AuthRateThrottle
from ecommerce_kit.api.exceptions import exception_handler
from ecommerce_kit.api.schema import ErrorSerializer

User = get_user_model()


class _AuthViewMixin:
    """Anonymous endpoints answering in the kit's error shape, throttled per address."""

    permission_classes = [AllowAny]
    throttle_classes = [AuthRateThrottle]

    def get_exception_handler(self) -> Callable[[Exception, dict[str, Any]], Response | None]:
        return exception_handler


class RegisterView(_AuthViewMixin, APIView):
    """Create a user account."""

    authentication_classes: list[type] = []

    @extend_schema(
        operation_id="auth_register",
        request=RegisterSerializer,
        responses={201: RegisterSerializer, 400: OpenApiResponse(description="Invalid input.")},
    )
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    username=data["username"], email=data["email"], password=data["password"]
                )
        except IntegrityError as exc:
            # A concurrent registration took the username or the e-mail address between
            # validation and insert (both are unique whatever their case, see the migration).
            if User.objects.filter(username__iexact=data["username"]).exists():
                field, message = "username", _("A user with that username already exists.")
            else:
                field, message = "email", _("A user with that email address already exists.")
            raise serializers.ValidationError({field: [message]}) from exc
        return Response(RegisterSerializer(user).data, status=status.HTTP_201_CREATED)


_TOKEN_ERRORS = {
    400: OpenApiResponse(response=ErrorSerializer, description="invalid (a field is missing)"),
    401: OpenApiResponse(
        response=ErrorSerializer, description="authentication_failed (bad credentials or token)"
    ),
}


@extend_schema_view(post=extend_schema(responses={200: TokenObtainPairSerializer, **_TOKEN_ERRORS}))
class TokenView(_AuthViewMixin, TokenObtainPairView):
    """Exchange a username and password for an access and a refresh token."""


@extend_schema_view(post=extend_schema(responses={200: TokenRefreshSerializer, **_TOKEN_ERRORS}))
class TokenRefresh(_AuthViewMixin, TokenRefreshView):
    """Exchange a refresh token for a new access token and a new refresh token."""

    serializer_class = OnceOnlyTokenRefreshSerializer


class LogoutView(_AuthViewMixin, APIView):
    """Blacklist a refresh token so that it can no longer be used."""

    authentication_classes: list[type] = []

    @extend_schema(
        operation_id="auth_logout",
        request=RefreshTokenSerializer,
        responses={205: None, 400: OpenApiResponse(description="Invalid input.")},
    )
    def post(self, request: Request) -> Response:
        serializer = RefreshTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            RefreshToken(serializer.validated_data["refresh"]).blacklist()  # type: ignore[arg-type]
        except TokenError as exc:
            raise serializers.ValidationError({"refresh": [str(exc)]}) from exc
        return Response(status=status.HTTP_205_RESET_CONTENT)
