"""get_cart_summary: live prices, Money totals and unavailable lines."""

from __future__ import annotations

from decimal import Decimal

import pytest
from moneyed import Money

from ecommerce_kit.cart import services
from ecommerce_kit.cart.selectors import get_cart_summary
from tests.factories import ProductFactory, StoreFactory, VariantFactory

pytestmark = pytest.mark.django_db


def test_summary_of_empty_cart_has_no_currency_or_subtotal(cart):
    summary = get_cart_summary(cart)
    assert summary.lines == []
    assert summary.currency is None
    assert summary.subtotal is None
    assert summary.item_count == 0
    assert summary.token == cart.token


def test_summary_totals_lines_in_money(cart):
    a = ProductFactory(price=Money(Decimal("1250.50"), "AOA"))
    b = ProductFactory(price=Money(Decimal("0.10"), "AOA"))
    services.add_item(cart=cart, product_id=a.pk, quantity=3)
    services.add_item(cart=cart, product_id=b.pk, quantity=7)
    summary = get_cart_summary(cart)
    assert [line.product.pk for line in summary.lines] == [a.pk, b.pk]
    assert summary.lines[0].unit_price == Money(Decimal("1250.50"), "AOA")
    assert summary.lines[0].line_total == Money(Decimal("3751.50"), "AOA")
    assert summary.lines[1].line_total == Money(Decimal("0.70"), "AOA")
    assert summary.subtotal == Money(Decimal("3752.20"), "AOA")
    assert isinstance(summary.subtotal.amount, Decimal)
    assert summary.item_count == 10
    assert summary.currency == "AOA"


def test_summary_uses_live_prices(cart, product):
    services.add_item(cart=cart, product_id=product.pk, quantity=2)
    product.price = Money(Decimal("1.99"), "AOA")
    product.save()
    assert get_cart_summary(cart).subtotal == Money(Decimal("3.98"), "AOA")


@pytest.mark.parametrize(
    "make_unavailable",
    [
        lambda p: type(p).objects.filter(pk=p.pk).update(is_active=False),
        lambda p: type(p.store).objects.filter(pk=p.store_id).update(is_active=False),
        lambda p: type(p.store).objects.filter(pk=p.store_id).update(is_approved=False),
        lambda p: VariantFactory(parent=p),
        lambda p: type(p).objects.filter(pk=p.pk).update(price_currency="USD"),
    ],
    ids=["inactive", "store-inactive", "store-unapproved", "became-group", "other-currency"],
)
def test_summary_marks_unavailable_line_and_excludes_it_from_totals(cart, make_unavailable):
    kept = ProductFactory(price=Money(Decimal("10.00"), "AOA"), store=StoreFactory())
    gone = ProductFactory(price=Money(Decimal("99.00"), "AOA"), store=StoreFactory())
    services.add_item(cart=cart, product_id=kept.pk, quantity=2)
    services.add_item(cart=cart, product_id=gone.pk, quantity=5)
    make_unavailable(gone)
    summary = get_cart_summary(cart)
    by_product = {line.product.pk: line for line in summary.lines}
    assert by_product[kept.pk].available is True
    assert by_product[gone.pk].available is False
    assert by_product[gone.pk].quantity == 5  # shown, not hidden
    assert summary.item_count == 2
    assert summary.subtotal == Money(Decimal("20.00"), "AOA")
    assert [line.product.pk for line in summary.available_lines] == [kept.pk]


def test_summary_marks_variant_of_deactivated_group_unavailable(cart):
    group = ProductFactory()
    variant = VariantFactory(parent=group)
    services.add_item(cart=cart, product_id=variant.pk, quantity=1)
    group.is_active = False
    group.save()
    summary = get_cart_summary(cart)
    assert summary.lines[0].available is False
    assert summary.subtotal == Money(Decimal("0.00"), "AOA")
    assert summary.item_count == 0
