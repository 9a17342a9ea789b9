"""A shopper whose browser asks for Portuguese: the shop, its messages and the kit's errors in
Portuguese, without touching the language switch."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.pages import WITH_VARIANTS, follow, screenshot


def test_shopper_browses_and_fills_a_cart_in_portuguese(new_page: Any) -> None:
    page = new_page(locale="pt-PT")
    page.goto("/shop/")

    assert page.locator("html").get_attribute("lang") == "pt"
    assert page.locator("h1").inner_text() == "Produtos"
    assert page.get_by_label("Ordenar por").is_visible()
    assert page.get_by_role("button", name="Aplicar").is_visible()
    screenshot(page, "products-pt")

    page.get_by_label("Pesquisar").fill("Capulana")
    follow(page, page.get_by_role("button", name="Aplicar"))
    assert re.fullmatch(r"\d+ produtos?", page.locator("p.count").inner_text())
    follow(page, page.get_by_role("link", name=WITH_VARIANTS))
    assert page.locator("fieldset legend").inner_text() == "Escolha uma variante"
    assert page.get_by_role("heading", name="Avaliações", exact=True).is_visible()
    screenshot(page, "product-pt")

    # More than the stock: the kit's own error, in Portuguese.
    page.locator(".choice input:not([disabled])").first.check()
    page.get_by_label("Quantidade").fill("99")
    follow(page, page.get_by_role("button", name="Adicionar ao carrinho"))
    assert page.locator(".message.error").inner_text() == "Stock insuficiente."

    page.get_by_label("Quantidade").fill("1")
    follow(page, page.get_by_role("button", name="Adicionar ao carrinho"))
    assert page.locator(".message.success").inner_text() == "Adicionado ao seu carrinho."
    assert page.locator("h1").inner_text() == "O seu carrinho"
    assert page.get_by_role("link", name="Finalizar compra").is_visible()
    screenshot(page, "cart-pt")

    follow(page, page.get_by_role("link", name="Finalizar compra"))
    assert page.locator("h1").inner_text() == "Entrar"
    assert page.get_by_label("Palavra-passe").is_visible()
