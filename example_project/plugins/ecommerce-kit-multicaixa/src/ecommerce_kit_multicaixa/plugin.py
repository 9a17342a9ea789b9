"""The plugin module named by the ``ecommerce_kit`` entry point."""

from __future__ import annotations

from ecommerce_kit import hookimpl
from ecommerce_kit_multicaixa.gateway import MulticaixaReferenceGateway

gateway = MulticaixaReferenceGateway()


@hookimpl
def register_payment_gateways() -> list[MulticaixaReferenceGateway]:
    return [gateway]
