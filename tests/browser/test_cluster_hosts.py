"""A kubeadm cluster's hosts on its page, on a 390 px phone (the hosts and
the forms fit the screen): an admin takes a worker out after typing its
name, lands on the job, and is told on the page that another change waits
for that job.

The hosts are records (tests/clusters/test_lifecycle_pages.py's `lab`); no job
runs (jobs_in_process)."""

import pytest

from clusters.bootstrap.lifecycle import NODE_REMOVE_KIND
from jobs.models import Job
from tests.clusters.test_bootstrap_pages import hosts  # noqa: F401 - a fixture: cp-1, node-1, node-2
from tests.clusters.test_lifecycle_pages import BUSY, lab  # noqa: F401 - a fixture: the cluster Lab

pytestmark = [pytest.mark.usefixtures("lab"), pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def within_screen(locator) -> bool:
    box = locator.bounding_box()
    return box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_an_admin_removes_a_worker_and_is_told_the_next_change_waits(world, page, login):
    page.set_viewport_size(PHONE)
    login(page, world.admin)
    page.goto("/clusters/lab/")
    form = page.locator("#workers-add")
    form.scroll_into_view_if_needed()
    assert form.locator("input[name=workers]").evaluate_all("inputs => inputs.map(i => i.value)") == ["node-2"]
    # The whole page fits the screen: the header's actions wrap, the hosts and the form too.
    assert fits(page)
    assert within_screen(page.locator("#hosts")) and within_screen(form)
    assert within_screen(page.locator("#hosts tr[data-host=node-1] .host-remove"))
    assert page.locator("#hosts tr[data-host=cp-1] .host-remove").count() == 0

    page.click("#hosts tr[data-host=node-1] .host-remove")
    page.wait_for_url("**/clusters/lab/hosts/*/remove/")
    assert fits(page)
    page.fill("#confirm", "node-2")
    page.click("#remove-host")
    page.locator("#host-remove .error", has_text="Type node-1 to confirm.").wait_for()
    page.fill("#confirm", "node-1")
    page.click("#remove-host")
    page.wait_for_url("**/jobs/*/")
    job = Job.objects.get(kind=NODE_REMOVE_KIND)
    assert page.url.endswith(f"/jobs/{job.pk}/")
    assert "Removing node-1 from Lab" in page.locator(".messages").inner_text()

    # While it runs, adding a host is refused with the reason, on the cluster's page.
    page.goto("/clusters/lab/")
    page.check("#workers-add input[name=workers][value=node-2]")
    page.click("#add-workers")
    page.locator("#workers-add .errors", has_text=BUSY).wait_for()
    assert page.url.endswith("/clusters/lab/workers/") and within_screen(page.locator("#workers-add"))
    assert page.is_checked("#workers-add input[name=workers][value=node-2]")
