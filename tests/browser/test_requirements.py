"""Without Chromium the browser tests skip and say why; under CI they fail instead."""

from __future__ import annotations

import pytest

from tests.browser import site


def test_missing_chromium_skips_with_the_way_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setattr(site, "CHROMIUM_PATH", str(tmp_path / "chromium"))
    monkeypatch.delenv("CI", raising=False)

    with pytest.raises(pytest.skip.Exception) as skipped:
        site.require_browser()

    assert str(skipped.value) == (
        f"Chromium not found at {tmp_path / 'chromium'}: apt-get install chromium "
        "(or set CHROMIUM_PATH)"
    )


def test_missing_chromium_fails_under_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(site, "CHROMIUM_PATH", str(tmp_path / "chromium"))
    monkeypatch.setenv("CI", "true")

    with pytest.raises(pytest.fail.Exception, match="CI installs it"):
        site.require_browser()
