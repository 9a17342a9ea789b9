"""JSON nested deeper than Python's recursion limit is a 400 parse error, never a 500."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.views import APIView

from ecommerce_kit.api.parsers import JSONParser
from ecommerce_kit.api.views import KitViewMixin

DEEP = b'{"product": 1, "quantity": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"


def test_kit_json_parser_answers_deep_nesting_with_a_parse_error() -> None:
    with pytest.raises(ParseError):
        JSONParser().parse(io.BytesIO(DEEP), "application/json", {})


def test_kit_json_parser_parses_ordinary_json() -> None:
    assert JSONParser().parse(io.BytesIO(b'{"a": [[1]]}'), "application/json", {}) == {"a": [[1]]}


def test_kit_views_use_the_kit_json_parser_in_place_of_drfs() -> None:
    class View(KitViewMixin, APIView):
        pass

    found = View().get_parsers()
    assert [type(p) for p in found] == [JSONParser, parsers.FormParser, parsers.MultiPartParser]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/api/v1/cart/items/", "/api/v1/checkout/", "/api/v1/stores/", "/api/v1/wishlist/"],
)
def test_deeply_nested_json_body_is_400_parse_error(client_for: Any, user: Any, url: str) -> None:
    # json.loads raised RecursionError, which DRF's parser lets through: 500.
    response = client_for(user).post(url, data=DEEP, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "parse_error"
