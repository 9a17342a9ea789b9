"""The plugin manager and typed wrappers around every hook call.

Call sites never use ``pm.hook`` directly: they call the wrappers below, which check what plugins
return. Plugins are registered in this order: the kit's built-in plugins, the distributions of the
``ecommerce_kit`` entry-point group (unless ``PLUGINS_AUTOLOAD`` is off or the environment variable
``ECOMMERCE_KIT_DISABLE_PLUGIN_AUTOLOAD`` is set), then the modules named in
``ECOMMERCE_KIT["PLUGINS"]``. Set ``ECOMMERCE_KIT_TRACE_PLUGINS=1`` to print every hook call.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy
from django.db import transaction

from ecommerce_kit import hookspecs
from ecommerce_kit.conf import kit_settings

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.db.models import QuerySet
    from moneyed import Money

    from ecommerce_kit.cart.models import Cart
    from ecommerce_kit.catalog.models import Product
    from ecommerce_kit.orders.models import Order
    from ecommerce_kit.payments.base import PaymentGateway

logger = logging.getLogger(__name__)

PROJECT_NAME = "ecommerce_kit"
ENTRY_POINT_GROUP = "ecommerce_kit"
BUILTIN_PLUGINS: tuple[str, ...] = ("ecommerce_kit.payments.dummy", "ecommerce_kit.emails")
#: The kit's own reactions between its apps (money → orders, cancellations → payments); they are
#: always registered and cannot be blocked.
CORE_PLUGINS: tuple[str, ...] = ("ecommerce_kit.orders.plugin", "ecommerce_kit.payments.plugin")


@functools.cache
def get_plugin_manager() -> pluggy.PluginManager:
    """Build the plugin manager once; ``get_plugin_manager.cache_clear()`` rebuilds it."""
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    for name in kit_settings.BLOCKED_PLUGINS:
        pm.set_blocked(name)
    for dotted in CORE_PLUGINS:
        pm.register(importlib.import_module(dotted), name=dotted)
    for dotted in BUILTIN_PLUGINS:
        if not pm.is_blocked(dotted):
            pm.register(importlib.import_module(dotted), name=dotted)
    autoload_disabled = os.environ.get("ECOMMERCE_KIT_DISABLE_PLUGIN_AUTOLOAD")
    if kit_settings.PLUGINS_AUTOLOAD and not autoload_disabled:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for dotted in kit_settings.PLUGINS:
        if not pm.is_blocked(dotted) and pm.get_plugin(dotted) is None:
            pm.register(importlib.import_module(dotted), name=dotted)
    pm.check_pending()
    if os.environ.get("ECOMMERCE_KIT_TRACE_PLUGINS"):
        pm.trace.root.setwriter(lambda message: sys.stderr.write(message))
        pm.enable_tracing()
    return pm


def _check_money(value: Any, currency: str, hook: str) -> Money | None:
    from moneyed import Money

    if value is None:
        return None
    if (
        not isinstance(value, Money)
        or str(value.currency) != currency
        or not value.amount.is_finite()
        or value.amount < 0
    ):
        raise TypeError(
            f"Hook {hook} must return a non-negative Money in {currency} or None, got {value!r}."
        )
    return value


def calculate_shipping(*, cart: Cart, address: dict[str, Any], subtotal: Money) -> Money | None:
    """Ask plugins for the shipping cost; ``None`` when no plugin answers."""
    value = get_plugin_manager().hook.calculate_shipping(
        cart=cart, address=address, subtotal=subtotal
    )
    return _check_money(value, str(subtotal.currency), "calculate_shipping")


def calculate_tax(
    *, cart: Cart, address: dict[str, Any], subtotal: Money, shipping: Money
) -> Money | None:
    """Ask plugins for the tax; ``None`` when no plugin answers."""
    value = get_plugin_manager().hook.calculate_tax(
        cart=cart, address=address, subtotal=subtotal, shipping=shipping
    )
    return _check_money(value, str(subtotal.currency), "calculate_tax")


def search_products(*, queryset: QuerySet[Product], query: str) -> QuerySet[Product] | None:
    """Let a plugin search products; ``None`` when no plugin answers."""
    from django.db.models import QuerySet

    result = get_plugin_manager().hook.search_products(queryset=queryset, query=query)
    if result is not None and not isinstance(result, QuerySet):
        raise TypeError(f"Hook search_products must return a QuerySet or None, got {result!r}.")
    return result


def registered_gateways() -> dict[str, PaymentGateway]:
    """Return every gateway offered by a plugin, configured or not, by id.

    :raises ImproperlyConfigured: when a plugin offers something that is not a gateway, or two
        gateways share an id.
    """
    from django.core.exceptions import ImproperlyConfigured

    from ecommerce_kit.payments.base import FLOWS, PaymentGateway

    gateways: dict[str, PaymentGateway] = {}
    for batch in get_plugin_manager().hook.register_payment_gateways():
        for gateway in batch or ():
            if (
                not isinstance(gateway, PaymentGateway)
                or not isinstance(gateway.id, str)
                or not gateway.id
                or gateway.flow not in FLOWS
            ):
                raise ImproperlyConfigured(
                    f"register_payment_gateways returned {gateway!r}, which does not implement "
                    "ecommerce_kit.payments.base.PaymentGateway."
                )
            if gateway.id in gateways and gateways[gateway.id] is not gateway:
                raise ImproperlyConfigured(f"Two plugins offer a payment gateway {gateway.id!r}.")
            gateways[gateway.id] = gateway
    return gateways


def gateway_options(gateway_id: str) -> dict[str, Any]:
    """Return the configuration of ``gateway_id`` from ``ECOMMERCE_KIT["PAYMENT_GATEWAYS"]``.

    :raises GatewayNotFoundError: when it is not configured.
    """
    from ecommerce_kit.exceptions import GatewayNotFoundError

    options = kit_settings.PAYMENT_GATEWAYS.get(gateway_id)
    if options is None:
        raise GatewayNotFoundError(gateway=gateway_id)
    return dict(options)


def gateway_currencies(gateway: PaymentGateway) -> tuple[str, ...]:
    """Return the currencies ``gateway`` accepts here, in the order of ``CURRENCIES``.

    That is the kit's ``CURRENCIES``, narrowed by what the gateway declares and by the
    ``currencies`` option of its configuration.
    """
    configured = kit_settings.PAYMENT_GATEWAYS.get(gateway.id) or {}
    allowed = [
        c for c in kit_settings.CURRENCIES if not gateway.currencies or c in gateway.currencies
    ]
    narrowed = configured.get("currencies")
    if narrowed is not None:
        allowed = [c for c in allowed if c in narrowed]
    return tuple(allowed)


def list_gateways(currency: str | None = None) -> list[PaymentGateway]:
    """Return the configured gateways (in the order of the setting), optionally for ``currency``."""
    available = registered_gateways()
    result = []
    for gateway_id in kit_settings.PAYMENT_GATEWAYS:
        gateway = available.get(gateway_id)
        if gateway is None:
            continue
        if currency is not None and currency not in gateway_currencies(gateway):
            continue
        result.append(gateway)
    return result


def get_gateway(gateway_id: str) -> PaymentGateway:
    """Return the configured gateway ``gateway_id``.

    :raises GatewayNotFoundError: when no plugin offers it or it is not configured.
    """
    from ecommerce_kit.exceptions import GatewayNotFoundError

    if not isinstance(gateway_id, str) or gateway_id not in kit_settings.PAYMENT_GATEWAYS:
        raise GatewayNotFoundError(gateway=str(gateway_id))
    gateway = registered_gateways().get(gateway_id)
    if gateway is None:
        raise GatewayNotFoundError(gateway=gateway_id)
    return gateway


def _notify(hook_name: str, **kwargs: Any) -> None:
    hook: Callable[..., Any] = getattr(get_plugin_manager().hook, hook_name)
    try:
        hook(**kwargs)
    except Exception:  # a failing observer must not break the caller after commit
        logger.exception("Plugin hook %s failed", hook_name)


def on_commit_notify(hook_name: str, **kwargs: Any) -> None:
    """Call the observer hook ``hook_name`` with ``kwargs`` once the transaction commits.

    Outside a transaction the hook is called at once. Exceptions raised by plugins are logged, not
    propagated: the change they observe has already been committed.
    """
    transaction.on_commit(functools.partial(_notify, hook_name, **kwargs))


def notify_order_status_changed(
    *, order: Any, source: str, target: str, actor: AbstractBaseUser | None
) -> None:
    on_commit_notify("order_status_changed", order=order, source=source, target=target, actor=actor)


def notify_fulfilment_status_changed(
    *, fulfilment: Any, source: str, target: str, actor: AbstractBaseUser | None
) -> None:
    on_commit_notify(
        "fulfilment_status_changed",
        fulfilment=fulfilment,
        source=source,
        target=target,
        actor=actor,
    )


def notify_payment_status_changed(
    *, payment: Any, source: str, target: str, actor: AbstractBaseUser | None
) -> None:
    on_commit_notify(
        "payment_status_changed", payment=payment, source=source, target=target, actor=actor
    )


def notify_refund_succeeded(*, payment: Any, entry: Any) -> None:
    on_commit_notify("refund_succeeded", payment=payment, entry=entry)


def notify_review_created(*, review: Any) -> None:
    on_commit_notify("review_created", review=review)


def send_order_email(
    *, kind: str, order: Order, context: dict[str, Any], recipient: AbstractBaseUser
) -> bool:
    """Let a plugin send an order e-mail instead of the kit; whether one did."""
    handled = get_plugin_manager().hook.send_order_email(
        kind=kind, order=order, context=context, recipient=recipient
    )
    if handled is not None and not isinstance(handled, bool):
        raise TypeError(f"Hook send_order_email must return True, False or None, got {handled!r}.")
    return bool(handled)


def announce_order_money(*, order: Any, money: Any, actor: AbstractBaseUser | None) -> None:
    """Call ``order_money_changed`` now, inside the caller's transaction (errors propagate)."""
    get_plugin_manager().hook.order_money_changed(order=order, money=money, actor=actor)


def announce_fulfilments_cancelled(
    *,
    order: Any,
    amount: Money,
    everything: bool,
    refund: Money | None,
    actor: AbstractBaseUser | None,
) -> None:
    """Call ``fulfilments_cancelled`` now, inside the caller's transaction (errors propagate)."""
    get_plugin_manager().hook.fulfilments_cancelled(
        order=order, amount=amount, everything=everything, refund=refund, actor=actor
    )
