"""Write a new payment gateway distribution: ``python -m ecommerce_kit.startgateway acmepay``.

The distribution, ``ecommerce-kit-acmepay/``, holds a gateway with an immediate flow whose
provider calls go through :class:`~ecommerce_kit.payments.http.GatewayHttpClient` with the kit's
idempotency keys, HMAC-SHA256-verified webhooks, the plugin module its entry point names, test
settings, the kit's contract suite against a fake provider, and a README. Right after it is
written, ``pip install -e .`` and ``pytest`` in its folder pass the contract; its author then
replaces the provider calls (``provider.py``) and their fake (``tests/fake_provider.py``).

The same code runs as ``manage.py startgateway`` in a project that installs the kit's apps.
"""

from __future__ import annotations

import argparse
import re
import string
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ecommerce_kit import __version__

__all__ = ["GatewayNames", "StartGatewayError", "main", "start_gateway"]

TEMPLATE = Path(__file__).resolve().parent / "templates" / "distribution"
#: The placeholder in the template's paths that becomes the package's name.
PACKAGE_PLACEHOLDER = "package_name"
TEMPLATE_SUFFIX = "-tpl"
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
#: The exit status of a refused name or folder (as ``argparse`` uses for usage errors).
USAGE_ERROR = 2


class StartGatewayError(Exception):
    """The name or the folder cannot be used; nothing was written."""


@dataclass(frozen=True)
class GatewayNames:
    """The names derived from a gateway id, e.g. ``acme_pay``."""

    gateway_id: str

    @property
    def distribution(self) -> str:
        """``ecommerce-kit-acme-pay``: the name on the package index."""
        return "ecommerce-kit-" + self.gateway_id.replace("_", "-")

    @property
    def package(self) -> str:
        """``ecommerce_kit_acme_pay``: the import name."""
        return f"ecommerce_kit_{self.gateway_id}"

    @property
    def display_name(self) -> str:
        """``Acme Pay``: the name buyers see."""
        return " ".join(word.capitalize() for word in self.gateway_id.split("_") if word)

    @property
    def class_name(self) -> str:
        """``AcmePayGateway``."""
        return self.display_name.replace(" ", "") + "Gateway"

    def context(self) -> dict[str, str]:
        """The template's placeholders and their values."""
        words = [word.capitalize() for word in self.gateway_id.split("_") if word]
        return {
            "gateway_id": self.gateway_id,
            "distribution": self.distribution,
            "package": self.package,
            "display_name": self.display_name,
            "class_name": self.class_name,
            "signature_header": "-".join(words) + "-Signature",
            "env_prefix": self.gateway_id.upper(),
            "kit_requirement": "ecommerce-kit>=" + ".".join(__version__.split(".")[:2]),
        }


def check_name(name: str) -> GatewayNames:
    """Return the names derived from ``name``, the gateway's id.

    :raises StartGatewayError: when ``name`` is not a lower-case identifier of at most 40
        characters (letters, digits and ``_``, starting with a letter).
    """
    if not NAME.match(name) or name.endswith("_") or "__" in name:
        raise StartGatewayError(
            f"{name!r} is not a valid gateway name: use lower-case letters, digits and single "
            "underscores, starting with a letter (at most 40 characters), e.g. 'acmepay' or "
            "'acme_pay'. It becomes the gateway's id and the package ecommerce_kit_<name>."
        )
    return GatewayNames(name)


def start_gateway(name: str, directory: Path | str = ".") -> Path:
    """Write the distribution of a new gateway ``name`` into ``directory``.

    :param name: The gateway's id, e.g. ``"acmepay"``.
    :param directory: An existing folder; the distribution is written into a new folder
        ``ecommerce-kit-<name>`` inside it.
    :returns: The distribution's folder.
    :raises StartGatewayError: when the name is not valid, ``directory`` does not exist, or the
        distribution's folder exists already (nothing is written then).
    """
    names = check_name(name)
    parent = Path(directory)
    if not parent.is_dir():
        raise StartGatewayError(f"The folder {str(parent)!r} does not exist.")
    target = parent / names.distribution
    if target.exists():
        raise StartGatewayError(
            f"{str(target)!r} exists already; remove it or choose another --directory."
        )
    files = render(names)
    for relative, text in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return target


def render(names: GatewayNames) -> dict[str, str]:
    """Return the distribution's files (paths relative to its folder) and their text."""
    context = names.context()
    files = {}
    for source in sorted(TEMPLATE.rglob(f"*{TEMPLATE_SUFFIX}")):
        parts = source.relative_to(TEMPLATE).parts
        relative = Path(*(names.package if p == PACKAGE_PLACEHOLDER else p for p in parts))
        relative = relative.with_name(relative.name.removesuffix(TEMPLATE_SUFFIX))
        text = string.Template(source.read_text(encoding="utf-8")).substitute(context)
        files[relative.as_posix()] = text
    return files


def build_parser(prog: str = "python -m ecommerce_kit.startgateway") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Write a new payment gateway distribution, ecommerce-kit-<name>/, that passes the "
            "kit's contract suite as it stands: pip install -e . and pytest in it."
        ),
    )
    parser.add_argument("name", help="the gateway's id, e.g. acmepay (lower case, digits, _)")
    parser.add_argument(
        "--directory",
        default=".",
        help="the existing folder to write ecommerce-kit-<name>/ into (default: here)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit status (``2`` for a refused name or folder)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        target = start_gateway(args.name, args.directory)
    except StartGatewayError as exc:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    print(next_steps(target))
    return 0


def next_steps(target: Path) -> str:
    """What to do after writing ``target``."""
    return (
        f"Wrote {target}/\n\n"
        "Next:\n"
        f"  cd {target}\n"
        '  pip install -e ".[test]"\n'
        "  pytest                      # the kit's contract suite, against a fake provider\n\n"
        "Then replace the provider calls in src/*/provider.py, and their fake in\n"
        "tests/fake_provider.py; README.md says how."
    )
