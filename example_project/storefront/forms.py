"""The storefront's forms."""

from __future__ import annotations

from typing import Any

from accounts.serializers import RegisterSerializer
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from ecommerce_kit.orders.countries import is_shipping_country
from ecommerce_kit.orders.serializers import ShippingAddressSerializer


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


class AddressForm(forms.Form):
    """Where to ship; validated by the kit's own rules (``ShippingAddressSerializer``: lengths,
    phone format, a country the shop ships to)."""

    full_name = forms.CharField(label=_("Full name"), max_length=200)
    line1 = forms.CharField(label=_("Address"), max_length=200)
    line2 = forms.CharField(label=_("Address, second line"), max_length=200, required=False)
    city = forms.CharField(label=_("City"), max_length=100)
    region = forms.CharField(label=_("Province or region"), max_length=100, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    country = forms.ChoiceField(label=_("Country"), initial="AO")
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [
            (code, name) for code, name in countries if is_shipping_country(code)
        ]
        autocomplete = {
            "full_name": "name",
            "line1": "address-line1",
            "line2": "address-line2",
            "city": "address-level2",
            "region": "address-level1",
            "postal_code": "postal-code",
            "country": "country",
            "phone": "tel",
        }
        for name, token in autocomplete.items():
            self.fields[name].widget.attrs["autocomplete"] = token

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        serializer = ShippingAddressSerializer(data=cleaned)
        if not serializer.is_valid():
            for field, errors in serializer.errors.items():
                for error in errors:
                    self.add_error(field if field in self.fields else None, str(error))
            return cleaned
        return dict(serializer.validated_data)


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Rating"),
        coerce=int,
        choices=[(n, str(n)) for n in (5, 4, 3, 2, 1)],
        widget=forms.RadioSelect,
    )
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    body = forms.CharField(label=_("Your review"), required=False, widget=forms.Textarea)
