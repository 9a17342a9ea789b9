#!/usr/bin/env python
"""Django's command-line utility for the example host site (run it from this folder)."""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Run an administrative task with ``config.settings``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
