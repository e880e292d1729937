"""The browser fixture's contract: skip on a developer's machine, fail under CI."""

import pytest

from tests.browser.conftest import require_chromium


def test_it_skips_without_chromium_on_a_developer_machine(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Chromium is not installed"):
        require_chromium("/nonexistent/chromium")


def test_it_fails_without_chromium_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true and Chromium is not installed"):
        require_chromium("/nonexistent/chromium")
