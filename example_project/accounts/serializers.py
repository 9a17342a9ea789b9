"""Input and output shapes of the auth endpoints."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.utils import datetime_from_epoch

User = get_user_model()


class RegisterSerializer(serializers.Serializer):
    """``{"username", "email", "password"}`` in; ``{"id", "username", "email"}`` out."""

    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(
        max_length=150, validators=list(User._meta.get_field("username").validators)
    )
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False)

    default_error_messages = {
        "username_taken": _("A user with that username already exists."),
        "email_taken": _("A user with that email address already exists."),
    }

    def validate_username(self, value: str) -> str:
        if User.objects.filter(username__iexact=value).exists():
            self.fail("username_taken")
        return value

    def validate_email(self, value: str) -> str:
        value = User.objects.normalize_email(value)
        if User.objects.filter(email__iexact=value).exists():
            self.fail("email_taken")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        candidate = User(username=attrs["username"], email=attrs["email"])
        try:
            validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from exc
        return attrs


class RefreshTokenSerializer(serializers.Serializer):
    """``{"refresh": "<token>"}``."""

    refresh = serializers.CharField()


class OnceOnlyTokenRefreshSerializer(TokenRefreshSerializer):
    """SimpleJWT's refresh with rotation, where a refresh token is exchanged at most once.

    SimpleJWT checks the blacklist, then blacklists the token with ``get_or_create``: two
    requests with the same token can both pass the check and both get a new pair, so a stolen
    refresh token stays usable next to the legitimate one. Here the token is claimed first by
    inserting its blacklist row; the database's unique constraint lets one request win and the
    others are refused like any blacklisted token (401).
    """

    default_error_messages = {
        **TokenRefreshSerializer.default_error_messages,
        "used": _("Token is blacklisted"),
    }

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        refresh = self.token_class(attrs["refresh"])  # verified: signature, expiry, blacklist
        user_id = refresh.payload.get(api_settings.USER_ID_CLAIM)
        user = User.objects.filter(**{api_settings.USER_ID_FIELD: user_id}).first()
        if user is None or not api_settings.USER_AUTHENTICATION_RULE(user):
            raise AuthenticationFailed(
                self.error_messages["no_active_account"], "no_active_account"
            )
        outstanding, _created = OutstandingToken.objects.get_or_create(
            jti=refresh.payload[api_settings.JTI_CLAIM],
            defaults={
                "user": user,
                "token": str(refresh),
                "created_at": refresh.current_time,
                "expires_at": datetime_from_epoch(refresh.payload["exp"]),
            },
        )
        try:
            with transaction.atomic():
                BlacklistedToken.objects.create(token=outstanding)
        except IntegrityError:
            raise TokenError(self.error_messages["used"]) from None

        data = {"access": str(refresh.access_token)}
        refresh.set_jti()
        refresh.set_exp()
        refresh.set_iat()
        refresh.outstand()
        data["refresh"] = str(refresh)
        return data
