"""Destructive actions in a real browser: one-click forms ask first (the
browser's own dialog, static/portal/frame.js), a drain goes through its
question page; breadcrumbs lead back up."""

import pytest

from clusters.models import Node
from jobs.models import Job
from rbac.models import ApiToken

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_revoking_a_token_asks_and_a_no_keeps_it(world, page, login):
    token = ApiToken.objects.create(user=world.owner, name="ci", key_prefix="abcd1234", key_hash="x")
    login(page, world.owner)
    page.goto("/tokens/")
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    page.once("dialog", lambda dialog: answer(dialog, False))
    page.get_by_role("button", name="Revoke").click()
    # A submitted form would have started its request before this page load finishes.
    page.goto("/tokens/")
    assert posts == []
    token.refresh_from_db()
    assert questions == ["Revoke the token ci? Scripts using it stop working at once."]
    assert token.revoked_at is None

    page.once("dialog", lambda dialog: answer(dialog, True))
    with page.expect_navigation():
        page.get_by_role("button", name="Revoke").click()
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_drain_is_asked_on_its_own_page(world, page, login, jobs_in_process):
    node = Node.objects.create(cluster=world.cluster, name="node-1")
    login(page, world.admin)
    page.goto(f"/clusters/nodes/{node.pk}/")
    page.click("#drain-start")
    assert page.locator("h1").inner_text() == "Drain node-1?"
    assert not Job.objects.filter(kind="node.drain").exists()
    # Cancel goes back to the node, nothing drained.
    page.get_by_role("link", name="Cancel", exact=True).click()
    page.wait_for_url(f"**/clusters/nodes/{node.pk}/")
    assert not Job.objects.filter(kind="node.drain").exists()
    # The breadcrumbs lead up through the node's cluster.
    crumbs = page.locator("nav.breadcrumbs li").all_inner_texts()
    assert [c.replace("›", "").strip() for c in crumbs] == ["Dashboard", "Clusters", "Prod", "node-1"]

    page.click("#drain-start")
    page.fill("input[name=timeout_seconds]", "60")
    with page.expect_navigation():
        page.click("#drain-node")
    job = Job.objects.get(kind="node.drain")
    assert page.url.endswith(f"/jobs/{job.pk}/")
