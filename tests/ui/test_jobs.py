"""The job page tails the log with htmx: the events partial appends what is new
out of band, refreshes the job's state, and stops polling once the job is done."""

import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(world):
    from jobs.models import Job, JobEvent, JobStep

    job = Job.objects.create(kind="demo", title="Bootstrap", team=world.team_a, status="running")
    JobStep.objects.create(job=job, position=1, name="one", title="Step one", status="running")
    for counter in (1, 2):
        JobEvent.objects.create(job=job, counter=counter, text=f"line {counter} <b>raw</b>")
    return job


def test_it_shows_the_log_and_polls_after_the_last_counter(world, client_as, job):
    html = client_as("viewer").get(f"/jobs/{job.pk}/").content.decode()
    assert "line 1 &lt;b&gt;raw&lt;/b&gt;" in html and "line 2" in html
    assert f'hx-get="/jobs/{job.pk}/events/?after=2"' in html
    assert 'hx-trigger="every 2s"' in html


def test_it_sends_only_new_events_out_of_band(world, client_as, job):
    from jobs.models import JobEvent

    JobEvent.objects.create(job=job, counter=3, text="line 3", stream="stderr")
    html = client_as("viewer").get(f"/jobs/{job.pk}/events/?after=2").content.decode()
    assert '<div hx-swap-oob="beforeend:#joblog">' in html
    assert "line 3" in html and "line 2" not in html
    assert 'class="stream-stderr"' in html
    assert '<div id="job-state" hx-swap-oob="true">' in html
    assert f'hx-get="/jobs/{job.pk}/events/?after=3"' in html


def test_it_stops_polling_when_the_job_is_done(world, client_as, job):
    job.status = "succeeded"
    job.save()
    html = client_as("viewer").get(f"/jobs/{job.pk}/events/?after=2").content.decode()
    assert "hx-get" not in html
    assert "beforeend:#joblog" not in html  # nothing new
    assert "Succeeded" in html


def test_it_treats_a_bad_counter_as_zero(world, client_as, job):
    html = client_as("viewer").get(f"/jobs/{job.pk}/events/?after=xyz").content.decode()
    assert "line 1" in html and "line 2" in html


def test_it_lets_managers_cancel_and_viewers_only_watch(world, client_as, job):
    viewer_page = client_as("viewer").get(f"/jobs/{job.pk}/").content.decode()
    assert f"/jobs/{job.pk}/cancel/" not in viewer_page
    assert client_as("viewer").post(f"/jobs/{job.pk}/cancel/").status_code == 403
    owner = client_as("owner")
    assert f"/jobs/{job.pk}/cancel/" in owner.get(f"/jobs/{job.pk}/").content.decode()
    response = owner.post(f"/jobs/{job.pk}/cancel/", follow=True)
    assert "Cancellation requested." in response.content.decode()
    job.refresh_from_db()
    assert job.cancel_requested


def test_it_explains_why_a_finished_job_cannot_be_canceled(world, client_as, job):
    job.status = "succeeded"
    job.save()
    response = client_as("owner").post(f"/jobs/{job.pk}/cancel/", follow=True)
    assert "This job has already finished" in response.content.decode()


def test_it_filters_the_job_list_by_status(world, client_as, job):
    from jobs.models import Job

    Job.objects.create(kind="demo", title="Old failure", team=world.team_a, status="failed")
    html = client_as("viewer").get("/jobs/?status=failed").content.decode()
    assert "Old failure" in html and "Bootstrap" not in html
    assert re.search(r'<option value="failed"\s+selected>', html)


def test_it_shows_each_hosts_step_with_its_exit_status_and_labels_its_output(world, client_as, job):
    from jobs.models import JobEvent, JobStep

    step = JobStep.objects.create(
        job=job,
        position=2,
        name="install",
        title="Install",
        host="fake-host-2",
        status="failed",
        exit_status=3,
        attempts=2,
    )
    JobEvent.objects.create(job=job, counter=3, step=step, host="fake-host-2", text="E: locked", stream="stderr")
    html = client_as("viewer").get(f"/jobs/{job.pk}/").content.decode()
    assert "<strong>Install</strong> on fake-host-2" in html and "exit status 3" in html and "2 attempts" in html
    assert 'data-host="fake-host-2">[fake-host-2] E: locked' in html
    api = client_as("viewer").get(f"/api/v1/jobs/{job.pk}/events/?host=fake-host-2").json()
    assert [(e["host"], e["text"]) for e in api] == [("fake-host-2", "E: locked")]
