"""Preflight in a browser on a phone-sized screen: plan a cluster of the real
test hosts with checkboxes, watch the results page refresh itself until the
job ends, and read each check's badge and message; nothing is wider than
390 px."""

import pytest

from jobs.models import Job
from jobs.runner import job_run
from tests.hosts.conftest import register

pytestmark = [
    pytest.mark.usefixtures("jobs_in_process"),
    pytest.mark.browser,
    pytest.mark.testhosts,
    pytest.mark.django_db(transaction=True),
]


def test_a_preflight_is_planned_watched_and_read_on_a_phone(world, page, login, testhosts_shared):
    three = register(testhosts_shared)
    testhosts_shared[0].set_meminfo(1024**3)
    try:
        page.set_viewport_size({"width": 390, "height": 900})
        login(page, world.admin)
        page.goto("/hosts/preflight/")
        page.check(f"input[name=control_plane][value={three[0].name}]")
        for worker in three[1:]:
            page.check(f"input[name=workers][value={worker.name}]")
        page.click("form.objectform button[type=submit]")
        page.wait_for_url("**/hosts/preflight/*/")
        job = Job.objects.get(kind="hosts.preflight")
        assert page.locator("#preflight-verdict").inner_text() == "Checking…"
        assert job_run(job_id=job.pk) == "failed"
    finally:
        testhosts_shared[0].restore_meminfo()
    # The page notices by itself.
    page.locator("#preflight-verdict", has_text="1 check failed").wait_for(timeout=8000)
    memory = page.locator(f"#preflight-{three[0].name} tr[data-check=memory]")
    assert memory.locator(".badge").inner_text() == "fail"
    assert "a control plane needs at least 1.7 GiB" in memory.inner_text()
    assert "What to do:" in memory.inner_text()
    worker_ports = page.locator(f"#preflight-{three[1].name} tr[data-check=ports] .badge")
    assert worker_ports.inner_text() == "pass"
    # Messages wrap in their cells: the page fits the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
