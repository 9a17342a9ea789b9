"""The kit's views carry their own DRF configuration; only authentication is the host's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework import renderers
from rest_framework.views import APIView

from ecommerce_kit.api.views import KitViewMixin

#: What a kit view must never inherit from the host's ``REST_FRAMEWORK`` defaults.
OWN_ATTRIBUTES = (
    "renderer_classes",
    "parser_classes",
    "permission_classes",
    "throttle_classes",
    "content_negotiation_class",
    "metadata_class",
    "versioning_class",
    "pagination_class",
    "filter_backends",
    "schema",
)


def _views(patterns: list[Any]) -> Iterator[tuple[str, Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            yield str(pattern.pattern), pattern.callback


def _defined_by(cls: type, name: str) -> type:
    return next(klass for klass in cls.__mro__ if name in vars(klass))


KIT_VIEWS = sorted(
    {
        (route, callback.cls)
        for route, callback in _views(get_resolver("ecommerce_kit.urls").url_patterns)
    },
    key=lambda item: item[0],
)


def test_every_endpoint_is_served_by_a_kit_view() -> None:
    assert len(KIT_VIEWS) > 20
    for route, cls in KIT_VIEWS:
        assert issubclass(cls, KitViewMixin), route
        assert issubclass(cls, APIView), route


@pytest.mark.parametrize("name", OWN_ATTRIBUTES)
def test_kit_views_take_no_drf_default(name: str) -> None:
    for route, cls in KIT_VIEWS:
        owner = _defined_by(cls, name)
        assert owner.__module__.startswith("ecommerce_kit."), (route, name, owner)


def test_kit_views_use_the_kit_exception_handler() -> None:
    from ecommerce_kit.api.exceptions import exception_handler

    for route, cls in KIT_VIEWS:
        assert cls().get_exception_handler() is exception_handler, route


def test_browsable_api_follows_the_host_renderers() -> None:
    class View(KitViewMixin, APIView):
        pass

    assert [type(r) for r in View().get_renderers()] == [
        renderers.JSONRenderer,
        renderers.BrowsableAPIRenderer,
    ]
    with override_settings(
        REST_FRAMEWORK={"DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]}
    ):
        assert [type(r) for r in View().get_renderers()] == [renderers.JSONRenderer]
    with override_settings(
        REST_FRAMEWORK={
            "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.TemplateHTMLRenderer"]
        }
    ):
        # Another renderer of the host's never replaces the kit's JSON.
        assert [type(r) for r in View().get_renderers()] == [renderers.JSONRenderer]
