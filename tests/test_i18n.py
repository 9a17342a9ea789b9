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
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

import ecommerce_kit
from ecommerce_kit import exceptions
from ecommerce_kit.api.views import KitViewMixin
from ecommerce_kit.exceptions import InsufficientStockError, StoreNotApprovedError

LOCALE = Path(ecommerce_kit.__file__).parent / "locale" / "pt" / "LC_MESSAGES"
EXAMPLE_DIR = Path(__file__).resolve().parent.parent / "example_project"

#: Each package or app with a Portuguese catalogue: the kit, and the example site's apps that
#: bring their own (``example_project/<app>/locale``), as ``(source root, LC_MESSAGES dir)``.
CATALOGUES = [
    (LOCALE.parents[2], LOCALE),
    *(
        (locale.parent, locale / "pt" / "LC_MESSAGES")
        for locale in sorted(EXAMPLE_DIR.glob("*/locale"))
    ),
]
_CATALOGUE_IDS = [root.name for root, _locale in CATALOGUES]
catalogues = pytest.mark.parametrize("root, locale", CATALOGUES, ids=_CATALOGUE_IDS)


class _UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = get_user_model()
        fields = ["id"]


class _Users(KitViewMixin, ListAPIView):
    permission_classes = [AllowAny]
    queryset = get_user_model().objects.order_by("id")
    serializer_class = _UserSerializer


class _NotApproved(KitViewMixin, APIView):
    permission_classes = [AllowAny]

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


_GETTEXT_FUNCTIONS = {"gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy"}
_TEMPLATE_TRANSLATE = re.compile(r"""{%\s*(?:translate|trans)\s+(?:"([^"]*)"|'([^']*)')""")


def _po_entries(text: str) -> list[dict[str, str]]:
    """Parse a ``.po`` file into entries of ``{"flags", "msgid", "msgid_plural", "msgstr[0]"...}``.

    Obsolete (``#~``) entries are skipped; ``test_portuguese_catalog_is_complete_and_compiled``
    rejects them separately.
    """
    entries = []
    for block in re.split(r"\n\s*\n", text.strip()):
        entry: dict[str, str] = {"flags": ""}
        key = ""
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] += line[2:]
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                entry[key] += ast.literal_eval(line)
            else:
                key, _, value = line.partition(" ")
                entry[key] = ast.literal_eval(value)
        if "msgid" in entry:
            entries.append(entry)
    return entries


def _msgstrs(entry: dict[str, str]) -> list[str]:
    """The translations of ``entry``: its ``msgstr``, or each ``msgstr[n]`` of a plural entry."""
    return [entry[key] for key in sorted(entry) if key.startswith("msgstr")]


def _placeholders(message: str) -> list[str]:
    """The ``%(name)d`` and ``{name}`` placeholders of ``message``, sorted."""
    unescaped = message.replace("%%", "").replace("{{", "").replace("}}", "")
    return sorted(
        re.findall(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|{\w*}", unescaped)
    )


def _marked_messages(root: Path) -> set[str]:
    """Every literal message marked for translation in the code and templates under ``root``."""
    found: set[str] = set()
    for source in root.rglob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        names = {
            alias.asname or alias.name: alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation"
            for alias in node.names
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and names.get(node.func.id) in _GETTEXT_FUNCTIONS
            ):
                count = 2 if names[node.func.id].startswith("ngettext") else 1
                for arg in node.args[:count]:
                    assert isinstance(arg, ast.Constant) and isinstance(arg.value, str), (
                        f"{source.relative_to(root)}:{node.lineno}: translate literal strings only"
                    )
                    found.add(arg.value)
    for template in root.rglob("templates/**/*.html"):
        for match in _TEMPLATE_TRANSLATE.finditer(template.read_text(encoding="utf-8")):
            found.add(match.group(1) if match.group(1) is not None else match.group(2))
    return found


@catalogues
def test_portuguese_catalog_is_complete_and_compiled(root, locale):
    po_text = (locale / "django.po").read_text(encoding="utf-8")
    entries = [entry for entry in _po_entries(po_text) if entry["msgid"]]
    with (locale / "django.mo").open("rb") as handle:
        mo = gettext.GNUTranslations(handle)

    assert entries
    assert [entry["msgid"] for entry in entries if "fuzzy" in entry["flags"]] == []
    assert re.findall(r"^#~.*", po_text, re.MULTILINE) == []
    assert [
        entry["msgid"] for entry in entries if "" in _msgstrs(entry) or not _msgstrs(entry)
    ] == []
    singular = [entry for entry in entries if "msgid_plural" not in entry]
    plural = [entry for entry in entries if "msgid_plural" in entry]
    assert {e["msgid"]: mo.gettext(e["msgid"]) for e in singular} == {
        e["msgid"]: e["msgstr"] for e in singular
    }
    assert {
        e["msgid"]: [mo.ngettext(e["msgid"], e["msgid_plural"], n) for n in (1, 2)] for e in plural
    } == {e["msgid"]: [e["msgstr[0]"], e["msgstr[1]"]] for e in plural}


@catalogues
def test_portuguese_translations_keep_every_placeholder(root, locale):
    entries = _po_entries((locale / "django.po").read_text(encoding="utf-8"))
    pairs = [
        pair
        for entry in entries
        if entry["msgid"]
        for pair in (
            [(entry["msgid"], entry["msgstr[0]"]), (entry["msgid_plural"], entry["msgstr[1]"])]
            if "msgid_plural" in entry
            else [(entry["msgid"], entry["msgstr"])]
        )
    ]

    assert any(_placeholders(source) for source, _ in pairs)
    assert [
        (source, pt) for source, pt in pairs if _placeholders(source) != _placeholders(pt)
    ] == []


@catalogues
def test_every_marked_message_is_in_the_portuguese_catalog(root, locale):
    catalog = set()
    for entry in _po_entries((locale / "django.po").read_text(encoding="utf-8")):
        catalog.update({entry["msgid"], entry.get("msgid_plural", entry["msgid"])})

    # Run `make messages` and translate the new entries when this fails.
    assert sorted(_marked_messages(root) - catalog) == []
