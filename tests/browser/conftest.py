"""Playwright driving Debian's Chromium (headless) against pytest-django's live server.

Without Chromium or Playwright the browser tests skip with the reason on a
developer's machine, and fail under CI=true.
"""

import os
import shutil
import uuid

import pytest
import yaml

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


# --- the devcluster as the portal sees it (the workloads pages' tests) --------------------


@pytest.fixture
def dev_cluster(world, devcluster, portal_cleanup):
    """The devcluster registered as the portal's cluster "dev", allowed to team A;
    what the portal made there for the test is deleted afterwards (portal_cleanup)."""
    from clusters.services.clusters import cluster_create

    cluster = cluster_create(name="Dev", slug="dev", kubeconfig=yaml.safe_dump(devcluster.admin_kubeconfig_dict()))
    world.team_a.allowed_clusters.add(cluster)
    return cluster


@pytest.fixture
def ready_namespace(request, world, dev_cluster):
    """A namespace of team A on the devcluster, provisioned by the reconciler
    and ready; named after the test module ("br-rollout-1a2b3c")."""
    from rbac.choices import NamespacePhase
    from rbac.models import TeamNamespace
    from rbac.reconcile import reconcile_cluster

    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_").replace("_", "-")[:24]
    namespace = TeamNamespace.objects.create(
        team=world.team_a,
        cluster=dev_cluster,
        name=f"br-{module}-{uuid.uuid4().hex[:6]}",
        plan=world.plan,
        phase=NamespacePhase.PROVISIONING,
    )
    reconcile_cluster(cluster=dev_cluster, only=[namespace.pk])
    namespace.refresh_from_db()
    assert namespace.phase == NamespacePhase.READY, namespace.conditions
    return namespace
