"""What each order e-mail says, in English and in Portuguese: subject, text, HTML and amounts."""

from __future__ import annotations

from typing import Any

import pytest
from moneyed import Money

from ecommerce_kit.orders.models import Order
from tests.emails.helpers import cancel, client, committed, move, place_order, refund
from tests.factories import ProductFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db

NBSP = "\xa0"


def _kz(amount: str) -> str:
    """An amount as Portuguese e-mails write it: ``2 500,00 Kz`` (non-breaking spaces)."""
    return f"{amount} Kz".replace(" ", NBSP)


#: For each language and e-mail: the subject, lines of the text body, pieces of the HTML body.
#: ``{n}`` is the order's number.
EXPECTED: dict[str, dict[str, tuple[str, list[str], list[str]]]] = {
    "en": {
        "order_confirmed": (
            "Order {n} confirmed",
            [
                "Hello Ana Silva,",
                "Thank you for your order. Order {n} is confirmed and will now be prepared for "
                "shipping.",
                "- 2 × Mug & <Co>: AOA2,500.00",
                "Shipping: AOA0.00",
                "Total: AOA2,500.00",
                "Shipping address:",
                "Rua Direita 12",
                "This is an automatic message about your order.",
            ],
            [
                '<html lang="en">',
                "Order <strong>{n}</strong> is confirmed",
                "Mug &amp; &lt;Co&gt;",
                "<strong>AOA2,500.00</strong>",
                "Shipping address",
            ],
        ),
        "order_shipped": (
            "Your order {n} has shipped",
            [
                "Loja Kwanza has shipped these items of your order {n}:",
                "- 2 × Mug & <Co>: AOA2,500.00",
                "Tracking number: TRK-42",
            ],
            ["Tracking number: <strong>TRK-42</strong>", "AOA2,500.00"],
        ),
        "order_delivered": (
            "Order {n} delivered",
            [
                "Your order {n} has been delivered. We hope you enjoy it!",
                "- 2 × Mug & <Co>: AOA2,500.00",
            ],
            ["Your order <strong>{n}</strong> has been delivered."],
        ),
        "order_cancelled": (
            "Order {n} cancelled",
            [
                "Your order {n} has been cancelled. Any money taken or reserved for it is being "
                "returned to you through the payment method you used.",
                "Total: AOA2,500.00",
            ],
            ["Your order <strong>{n}</strong> has been cancelled."],
        ),
        "order_refunded": (
            "Refund for your order {n}",
            [
                "We have refunded AOA500.00 for your order {n}.",
                "The money goes back through the payment method you used; your bank may take a "
                "few days to show it.",
            ],
            ["We have refunded <strong>AOA500.00</strong> for your order <strong>{n}</strong>."],
        ),
        "fulfilment_due": (
            "New order {n} for Loja Kwanza",
            [
                "Hello Bruno Costa,",
                "Order {n} is paid and has items from Loja Kwanza to prepare and ship:",
                "- 2 × Mug & <Co>: AOA2,500.00",
                "Items total: AOA2,500.00",
                "Ship to:",
                "Ana Silva",
                "This is an automatic message about an order of your store.",
            ],
            ["Ship to", "<strong>AOA2,500.00</strong>"],
        ),
    },
    "pt": {
        "order_confirmed": (
            "Encomenda {n} confirmada",
            [
                "Olá Ana Silva,",
                "Obrigado pela sua encomenda. A encomenda {n} está confirmada e vai agora ser "
                "preparada para envio.",
                f"- 2 × Mug & <Co>: {_kz('2 500,00')}",
                f"Envio: {_kz('0,00')}",
                f"Total: {_kz('2 500,00')}",
                "Morada de entrega:",
                "Esta é uma mensagem automática sobre a sua encomenda.",
            ],
            [
                '<html lang="pt">',
                "A encomenda <strong>{n}</strong> está confirmada",
                f"<strong>{_kz('2 500,00')}</strong>",
                "Morada de entrega",
                "Quantidade",
            ],
        ),
        "order_shipped": (
            "A sua encomenda {n} foi enviada",
            [
                "Loja Kwanza enviou estes artigos da sua encomenda {n}:",
                f"- 2 × Mug & <Co>: {_kz('2 500,00')}",
                "Número de seguimento: TRK-42",
            ],
            ["Número de seguimento: <strong>TRK-42</strong>", _kz("2 500,00")],
        ),
        "order_delivered": (
            "Encomenda {n} entregue",
            ["A sua encomenda {n} foi entregue. Esperamos que goste!"],
            ["A sua encomenda <strong>{n}</strong> foi entregue."],
        ),
        "order_cancelled": (
            "Encomenda {n} cancelada",
            [
                "A sua encomenda {n} foi cancelada. Qualquer valor cobrado ou reservado para ela "
                "está a ser-lhe devolvido pelo meio de pagamento que usou.",
                f"Total: {_kz('2 500,00')}",
            ],
            ["A sua encomenda <strong>{n}</strong> foi cancelada."],
        ),
        "order_refunded": (
            "Reembolso da sua encomenda {n}",
            [
                f"Reembolsámos {_kz('500,00')} da sua encomenda {{n}}.",
                "O dinheiro é devolvido pelo meio de pagamento que usou; o seu banco pode demorar "
                "alguns dias a mostrá-lo.",
            ],
            [f"Reembolsámos <strong>{_kz('500,00')}</strong> da sua encomenda <strong>{{n}}"],
        ),
        "fulfilment_due": (
            "Nova encomenda {n} para Loja Kwanza",
            [
                "Olá Bruno Costa,",
                "A encomenda {n} está paga e tem artigos de Loja Kwanza para preparar e enviar:",
                f"Total dos artigos: {_kz('2 500,00')}",
                "Enviar para:",
                "Esta é uma mensagem automática sobre uma encomenda da sua loja.",
            ],
            ["Enviar para", f"<strong>{_kz('2 500,00')}</strong>"],
        ),
    },
}


@pytest.fixture
def shop(kit_settings: Any) -> Any:
    seller = UserFactory(username="bruno", first_name="Bruno", last_name="Costa")
    store = StoreFactory(owner=seller, name="Loja Kwanza")
    product = ProductFactory(store=store, name="Mug & <Co>", price=Money("1250.00", "AOA"))
    buyer = UserFactory(username="ana", first_name="Ana", last_name="Silva")
    return buyer, product


def _happen(kind: str, buyer: Any, product: Any, language: str, shop_staff: Any) -> Order:
    """Make the change that sends ``kind``, in ``language``."""
    order = place_order(buyer, [(product, 2)], language=language)
    fulfilment = order.fulfilments.get()
    if kind == "order_shipped":
        move(fulfilment, "process", "ship", tracking_number="TRK-42")
    elif kind == "order_delivered":
        move(fulfilment, "process", "ship", "deliver")
    elif kind == "order_cancelled":
        cancel(order, buyer)
    elif kind == "order_refunded":
        refund(order, shop_staff, "500.00")
    return order


@pytest.mark.parametrize("language", ["en", "pt"])
@pytest.mark.parametrize("kind", list(EXPECTED["en"]))
def test_email_content_in_each_language(
    kind: str, language: str, shop: Any, shop_staff: Any, mailoutbox: Any, kit_settings: Any
) -> None:
    buyer, product = shop
    # The seller has no language of their own: the site's default for e-mails.
    kit_settings(EMAIL_LANGUAGE=language, EMAIL_FROM="Loja <loja@example.ao>")
    order = _happen(kind, buyer, product, language, shop_staff)
    subject, text_lines, html_parts = EXPECTED[language][kind]
    recipient = product.store.owner if kind == "fulfilment_due" else buyer

    [message] = [
        m
        for m in mailoutbox
        if m.subject == subject.format(n=order.number) and m.to == [recipient.email]
    ]
    assert message.from_email == "Loja <loja@example.ao>"
    lines = message.body.splitlines()
    for line in text_lines:
        assert line.format(n=order.number) in lines, (line, message.body)
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    for part in html_parts:
        assert part.format(n=order.number) in html, (part, html)
    assert "&amp;" not in message.body and "{%" not in message.body and "{{" not in html


def test_shipped_email_without_tracking_number_says_so(shop: Any, mailoutbox: Any) -> None:
    buyer, product = shop
    order = place_order(buyer, [(product, 1)])
    move(order.fulfilments.get(), "process", "ship")

    [message] = [m for m in mailoutbox if "has shipped" in m.subject]
    assert "No tracking number was given." in message.body


def test_refund_of_cancelled_goods_says_what_it_is_for(mailoutbox: Any, kit_settings: Any) -> None:
    first, second = ProductFactory(), ProductFactory()
    buyer = UserFactory()
    order = place_order(buyer, [(first, 1), (second, 1)])
    fulfilment = order.fulfilments.get(store=second.store)
    with committed():
        response = client(second.store.owner).post(
            f"/api/v1/fulfilments/{fulfilment.pk}/cancel/", {}, format="json"
        )
    assert response.status_code == 200, response.data

    [message] = [m for m in mailoutbox if m.subject.startswith("Refund")]
    assert f"We have refunded AOA1,000.00 for your order {order.number}." in message.body
    assert "This refund is for the items of your order that were cancelled." in message.body


def test_each_shipped_part_of_a_multi_store_order_has_its_own_tracking_number(
    mailoutbox: Any,
) -> None:
    first = ProductFactory(store=StoreFactory(name="Loja Um"), name="Caneca")
    second = ProductFactory(store=StoreFactory(name="Loja Dois"), name="Prato")
    buyer = UserFactory()
    order = place_order(buyer, [(first, 1), (second, 1)], language="pt")
    one = order.fulfilments.get(store=first.store)
    two = order.fulfilments.get(store=second.store)

    move(one, "process", "ship", tracking_number="TRK-1")
    move(two, "process", "ship", tracking_number="TRK-2")

    shipped = [m for m in mailoutbox if m.subject == f"A sua encomenda {order.number} foi enviada"]
    assert [m.to for m in shipped] == [[buyer.email]] * 2
    assert "Loja Um enviou" in shipped[0].body and "Número de seguimento: TRK-1" in shipped[0].body
    assert "Prato" not in shipped[0].body
    assert (
        "Loja Dois enviou" in shipped[1].body and "Número de seguimento: TRK-2" in shipped[1].body
    )
    assert "Caneca" not in shipped[1].body
