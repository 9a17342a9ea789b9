"""The plugin module named by the ``ecommerce_kit`` entry point: both Multicaixa gateways."""

from __future__ import annotations

from ecommerce_kit import hookimpl
from ecommerce_kit_multicaixa.gateway import (
    MulticaixaExpressGateway,
    MulticaixaGateway,
    MulticaixaReferenceGateway,
)

gateway = MulticaixaReferenceGateway()
express = MulticaixaExpressGateway()


@hookimpl
def register_payment_gateways() -> list[MulticaixaGateway]:
    return [gateway, express]
