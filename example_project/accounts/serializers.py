"""Input and output shapes of the auth endpoints."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

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
