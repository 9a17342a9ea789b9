"""The test runner's parsing of pytest's closing line (``scripts/run_tests.py``)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location(
    "run_tests", Path(__file__).resolve().parent.parent / "scripts" / "run_tests.py"
)
assert _SPEC is not None and _SPEC.loader is not None
run_tests = importlib.util.module_from_spec(_SPEC)
sys.modules.setdefault("run_tests", run_tests)  # dataclasses look their module up there
_SPEC.loader.exec_module(run_tests)


@pytest.mark.parametrize(
    "output, summary",
    [
        ("....\n64 passed in 5.17s\n", "64 passed"),
        (
            "F.\n==== 1 failed, 1 passed, 2 skipped in 3.01s (0:00:03) ====\n",
            "1 failed, 1 passed, 2 skipped",
        ),
        ("E\n1 error in 0.20s\n", "1 error"),
        ("\nno tests ran in 0.01s\n", "no test summary"),
    ],
)
def test_parse_summary_reads_pytest_closing_line(output, summary):
    assert run_tests.parse_summary(output) == summary


def test_counts_adds_errors_together():
    assert run_tests.counts("2 failed, 10 passed, 1 error, 2 errors, 3 skipped") == {
        "failed": 2,
        "passed": 10,
        "errors": 3,
        "skipped": 3,
    }


def test_free_port_is_bindable():
    import socket

    port = run_tests.free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
