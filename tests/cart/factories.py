"""Factories for carts and their lines."""

from __future__ import annotations

import factory

from ecommerce_kit.cart.models import Cart, CartItem
from tests.factories import ProductFactory


class CartFactory(factory.django.DjangoModelFactory):
    """An anonymous, empty cart (pass ``user=...`` for an owned one)."""

    class Meta:
        model = Cart

    user = None


class CartItemFactory(factory.django.DjangoModelFactory):
    """A line of ``cart``; sets the cart's currency from the product when it has none."""

    class Meta:
        model = CartItem
        skip_postgeneration_save = True

    cart = factory.SubFactory(CartFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 1

    @factory.post_generation
    def set_cart_currency(obj: CartItem, create: bool, extracted: object, **kwargs: object) -> None:  # noqa: N805
        if create and not obj.cart.currency:
            obj.cart.currency = str(obj.product.price_currency)
            obj.cart.save(update_fields=["currency", "updated_at"])
