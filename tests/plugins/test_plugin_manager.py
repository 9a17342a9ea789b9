from __future__ import annotations

import sys
import textwrap
import types
from pathlib import Path

import pluggy
import pytest
from django.test import override_settings
from moneyed import Money

from ecommerce_kit import hookimpl, plugins
from ecommerce_kit.plugins import ENTRY_POINT_GROUP, get_plugin_manager


def _write_distribution(root: Path, module_name: str, entry_name: str) -> None:
    """Create an installed-looking distribution with an ``ecommerce_kit`` entry point."""
    (root / f"{module_name}.py").write_text(
        textwrap.dedent("""
        from ecommerce_kit import hookimpl

        @hookimpl
        def calculate_shipping(cart, address, subtotal):
            from moneyed import Money
            return Money("500.00", subtotal.currency)
    """)
    )
    dist_info = root / f"{module_name}-1.0.dist-info"
    dist_info.mkdir()
    metadata = f"Metadata-Version: 2.1\nName: {module_name}\nVersion: 1.0\n"
    (dist_info / "METADATA").write_text(metadata)
    (dist_info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\n{entry_name} = {module_name}\n"
    )


def test_plugin_manager_is_built_once() -> None:
    assert get_plugin_manager() is get_plugin_manager()
    assert isinstance(get_plugin_manager(), pluggy.PluginManager)


def test_entry_points_are_loaded_when_autoload_is_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_distribution(tmp_path, "ek_fake_shipping_plugin", "fake_shipping")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("ECOMMERCE_KIT_DISABLE_PLUGIN_AUTOLOAD")
    get_plugin_manager.cache_clear()
    pm = get_plugin_manager()
    assert pm.get_plugin("fake_shipping") is not None
    cost = plugins.calculate_shipping(cart=None, address={}, subtotal=Money(10, "AOA"))
    assert cost == Money("500.00", "AOA")
    sys.modules.pop("ek_fake_shipping_plugin", None)


def test_entry_points_are_skipped_when_autoload_is_disabled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_distribution(tmp_path, "ek_fake_skipped_plugin", "fake_skipped")
    monkeypatch.syspath_prepend(str(tmp_path))
    get_plugin_manager.cache_clear()
    assert get_plugin_manager().get_plugin("fake_skipped") is None


def test_entry_points_are_skipped_when_setting_disables_autoload(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_distribution(tmp_path, "ek_fake_off_plugin", "fake_off")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("ECOMMERCE_KIT_DISABLE_PLUGIN_AUTOLOAD")
    with override_settings(ECOMMERCE_KIT={"PLUGINS_AUTOLOAD": False}):
        get_plugin_manager.cache_clear()
        assert get_plugin_manager().get_plugin("fake_off") is None


def test_blocked_entry_point_is_not_registered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_distribution(tmp_path, "ek_fake_blocked_plugin", "fake_blocked")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("ECOMMERCE_KIT_DISABLE_PLUGIN_AUTOLOAD")
    with override_settings(ECOMMERCE_KIT={"BLOCKED_PLUGINS": ["fake_blocked"]}):
        get_plugin_manager.cache_clear()
        pm = get_plugin_manager()
        assert pm.get_plugin("fake_blocked") is None
        assert pm.is_blocked("fake_blocked")


def test_modules_named_in_settings_are_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("ek_settings_plugin")

    @hookimpl
    def calculate_tax(cart, address, subtotal, shipping):  # noqa: ANN001, ANN202
        return Money("7.00", subtotal.currency)

    module.calculate_tax = calculate_tax  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ek_settings_plugin", module)
    with override_settings(ECOMMERCE_KIT={"PLUGINS": ["ek_settings_plugin"]}):
        get_plugin_manager.cache_clear()
        tax = plugins.calculate_tax(
            cart=None, address={}, subtotal=Money(1, "USD"), shipping=Money(0, "USD")
        )
    assert tax == Money("7.00", "USD")


def test_hook_wrappers_return_none_when_no_plugin_answers() -> None:
    assert plugins.calculate_shipping(cart=None, address={}, subtotal=Money(1, "AOA")) is None
    assert (
        plugins.calculate_tax(
            cart=None, address={}, subtotal=Money(1, "AOA"), shipping=Money(0, "AOA")
        )
        is None
    )


def test_first_result_wins(isolated_plugins: pluggy.PluginManager) -> None:
    class First:
        @hookimpl
        def calculate_shipping(self, cart, address, subtotal):  # noqa: ANN001, ANN201
            return None

    class Second:
        @hookimpl
        def calculate_shipping(self, cart, address, subtotal):  # noqa: ANN001, ANN201
            return Money("3.00", subtotal.currency)

    isolated_plugins.register(First(), name="first")
    isolated_plugins.register(Second(), name="second")
    assert plugins.calculate_shipping(cart=None, address={}, subtotal=Money(1, "AOA")) == Money(
        "3.00", "AOA"
    )


def test_wrapper_rejects_money_in_another_currency(isolated_plugins: pluggy.PluginManager) -> None:
    class Wrong:
        @hookimpl
        def calculate_shipping(self, cart, address, subtotal):  # noqa: ANN001, ANN201
            return Money("3.00", "USD")

    isolated_plugins.register(Wrong(), name="wrong")
    with pytest.raises(TypeError, match="calculate_shipping"):
        plugins.calculate_shipping(cart=None, address={}, subtotal=Money(1, "AOA"))


def test_tracing_writes_hook_calls(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ECOMMERCE_KIT_TRACE_PLUGINS", "1")
    get_plugin_manager.cache_clear()
    plugins.calculate_shipping(cart=None, address={}, subtotal=Money(1, "AOA"))
    assert "calculate_shipping" in capsys.readouterr().err


@pytest.mark.django_db(transaction=True)
def test_observer_hooks_run_after_commit_and_not_on_rollback(
    isolated_plugins: pluggy.PluginManager,
) -> None:
    from django.db import transaction

    seen: list[str] = []

    class Observer:
        @hookimpl
        def order_status_changed(self, order, source, target, actor):  # noqa: ANN001, ANN201
            seen.append(f"{order}:{source}->{target}")

    isolated_plugins.register(Observer(), name="observer")
    with transaction.atomic():
        plugins.notify_order_status_changed(
            order="EK-1", source="pending", target="confirmed", actor=None
        )
        assert seen == []
    assert seen == ["EK-1:pending->confirmed"]

    with pytest.raises(RuntimeError), transaction.atomic():
        plugins.notify_order_status_changed(
            order="EK-2", source="pending", target="cancelled", actor=None
        )
        raise RuntimeError("roll back")
    assert seen == ["EK-1:pending->confirmed"]


@pytest.mark.django_db(transaction=True)
def test_failing_observer_does_not_break_the_caller(
    isolated_plugins: pluggy.PluginManager, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        @hookimpl
        def review_created(self, review):  # noqa: ANN001, ANN201
            raise ValueError("boom")

    isolated_plugins.register(Broken(), name="broken")
    plugins.notify_review_created(review="r1")
    assert "review_created failed" in caplog.text
