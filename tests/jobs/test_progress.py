"""Progress people can see: counts per host and in total over the (step, host)
pairs, the current step of each host, elapsed times; on the job page (bars,
a host picker over the log) and in the API (progress in the job, events
filtered by host). One read of the steps, however many stages and hosts."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from jobs.models import Job, JobEvent, JobStep
from jobs.selectors import job_progress

pytestmark = pytest.mark.django_db

HOSTS = ["node-a", "node-b", "node-c"]


@pytest.fixture
def job(world):
    return multi_host_job(world.team_a)


def multi_host_job(team) -> Job:
    """A running job: a portal step, then two stages on three hosts.

    plan (portal): succeeded
    install: node-a succeeded, node-b failed (exit 3, 2 attempts), node-c skipped
    verify:  node-a running, node-b pending, node-c running
    """
    now = timezone.now()
    job = Job.objects.create(
        kind="demo", title="Bootstrap", team=team, status="running", started=now - timedelta(minutes=5)
    )

    def step(position, name, host, status, **fields):
        return JobStep.objects.create(
            job=job, position=position, name=name, title=name.capitalize(), host=host, status=status, **fields
        )

    step(1, "plan", "", "succeeded", started=now - timedelta(minutes=5), finished=now - timedelta(minutes=4))
    step(2, "install", "node-a", "succeeded", exit_status=0, started=now - timedelta(minutes=4), finished=now)
    step(2, "install", "node-b", "failed", exit_status=3, attempts=2, message="E: locked")
    step(2, "install", "node-c", "skipped")
    step(3, "verify", "node-a", "running", started=now - timedelta(seconds=75))
    step(3, "verify", "node-b", "pending")
    step(3, "verify", "node-c", "running", started=now - timedelta(seconds=10))
    for counter, host, text in [
        (1, "", "planning"),
        (2, "node-a", "a installs"),
        (3, "node-b", "E: locked"),
        (4, "node-c", "c has it already"),
        (5, "node-a", "a verifies"),
        (6, "", "waiting for verify"),
    ]:
        JobEvent.objects.create(job=job, counter=counter, host=host, text=text)
    job.last_counter = 6
    job.save()
    return job


@pytest.fixture
def viewer(client, world):
    """The test client, logged in as a viewer of the job's team."""
    client.force_login(world.viewer)
    return client


def _hosts(progress):
    return {h.host: h for h in progress.hosts}


def test_it_counts_the_pairs_per_host_and_in_total_with_skipped_as_done(job):
    progress = job_progress(job)
    assert (progress.total, progress.done, progress.failed, progress.running, progress.pending) == (7, 3, 1, 2, 1)
    assert progress.percent == 43  # 3 of 7
    # The portal's own steps first, then the hosts by name.
    assert [h.host for h in progress.hosts] == ["", "node-a", "node-b", "node-c"]
    hosts = _hosts(progress)
    assert (hosts[""].total, hosts[""].done, hosts[""].state) == (1, 1, "succeeded")
    assert (hosts["node-a"].total, hosts["node-a"].done, hosts["node-a"].running) == (2, 1, 1)
    assert (hosts["node-b"].done, hosts["node-b"].failed, hosts["node-b"].pending, hosts["node-b"].state) == (
        0,
        1,
        1,
        "failed",
    )
    assert (hosts["node-c"].done, hosts["node-c"].percent, hosts["node-c"].state) == (1, 50, "running")
    assert progress.host_names == HOSTS


def test_it_names_the_current_step_of_each_host_and_how_long_it_has_run(job):
    now = timezone.now()
    progress = job_progress(job, now=now)
    hosts = _hosts(progress)
    assert [(s.name, s.host) for s in progress.current] == [("verify", "node-a"), ("verify", "node-c")]
    assert hosts["node-a"].current.title == "Verify"
    assert hosts["node-a"].current.elapsed == now - hosts["node-a"].current.started
    assert hosts["node-b"].current is None and hosts[""].current is None
    assert progress.elapsed == now - job.started
    plan = progress.steps[0]
    assert plan.elapsed == timedelta(minutes=1)  # finished: its duration, not until now


def test_it_stops_the_clock_of_a_finished_job(job):
    job.status, job.finished = "failed", job.started + timedelta(minutes=7)
    job.save()
    progress = job_progress(job, now=job.started + timedelta(hours=3))
    assert progress.elapsed == timedelta(minutes=7)


def test_it_reads_the_steps_once_for_a_job_of_30_stages_on_12_hosts(world, django_assert_max_num_queries, viewer):
    job = Job.objects.create(kind="demo", title="Big", team=world.team_a, status="running")
    hosts = [f"host-{n:02}" for n in range(12)]
    JobStep.objects.bulk_create(
        JobStep(
            job=job,
            position=position,
            name=f"step{position}",
            title=f"Step {position}",
            host=host,
            status="succeeded" if position <= 10 else "running" if position == 11 else "pending",
        )
        for position in range(1, 31)
        for host in hosts
    )
    job = Job.objects.get(pk=job.pk)
    with django_assert_max_num_queries(1):
        progress = job_progress(job)
    assert (progress.total, progress.done, progress.running) == (360, 120, 12)
    assert all((h.total, h.done) == (30, 10) for h in progress.hosts)
    # The page and the API: the job, its steps, its events, the session; not one per step.
    client = viewer
    with django_assert_max_num_queries(10):
        page = client.get(f"/jobs/{job.pk}/")
    assert page.status_code == 200
    with django_assert_max_num_queries(10):
        poll = client.get(f"/jobs/{job.pk}/events/?after=0")
    assert poll.status_code == 200
    with django_assert_max_num_queries(10):
        detail = client.get(f"/api/v1/jobs/{job.pk}/")
    assert detail.json()["progress"]["total"] == 360


def test_the_api_shows_the_progress_in_the_job(world, api, job):
    data = api.as_(world.viewer).get(f"/api/v1/jobs/{job.pk}/").json()
    progress = data["progress"]
    assert {k: progress[k] for k in ("total", "done", "failed", "running", "pending", "percent")} == {
        "total": 7,
        "done": 3,
        "failed": 1,
        "running": 2,
        "pending": 1,
        "percent": 43,
    }
    assert progress["elapsed_seconds"] >= 300
    assert [(c["name"], c["host"]) for c in progress["current"]] == [("verify", "node-a"), ("verify", "node-c")]
    by_host = {h["host"]: h for h in progress["hosts"]}
    assert list(by_host) == ["", "node-a", "node-b", "node-c"]
    assert (by_host["node-b"]["failed"], by_host["node-b"]["state"], by_host["node-b"]["current"]) == (
        1,
        "failed",
        None,
    )
    current = by_host["node-a"]["current"]
    assert (current["title"], current["position"]) == ("Verify", 3)
    assert current["running_seconds"] >= 75
    # The list carries it too, from the prefetched steps.
    listed = api.as_(world.viewer).get("/api/v1/jobs/").json()["results"]
    assert listed[0]["progress"]["done"] == 3


def test_the_api_filters_events_by_host_and_tails_after_a_counter(world, api, job):
    client = api.as_(world.viewer)

    def texts(query):
        response = client.get(f"/api/v1/jobs/{job.pk}/events/{query}")
        assert response.status_code == 200, response.content
        return [(e["counter"], e["host"], e["text"]) for e in response.json()]

    assert [c for c, _h, _t in texts("")] == [1, 2, 3, 4, 5, 6]
    assert texts("?host=node-a") == [(2, "node-a", "a installs"), (5, "node-a", "a verifies")]
    assert texts("?host=node-a&after=2") == [(5, "node-a", "a verifies")]
    assert texts("?host=") == [(1, "", "planning"), (6, "", "waiting for verify")]  # the portal's own
    assert texts("?after=4") == [(5, "node-a", "a verifies"), (6, "", "waiting for verify")]
    assert texts("?host=nowhere") == []
    bad = client.get(f"/api/v1/jobs/{job.pk}/events/?after=x&host=node-a")
    assert bad.status_code == 400 and "after" in bad.json()["errors"]


def test_the_schema_documents_the_event_filters_and_the_progress(world, api):
    schema = api.as_(world.admin).get("/api/schema/?format=json").json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/jobs/{id}/events/"]["get"]["parameters"]}
    assert "portal's own output" in parameters["host"]["description"]
    assert "last counter seen" in parameters["after"]["description"]
    job_schema = schema["components"]["schemas"]["Job"]["properties"]
    assert "progress" in job_schema


def test_the_page_shows_bars_for_the_job_and_each_host(viewer, job):
    html = viewer.get(f"/jobs/{job.pk}/").content.decode()
    bars = re.findall(r'role="progressbar" aria-valuemin="0" aria-valuemax="(\d+)" aria-valuenow="(\d+)"', html)
    # The job's, then the portal's and each host's.
    assert bars == [("7", "3"), ("1", "1"), ("2", "1"), ("2", "0"), ("2", "1")]
    assert "3 of 7 steps done" in html and "1 failed" in html and "2 running" in html
    assert 'style="width: 43%"' in html
    assert "Running for" in html
    row = re.search(r'<tr data-host="node-a">.*?</tr>', html, re.S).group(0)
    assert "Verify" in row and 'data-state="running"' in row and "badge-progress" in row and "1/2" in row
    # Every step with its badge, duration, exit status and attempts.
    assert "<strong>Install</strong> on node-b" in html and "exit status 3" in html and "2 attempts" in html
    assert 'class="badge badge-neutral" data-state="skipped"' in html and "1 min 00 s" in html


def test_the_log_can_be_filtered_to_one_host_and_keeps_tailing_it(viewer, job):
    client = viewer
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    picker = re.search(r'<nav class="hostpicker".*?</nav>', page, re.S).group(0)
    assert 'aria-current="true">All hosts' in picker
    assert f'href="/jobs/{job.pk}/?host="' in picker  # the portal's own output
    for host in HOSTS:
        assert f'href="/jobs/{job.pk}/?host={host}"' in picker
    assert "[node-a] a installs" in page and "planning" in page

    page = client.get(f"/jobs/{job.pk}/?host=node-a").content.decode()
    log = re.search(r'<pre class="joblog".*?</pre>', page, re.S).group(0)
    assert "[node-a] a installs" in log and "[node-a] a verifies" in log
    assert "node-b" not in log and "planning" not in log
    assert f'hx-get="/jobs/{job.pk}/events/?after=5&amp;host=node-a"' in page
    assert re.search(r'<a href="[^"]*\?host=node-a" aria-current="true">', page)

    JobEvent.objects.create(job=job, counter=7, host="node-b", text="b again")
    JobEvent.objects.create(job=job, counter=8, host="node-a", text="a done")
    poll = client.get(f"/jobs/{job.pk}/events/?after=5&host=node-a").content.decode()
    assert "a done" in poll and "b again" not in poll
    assert f'hx-get="/jobs/{job.pk}/events/?after=8&amp;host=node-a"' in poll
    # The state part comes along with the bars, out of band.
    assert '<div id="job-state" hx-swap-oob="true">' in poll and 'role="progressbar"' in poll

    portal_only = client.get(f"/jobs/{job.pk}/?host=").content.decode()
    log = re.search(r'<pre class="joblog".*?</pre>', portal_only, re.S).group(0)
    assert "planning" in log and "waiting for verify" in log and "data-host" not in log.split(">", 1)[1]


def test_a_finished_job_page_stops_polling_and_says_how_long_it_took(viewer, job):
    JobStep.objects.filter(job=job, status__in=["running", "pending"]).update(status="canceled")
    job.status, job.finished = "canceled", job.started + timedelta(minutes=6)
    job.save()
    html = viewer.get(f"/jobs/{job.pk}/?host=node-a").content.decode()
    assert "hx-get" not in html
    assert "Took 6 min 00 s" in html


@pytest.mark.parametrize(
    "url",
    ["/jobs/{pk}/", "/jobs/{pk}/?host=node-a", "/jobs/{pk}/events/?after=0&host=node-a"],
)
def test_outsiders_get_404_on_the_pages(world, client, job, url):
    assert client.get(url.format(pk=job.pk)).status_code == 302  # anonymous: to the login
    client.force_login(world.outsider)
    assert client.get(url.format(pk=job.pk)).status_code == 404


@pytest.mark.parametrize("url", ["/api/v1/jobs/{pk}/", "/api/v1/jobs/{pk}/events/?host=node-a"])
def test_outsiders_get_404_in_the_api(world, api, job, url):
    assert api.as_(world.outsider).get(url.format(pk=job.pk)).status_code == 404
    assert api.as_(None).get(url.format(pk=job.pk)).status_code in (401, 403)
