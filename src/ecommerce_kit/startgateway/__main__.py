"""``python -m ecommerce_kit.startgateway NAME [--directory DIR]``."""

from __future__ import annotations

import sys

from ecommerce_kit.startgateway import main

sys.exit(main())
