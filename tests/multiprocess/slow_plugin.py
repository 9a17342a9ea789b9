"""A plugin the worker loads: while the file ``$SLOW_MARKER`` exists, every committed order
change writes ``<marker>.started`` and then waits, so that the test can kill the worker mid-task."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from ecommerce_kit import hookimpl


@hookimpl
def order_status_changed(order: Any, source: str, target: str) -> None:
    marker = os.environ.get("SLOW_MARKER")
    if marker and Path(marker).exists():
        Path(marker + ".started").write_text(str(order.pk))
        time.sleep(60)
