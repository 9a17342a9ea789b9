from __future__ import annotations

import re
from pathlib import Path

from ecommerce_kit import exceptions
from ecommerce_kit.api.exceptions import _DRF_CODES

API_DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"


def _all_errors() -> list[type[exceptions.EcommerceKitError]]:
    found: list[type[exceptions.EcommerceKitError]] = []
    stack: list[type[exceptions.EcommerceKitError]] = [exceptions.EcommerceKitError]
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.__subclasses__())
    return [cls for cls in found if cls.__module__ == exceptions.__name__]


def _documented_codes() -> dict[str, str]:
    """Map each code of the error table in docs/api.md to its status column."""
    rows = re.findall(r"^\| `([a-z_]+)` \| ([^|]+) \|", API_DOC.read_text(), flags=re.MULTILINE)
    return {code: status for code, status in rows}


def test_every_kit_error_code_is_in_the_table_with_its_status() -> None:
    table = _documented_codes()
    base_codes = {"catalog_error", "cart_error", "order_error", "payment_error", "review_error"}
    text = API_DOC.read_text()
    for cls in _all_errors():
        if cls.code in base_codes:
            assert f"`{cls.code}`" in text, cls
            continue
        assert cls.code in table, f"{cls.__name__}.code {cls.code!r} is not in docs/api.md"
        assert str(cls.status_code) in table[cls.code], (cls.__name__, table[cls.code])


def test_every_drf_error_code_is_in_the_table() -> None:
    table = _documented_codes()
    for _cls, code in _DRF_CODES:
        assert code in table, code
    assert "invalid" in table
