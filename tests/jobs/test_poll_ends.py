"""A job's page polls while the job runs and stops at a terminal state: the
poll's answer then carries no poller (the element htmx swaps itself with),
unless more output is still waiting to be read."""

import pytest

from jobs.models import JobEvent
from tests.jobs.test_progress import multi_host_job

pytestmark = pytest.mark.django_db

POLLER = 'id="job-poll"'


@pytest.mark.parametrize("status", ["succeeded", "failed", "canceled"])
def test_the_poll_ends_when_the_job_does(client, world, status):
    job = multi_host_job(world.team_a)
    client.force_login(world.viewer)
    assert POLLER in client.get(f"/jobs/{job.pk}/").content.decode()
    assert POLLER in client.get(f"/jobs/{job.pk}/events/?after=6").content.decode()

    job.status = status
    job.save()
    poll = client.get(f"/jobs/{job.pk}/events/?after=6").content.decode()
    assert POLLER not in poll and "hx-trigger" not in poll
    assert POLLER not in client.get(f"/jobs/{job.pk}/").content.decode()


def test_a_finished_job_with_output_left_keeps_reading_it(client, world):
    job = multi_host_job(world.team_a)
    job.status = "succeeded"
    job.save()
    JobEvent.objects.bulk_create(JobEvent(job=job, counter=100 + n, text=f"line {n}") for n in range(600))
    client.force_login(world.viewer)
    poll = client.get(f"/jobs/{job.pk}/events/?after=6").content.decode()
    assert POLLER in poll and 'hx-trigger="load"' in poll
