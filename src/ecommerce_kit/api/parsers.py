"""Request parsers of the kit's views."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering a document nested too deeply with a parse error (400).

    Python's ``json`` module raises :class:`RecursionError` (not a ``ValueError``) for arrays or
    objects nested deeper than the recursion limit, which DRF's parser lets through as a 500. The
    kit's views use this parser in place of DRF's; a host can make its own views do the same with
    ``REST_FRAMEWORK = {"DEFAULT_PARSER_CLASSES": ["ecommerce_kit.api.parsers.JSONParser", ...]}``.
    """

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error - the document is nested too deeply.")) from None
