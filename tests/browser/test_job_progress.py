"""The job page in a browser: the log filtered to one host keeps tailing that
host only, the bars and the current step follow the job, and polling stops
when the job ends; nothing is wider than a phone's 390 px."""

import pytest

from jobs.models import JobEvent, JobStep
from tests.jobs.test_progress import multi_host_job

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_page_follows_one_hosts_log_and_progress_until_the_job_ends(world, page, login):
    job = multi_host_job(world.team_a)
    page.set_viewport_size({"width": 390, "height": 900})
    login(page, world.viewer)
    page.goto(f"/jobs/{job.pk}/")
    page.click(".hostpicker a:has-text('node-a')")
    page.wait_for_url(f"**/jobs/{job.pk}/?host=node-a")
    assert page.locator("#joblog").inner_text().splitlines() == ["[node-a] a installs", "[node-a] a verifies"]
    # Tables scroll inside their box; the page itself fits the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    JobEvent.objects.create(job=job, counter=7, host="node-b", text="b again")
    JobEvent.objects.create(job=job, counter=8, host="node-a", text="a live")
    page.locator("#joblog", has_text="a live").wait_for(timeout=8000)
    assert "b again" not in page.locator("#joblog").inner_text()

    JobStep.objects.filter(job=job, host="node-a", name="verify").update(status="succeeded")
    row = page.locator("tr[data-host=node-a]")
    row.filter(has_text="2/2").wait_for(timeout=8000)
    assert row.locator(".badge").inner_text() == "Succeeded"

    JobStep.objects.filter(job=job, status__in=["running", "pending"]).update(status="canceled")
    job.status = "canceled"
    job.save()
    page.locator("#job-status", has_text="Canceled").wait_for(timeout=8000)
    assert page.locator("#job-poll").count() == 0
