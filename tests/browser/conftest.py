"""Playwright driving Debian's Chromium (headless) against pytest-django's live server.

Without Chromium or Playwright the browser tests skip with the reason on a
developer's machine, and fail under CI=true.
"""

import os
import shutil

import pytest

from tests.conftest import PASSWORD
from tests.support.services import unavailable

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def require_chromium(path=CHROMIUM) -> str:
    """The Chromium executable; skips (or fails under CI=true) when it is missing."""
    if not (os.path.exists(path) or shutil.which(path)):
        unavailable(f"Chromium is not installed at {path} (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def browser():
    executable = require_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright Python package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def make_page(browser, live_server):
    """Open a page in a fresh browser context (own cookies, optional locale)."""
    contexts = []

    def make(locale="en-US"):
        context = browser.new_context(base_url=live_server.url, locale=locale)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(make_page):
    return make_page()


@pytest.fixture
def login():
    """Log in through the login form."""

    def do(page, user):
        page.goto("/accounts/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("form.objectform button[type=submit]")
        page.wait_for_url("**/")
        return page

    return do
