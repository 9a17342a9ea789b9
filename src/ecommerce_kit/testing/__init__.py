"""Testing support for code built on ecommerce_kit.

- :mod:`ecommerce_kit.testing.contract`: :class:`~ecommerce_kit.testing.contract.GatewayContract`,
  the test suite every payment gateway plugin must pass;
- :mod:`ecommerce_kit.testing.pytest_plugin`: fixtures (``kit_plugin_manager``, ``kit_gateways``,
  ``kit_order``), enabled with ``pytest_plugins = ["ecommerce_kit.testing.pytest_plugin"]``;
- :mod:`ecommerce_kit.testing.factories`: :func:`~ecommerce_kit.testing.factories.create_order`;
- :mod:`ecommerce_kit.testing.provider`: :class:`~ecommerce_kit.testing.provider.FakeProvider`,
  a base for a fake of a provider's API (idempotency keys, timeouts, ``5xx`` bursts).
"""

from __future__ import annotations
