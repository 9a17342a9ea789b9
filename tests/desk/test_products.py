"""Products, variants, prices and stock on the desk, through the kit's catalog services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from moneyed import Money

from ecommerce_kit.catalog.models import Product
from tests.factories import ProductFactory, StoreFactory

pytestmark = pytest.mark.django_db


def _product_form(the_category: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Pano do Congo",
        "description": "Algodão",
        "category": the_category.pk,
        "price": "4500.00",
        "currency": "AOA",
        "stock_quantity": "7",
        "attributes": "material: algodão\nlargura: 110 cm",
    }
    data.update(overrides)
    return data


def test_seller_creates_a_product(browser_for: Any, mine: Any, category: Any) -> None:
    response = browser_for(mine.owner).post("/desk/products/new/", _product_form(category))

    product = Product.objects.get(store=mine, name="Pano do Congo")
    assert response.status_code == 302 and response["Location"] == f"/desk/products/{product.pk}/"
    assert product.price == Money("4500.00", "AOA")
    assert product.stock_quantity == 7
    assert product.category == category
    assert product.attributes == {"material": "algodão", "largura": "110 cm"}
    assert product.is_active and product.parent is None


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"price": "0"}, "price", "Ensure this amount is greater than zero."),
        ({"price": "12.345"}, "price", "This amount cannot be stored exactly."),
        ({"stock_quantity": "-1"}, "stock_quantity", "Ensure this value is an integer from 0"),
        ({"stock_quantity": "many"}, "stock_quantity", "Enter a whole number."),
        ({"category": ""}, "category", "This field is required."),
        ({"attributes": "just words"}, "attributes", "Write each attribute as name: value"),
        ({"currency": "XYZ"}, "currency", "Select a valid choice."),
    ],
)
def test_bad_product_input_is_shown_on_its_field_and_creates_nothing(
    browser_for: Any, mine: Any, category: Any, overrides: Any, field: str, message: str
) -> None:
    response = browser_for(mine.owner).post(
        "/desk/products/new/", _product_form(category, **overrides)
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not Product.objects.filter(name="Pano do Congo").exists()


def test_pending_store_cannot_create_products(browser_for: Any, category: Any) -> None:
    store = StoreFactory(is_approved=False, approved_at=None)
    client = browser_for(store.owner)

    page = client.get("/desk/products/new/").content.decode()
    response = client.post("/desk/products/new/", _product_form(category))

    assert "Your store has not been approved yet." in page
    assert response.status_code == 200
    assert "Your store has not been approved yet." in response.content.decode()
    assert not Product.objects.filter(store=store).exists()


def test_product_list_shows_only_my_store(browser_for: Any, scarf: Any, lamp: Any) -> None:
    html = browser_for(scarf.store.owner).get("/desk/products/").content.decode()

    assert "Capulana" in html
    assert "Candeeiro" not in html


def test_product_search_finds_groups_by_their_variants_and_counts_them_once(
    browser_for: Any, scarf: Any
) -> None:
    group = ProductFactory(store=scarf.store, name="Camisa")
    for colour in ("azul", "verde"):
        ProductFactory(
            store=scarf.store, parent=group, category=group.category, name=f"Camisa {colour}"
        )
    ProductFactory(store=scarf.store, name="Camisola azul")

    page = browser_for(scarf.store.owner).get("/desk/products/?q=azul").context["page"]

    assert [(p.name, p.variant_count) for p in page] == [("Camisa", 2), ("Camisola azul", 0)]


def test_seller_changes_price_stock_and_category(
    browser_for: Any, scarf: Any, category: Any
) -> None:
    response = browser_for(scarf.store.owner).post(
        f"/desk/products/{scarf.pk}/",
        _product_form(category, name="Capulana", price="1400.50", stock_quantity="3"),
    )

    assert response.status_code == 302
    scarf.refresh_from_db()
    assert scarf.price == Money(Decimal("1400.50"), "AOA")
    assert scarf.stock_quantity == 3
    assert scarf.category == category


def test_another_sellers_product_is_not_found(browser_for: Any, scarf: Any, lamp: Any) -> None:
    client = browser_for(scarf.store.owner)
    before = (lamp.name, lamp.price, lamp.stock_quantity, lamp.is_active)

    assert client.get(f"/desk/products/{lamp.pk}/").status_code == 404
    assert client.post(f"/desk/products/{lamp.pk}/", {"name": "Mine"}).status_code == 404
    assert client.get(f"/desk/products/{lamp.pk}/variants/new/").status_code == 404
    assert client.post(f"/desk/products/{lamp.pk}/deactivate/").status_code == 404
    assert client.post(f"/desk/stock/{lamp.pk}/", {"stock_quantity": 1, "was": 10}).status_code == (
        404
    )
    lamp.refresh_from_db()
    assert (lamp.name, lamp.price, lamp.stock_quantity, lamp.is_active) == before


def test_buyer_cannot_touch_a_product(browser_for: Any, scarf: Any, django_user_model: Any) -> None:
    buyer = django_user_model.objects.create_user(username="buyer-x", password="x" * 12)

    response = browser_for(buyer).post(f"/desk/products/{scarf.pk}/", {"name": "Mine"})

    assert response.status_code == 403
    scarf.refresh_from_db()
    assert scarf.name == "Capulana"


def test_seller_adds_a_variant_and_the_product_becomes_a_group(
    browser_for: Any, scarf: Any
) -> None:
    client = browser_for(scarf.store.owner)

    response = client.post(
        f"/desk/products/{scarf.pk}/variants/new/",
        {
            "name": "Capulana azul",
            "price": "1300",
            "currency": "AOA",
            "stock_quantity": "4",
            "attributes": "cor: azul",
        },
    )

    assert response.status_code == 302 and response["Location"] == f"/desk/products/{scarf.pk}/"
    variant = Product.objects.get(parent=scarf)
    assert (variant.name, variant.price, variant.stock_quantity) == (
        "Capulana azul",
        Money("1300.00", "AOA"),
        4,
    )
    assert variant.attributes == {"cor": "azul"}
    assert variant.category == scarf.category and variant.store == scarf.store
    page = client.get(f"/desk/products/{scarf.pk}/").content.decode()
    assert "Capulana azul" in page
    assert "Buyers choose one of the variants below" in page


def test_a_variant_cannot_have_variants(browser_for: Any, scarf: Any) -> None:
    variant = ProductFactory(store=scarf.store, parent=scarf, category=scarf.category)

    response = browser_for(scarf.store.owner).get(f"/desk/products/{variant.pk}/variants/new/")

    assert response.status_code == 404


def test_stopping_a_sale_asks_first(browser_for: Any, scarf: Any) -> None:
    ProductFactory(store=scarf.store, parent=scarf, category=scarf.category)

    response = browser_for(scarf.store.owner).get(f"/desk/products/{scarf.pk}/deactivate/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Stop selling Capulana?" in html
    assert "The product and its 1 variant leave the shop." in html
    assert f'action="/desk/products/{scarf.pk}/deactivate/"' in html
    assert Product.objects.get(pk=scarf.pk).is_active


def test_stopping_a_group_stops_its_variants(browser_for: Any, scarf: Any) -> None:
    variant = ProductFactory(store=scarf.store, parent=scarf, category=scarf.category)

    response = browser_for(scarf.store.owner).post(f"/desk/products/{scarf.pk}/deactivate/")

    assert response.status_code == 302
    assert not Product.objects.get(pk=scarf.pk).is_active
    assert not Product.objects.get(pk=variant.pk).is_active


def test_stock_page_lists_what_buyers_order_lowest_first(browser_for: Any, scarf: Any) -> None:
    ProductFactory(store=scarf.store, name="Esteira", stock_quantity=0)
    group = ProductFactory(store=scarf.store, name="Camisa")
    ProductFactory(store=scarf.store, parent=group, name="Camisa M", category=group.category)

    response = browser_for(scarf.store.owner).get("/desk/stock/")

    names = [product.name for product in response.context["page"]]
    assert names == ["Esteira", "Camisa M", "Capulana"]


def test_seller_sets_the_stock(browser_for: Any, scarf: Any) -> None:
    response = browser_for(scarf.store.owner).post(
        f"/desk/stock/{scarf.pk}/",
        {"stock_quantity": "25", "was": "10", "back": "/desk/stock/?q=Cap"},
    )

    assert response.status_code == 302 and response["Location"] == "/desk/stock/?q=Cap"
    scarf.refresh_from_db()
    assert scarf.stock_quantity == 25


def test_stock_changed_meanwhile_is_not_overwritten(browser_for: Any, scarf: Any) -> None:
    Product.objects.filter(pk=scarf.pk).update(stock_quantity=8)  # two were sold

    response = browser_for(scarf.store.owner).post(
        f"/desk/stock/{scarf.pk}/", {"stock_quantity": "25", "was": "10"}, follow=True
    )

    assert response.redirect_chain == [("/desk/stock/", 302)]
    assert "changed to 8 since you looked" in response.content.decode()
    scarf.refresh_from_db()
    assert scarf.stock_quantity == 8


@pytest.mark.parametrize(
    "value, message",
    [
        ("ten", "Enter the new stock as a whole number."),
        ("-3", "Ensure this value is an integer from 0 to 2147483647."),
        ("2147483648", "Ensure this value is an integer from 0 to 2147483647."),
    ],
)
def test_bad_stock_is_refused(browser_for: Any, scarf: Any, value: str, message: str) -> None:
    response = browser_for(scarf.store.owner).post(
        f"/desk/stock/{scarf.pk}/", {"stock_quantity": value, "was": "10"}, follow=True
    )

    assert response.redirect_chain == [("/desk/stock/", 302)]
    assert message in response.content.decode()
    scarf.refresh_from_db()
    assert scarf.stock_quantity == 10
