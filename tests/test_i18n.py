"""The kit's messages are shipped in Portuguese and follow the request's language."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.urls import path
from django.utils import translation
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

import ecommerce_kit
from ecommerce_kit import exceptions
from ecommerce_kit.api.views import KitViewMixin
from ecommerce_kit.exceptions import InsufficientStockError, StoreNotApprovedError

LOCALE = Path(ecommerce_kit.__file__).parent / "locale" / "pt" / "LC_MESSAGES"


class _UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = get_user_model()
        fields = ["id"]


class _Users(KitViewMixin, ListAPIView):
    queryset = get_user_model().objects.order_by("id")
    serializer_class = _UserSerializer


class _NotApproved(KitViewMixin, APIView):
    def get(self, request: Request) -> Response:
        raise StoreNotApprovedError()


urlpatterns = [
    path("users/", _Users.as_view()),
    path("not-approved/", _NotApproved.as_view()),
]


@pytest.mark.urls(__name__)
@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, message",
    [
        ("pt", "Deve ser um número inteiro de 1 a 100."),
        ("pt-AO", "Deve ser um número inteiro de 1 a 100."),
        ("en", "Must be an integer from 1 to 100."),
    ],
)
def test_pagination_error_follows_accept_language(api_client, language, message):
    response = api_client.get("/users/?page_size=0", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["fields"] == {"page_size": [message]}


@pytest.mark.urls(__name__)
def test_domain_error_is_answered_in_portuguese(api_client):
    response = api_client.get("/not-approved/", HTTP_ACCEPT_LANGUAGE="pt")

    assert response.status_code == 403
    assert response.json() == {
        "error": "A sua loja ainda não foi aprovada.",
        "code": "store_not_approved",
        "status_code": 403,
    }
    assert response["Content-Language"] == "pt"


def test_every_error_message_is_translated_to_portuguese():
    errors = [
        cls
        for cls in vars(exceptions).values()
        if isinstance(cls, type) and issubclass(cls, exceptions.EcommerceKitError)
    ]
    with translation.override("en"):
        english = {cls.__name__: str(cls.default_message) for cls in errors}
    with translation.override("pt"):
        portuguese = {cls.__name__: str(cls.default_message) for cls in errors}

    assert [name for name in english if english[name] == portuguese[name]] == []
    with translation.override("pt"):
        assert str(InsufficientStockError().message) == "Stock insuficiente."


def _po_catalog(text: str) -> dict[str, str]:
    """Parse the singular entries of a ``.po`` file (enough for the kit's catalog)."""

    def unquote(block: str) -> str:
        return "".join(ast.literal_eval(line) for line in re.findall(r'^".*"$', block, re.M))

    pattern = re.compile(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"(?:\n|$))+)', re.MULTILINE)
    return {unquote(m.group(1)): unquote(m.group(2)) for m in pattern.finditer(text)}


def test_portuguese_catalog_is_complete_and_compiled():
    po_text = (LOCALE / "django.po").read_text(encoding="utf-8")
    po = _po_catalog(po_text)
    with (LOCALE / "django.mo").open("rb") as handle:
        mo = gettext.GNUTranslations(handle)

    assert "#, fuzzy" not in po_text
    assert [msgid for msgid, msgstr in po.items() if msgid and not msgstr] == []
    assert {msgid: mo.gettext(msgid) for msgid in po if msgid} == {
        msgid: msgstr for msgid, msgstr in po.items() if msgid
    }
