"""The storefront's forms."""

from __future__ import annotations

from typing import Any

from accounts.serializers import RegisterSerializer
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _


class SignUpForm(forms.Form):
    """A new account; validated by the example site's own sign-up rules (``RegisterSerializer``:
    case-insensitive unique username and e-mail address, Django's password validators)."""

    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    password = forms.CharField(
        label=_("Password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        serializer = RegisterSerializer(data=cleaned)
        if not serializer.is_valid():
            for field, errors in serializer.errors.items():
                for error in errors:
                    self.add_error(field if field in self.fields else None, str(error))
        return cleaned

    def save(self) -> Any:
        data = self.cleaned_data
        return get_user_model().objects.create_user(
            username=data["username"], email=data["email"], password=data["password"]
        )
