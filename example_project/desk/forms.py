"""The desk's forms. They only parse what is typed; the kit's services judge it (a price above
zero, a stock within range, an active category, one store per user...) and their errors are put
back on the fields by :func:`desk.errors.show_on_form`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from moneyed import Money

from ecommerce_kit.catalog.models import Category, Product
from ecommerce_kit.conf import kit_settings


class StoreForm(forms.Form):
    name = forms.CharField(label=_("Store name"), max_length=120)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class CategoryChoiceField(forms.ModelChoiceField):
    """Active categories, each named with its parent: "Moda › Calçado"."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.parent.name} › {obj.name}" if obj.parent_id else str(obj.name)


def format_attributes(attributes: dict[str, Any]) -> str:
    """``{"size": "M", "colour": "red"}`` as the lines ``size: M`` and ``colour: red``."""
    return "\n".join(f"{key}: {value}" for key, value in attributes.items())


class ProductForm(forms.Form):
    """A product, or a variant of one (``variant=True``: no category, the group's is used)."""

    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    category = CategoryChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(is_active=True)
        .select_related("parent")
        .order_by("parent__name", "name"),
    )
    price = forms.DecimalField(
        label=_("Price"),
        widget=forms.NumberInput(attrs={"step": "any", "min": "0", "inputmode": "decimal"}),
    )
    currency = forms.ChoiceField(label=_("Currency"))
    stock_quantity = forms.IntegerField(
        label=_("Stock"),
        widget=forms.NumberInput(attrs={"min": "0", "step": "1", "inputmode": "numeric"}),
    )
    attributes = forms.CharField(
        label=_("Attributes"),
        required=False,
        help_text=_("One per line, as name: value (for example size: M)."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, variant: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        currencies = kit_settings.CURRENCIES
        self.fields["currency"].choices = [(code, code) for code in currencies]
        self.fields["currency"].initial = kit_settings.DEFAULT_CURRENCY
        if variant:
            del self.fields["category"]

    @classmethod
    def initial_for(cls, product: Product) -> dict[str, Any]:
        """The form's values for an existing product."""
        return {
            "name": product.name,
            "description": product.description,
            "category": product.category_id,
            "price": product.price.amount,
            "currency": str(product.price.currency),
            "stock_quantity": product.stock_quantity,
            "attributes": format_attributes(product.attributes),
        }

    def clean_attributes(self) -> dict[str, str]:
        attributes: dict[str, str] = {}
        for line in self.cleaned_data["attributes"].splitlines():
            if not line.strip():
                continue
            key, colon, value = line.partition(":")
            key, value = key.strip(), value.strip()
            if not colon or not key:
                raise forms.ValidationError(
                    _("Write each attribute as name: value (“%(line)s” is not)."),
                    params={"line": line.strip()},
                )
            if key in attributes:
                raise forms.ValidationError(
                    _("The attribute “%(name)s” is given twice."), params={"name": key}
                )
            attributes[key] = value
        return attributes

    def values(self) -> dict[str, Any]:
        """The cleaned values as the kit's product services take them."""
        data = self.cleaned_data
        values = {
            "name": data["name"],
            "description": data["description"],
            "price": Money(Decimal(data["price"]), data["currency"]),
            "stock_quantity": data["stock_quantity"],
            "attributes": data["attributes"],
        }
        if "category" in self.fields:
            values["category"] = data["category"]
        return values


class StockForm(forms.Form):
    """A new stock level for one product; ``was`` is the level the seller saw."""

    stock_quantity = forms.IntegerField(label=_("Stock"))
    was = forms.IntegerField(widget=forms.HiddenInput)


class ShipForm(forms.Form):
    tracking_number = forms.CharField(
        label=_("Tracking number"),
        max_length=100,
        required=False,
        help_text=_("The carrier's reference, shown to the buyer."),
    )
