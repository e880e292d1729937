"""Jobs on real hosts over SSH: one connection per job and host, output
streamed into the job log with its host, failures with their output, resume
from the failed (step, host), cancel and step timeouts that stop the command
on the hosts, refused host keys, and secrets that never show.

The jobs run in this process (jobs.runner.job_run); a stage's hosts run in
threads with their own database connections, hence transactional_db."""

import logging
import threading
import time

import pytest

import tests.support.jobkinds  # noqa: F401  (test.host-commands)
from hosts import ssh
from hosts.models import Host
from jobs import services
from jobs.choices import EventStream, JobStatus, StepStatus
from jobs.models import Job, JobEvent
from jobs.runner import job_run
from tests.hosts.conftest import register
from tests.support.jobkinds import HOST_SECRETS
from tests.support.wait import wait_for

pytestmark = [
    pytest.mark.usefixtures("jobs_in_process"),
    pytest.mark.testhosts,
    pytest.mark.django_db(transaction=True),
]

MARK = "/tmp/portal-host-jobs"  # noqa: S108  (on the test hosts)


@pytest.fixture
def three(hosts):
    for host in hosts:
        host.run(f"rm -rf {MARK}*; pkill -f [p]ortal-sleeper || true")
    yield register(hosts)
    for host in hosts:
        host.run(f"rm -rf {MARK}*; pkill -f [p]ortal-sleeper || true")


def _job(hosts, *steps, **params):
    names = [h.name for h in hosts]
    return services.job_create(
        kind="test.host-commands", title="Host commands", params={"hosts": names, "steps": list(steps), **params}
    )


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


def _steps(job):
    return {(s.name, s.host): s for s in Job.objects.get(pk=job.pk).steps.all()}


def _log(job, host=None):
    events = JobEvent.objects.filter(job=job).order_by("counter")
    if host is not None:
        events = events.filter(host=host)
    return "\n".join(events.values_list("text", flat=True))


def test_a_job_of_several_steps_runs_on_three_hosts_over_one_connection_each(three, monkeypatch):
    opened = []
    real_open = ssh.Session.open

    def counting_open(session):
        if session._client is None:
            opened.append(session.target.address)
        return real_open(session)

    monkeypatch.setattr(ssh.Session, "open", counting_open)
    job = _job(
        three,
        {"name": "hello", "title": "Say hello", "command": "echo hello from $(hostname); echo to stderr >&2"},
        {"name": "root", "title": "Be root", "command": "id -u", "sudo": True},
        {"name": "write", "title": "Write", "command": f"echo done > {MARK}", "unless": f"test -f {MARK}"},
    )
    assert job_run(job_id=job.pk) == JobStatus.SUCCEEDED, Job.objects.get(pk=job.pk).message
    steps = _steps(job)
    assert len(steps) == 9 and {s.status for s in steps.values()} == {StepStatus.SUCCEEDED}
    assert {s.exit_status for s in steps.values()} == {0}
    # One connection per host for the whole job, whichever way it logs in.
    assert sorted(opened) == sorted(h.address for h in three)
    for record, host in zip(three, Host.objects.order_by("name"), strict=True):
        log = _log(job, record.name).splitlines()
        assert f"hello from {record.name}" in log and "0" in log  # sudo: uid 0
        assert JobEvent.objects.filter(job=job, host=record.name, stream=EventStream.STDERR, text="to stderr").exists()
        assert host.last_seen is not None


def test_a_rerun_of_a_finished_job_changes_nothing(three, hosts):
    step = {"name": "write", "title": "Write", "command": f"date +%s%N >> {MARK}", "unless": f"test -s {MARK}"}
    assert job_run(job_id=_job(three, step).pk) == JobStatus.SUCCEEDED
    before = [h.read_file(MARK) for h in hosts]
    again = _job(three, step)
    assert job_run(job_id=again.pk) == JobStatus.SUCCEEDED
    assert {s.status for s in _steps(again).values()} == {StepStatus.SKIPPED}
    assert [h.read_file(MARK) for h in hosts] == before


def test_a_failing_step_stops_the_job_with_its_output_and_resume_continues_there(three, hosts):
    job = _job(
        three,
        {"name": "first", "title": "First", "command": f"echo first >> {MARK}-first"},
        {
            "name": "check",
            "title": "Check",
            "command": f"echo looking; test -f {MARK}-ok || {{ echo missing >&2; exit 3; }}",
        },
        {"name": "last", "title": "Last", "command": f"echo last >> {MARK}-last"},
    )
    hosts[0].run(f"touch {MARK}-ok")
    hosts[2].run(f"touch {MARK}-ok")
    assert job_run(job_id=job.pk) == JobStatus.FAILED
    job.refresh_from_db()
    failed = three[1].name
    assert job.message == f"Step 2 (Check) failed on {failed}: The command exited with status 3."
    steps = _steps(job)
    assert steps[("check", failed)].status == StepStatus.FAILED and steps[("check", failed)].exit_status == 3
    assert "missing" in _log(job, failed) and "looking" in _log(job, failed)
    assert {steps[("last", h.name)].status for h in three} == {StepStatus.PENDING}

    hosts[1].run(f"touch {MARK}-ok")  # the fix
    resumed = services.job_resume(job=job, user=_anonymous())
    assert job_run(job_id=resumed.pk) == JobStatus.SUCCEEDED
    steps = _steps(resumed)
    # Only the failed (step, host) and what followed ran again.
    assert {steps[("first", h.name)].status for h in three} == {StepStatus.SUCCEEDED}
    assert not JobEvent.objects.filter(job=resumed, step__name="first").exists()
    assert "looking" in _log(resumed, failed) and "looking" not in _log(resumed, three[0].name)
    assert [h.read_file(f"{MARK}-first") for h in hosts] == ["first\n"] * 3
    assert [h.read_file(f"{MARK}-last") for h in hosts] == ["last\n"] * 3


def _running_on(host) -> bool:
    # [p]: the pattern does not match the shell that runs pgrep.
    return host.run("pgrep -f '[p]ortal-sleeper' >/dev/null && echo yes || echo no").strip() == "yes"


def test_cancel_stops_the_commands_running_on_the_hosts(three, hosts):
    # As root through sudo (with its password), so stopping it needs sudo too.
    sleeper = {
        "name": "sleep",
        "title": "Sleep",
        "command": "echo going to sleep; exec bash -c 'exec -a portal-sleeper sleep 300'",
        "sudo": True,
    }
    job = _job(three, sleeper, {"name": "after", "title": "After", "command": "true"})
    outcome = {}
    runner = threading.Thread(target=lambda: outcome.setdefault("status", _run_and_close(job.pk)))
    runner.start()
    try:
        wait_for(lambda: all(_running_on(h) for h in hosts), 30, what="the sleepers to start on every host")
        # Streamed live: each host's first line is in the log while its command still runs.
        wait_for(
            lambda: (
                set(JobEvent.objects.filter(job=job, text="going to sleep").values_list("host", flat=True))
                == {h.name for h in three}
            ),
            10,
            what="each host's output before its command ended",
        )
        services.job_cancel(job=job, user=_anonymous())
        runner.join(60)
        assert outcome.get("status") == JobStatus.CANCELED
        assert not any(_running_on(h) for h in hosts), "a canceled command still runs on a host"
        steps = _steps(job)
        assert {steps[("sleep", h.name)].status for h in three} == {StepStatus.CANCELED}
        assert {steps[("after", h.name)].status for h in three} == {StepStatus.PENDING}
    finally:
        Job.objects.filter(pk=job.pk).update(cancel_requested=True)
        runner.join(60)


def _run_and_close(job_id):
    from django.db import connection

    try:
        return job_run(job_id=job_id)
    finally:
        connection.close()


def test_a_step_past_its_timeout_is_stopped_on_the_host(three, hosts):
    job = _job(
        three[:1],
        {"name": "slow", "title": "Slow", "command": "exec bash -c 'exec -a portal-sleeper sleep 300'", "timeout": 2},
    )
    started = time.monotonic()
    assert job_run(job_id=job.pk) == JobStatus.FAILED
    assert time.monotonic() - started < 60
    job.refresh_from_db()
    assert "did not finish within 2 seconds" in job.message
    wait_for(lambda: not _running_on(hosts[0]), 15, what="the timed-out command to be gone")


def test_a_host_whose_key_changed_is_refused_before_any_command_runs(three, hosts):
    other = hosts[1]  # its key, pinned for host 0: as if host 0 had been replaced
    Host.objects.filter(name=three[0].name).update(host_key=other.host_public_key)
    job = _job(three[:1], {"name": "touch", "title": "Touch", "command": f"touch {MARK}-ran"})
    assert job_run(job_id=job.pk) == JobStatus.FAILED
    job.refresh_from_db()
    assert "host key" in job.message and "changed" in job.message and "Nothing was run" in job.message
    assert hosts[0].run(f"test -e {MARK}-ran && echo ran || echo clean").strip() == "clean"
    # No retries: a changed key is not a transient failure.
    assert _steps(job)[("touch", three[0].name)].attempts == 1


def test_a_secret_given_to_a_command_is_absent_from_every_event_log_and_response(three, caplog, api, world):
    caplog.set_level(logging.DEBUG)
    secret = "s3cret-token-4711"
    HOST_SECRETS["token"] = secret
    job = _job(
        three,
        {
            "name": "use",
            "title": "Use the token",
            "command": 'echo "token is $TOKEN"; ps -eo args | grep -c s3cret-token || true; echo "$TOKEN" >&2; exit 1',
            "secret_env": {"TOKEN": "token"},
            "sudo": True,
        },
    )
    Job.objects.filter(pk=job.pk).update(created_by=world.admin)
    assert job_run(job_id=job.pk) == JobStatus.FAILED
    log = _log(job)
    assert "token is ********" in log and secret not in log
    for host in three:
        assert host.credential.password.reveal() not in log  # the sudo password
    job.refresh_from_db()
    assert secret not in job.message
    assert all(secret not in s.message for s in job.steps.all())
    assert secret not in caplog.text
    client = api.as_(world.admin)
    for url in (f"/api/v1/jobs/{job.pk}/", f"/api/v1/jobs/{job.pk}/events/"):
        response = client.get(url)
        assert response.status_code == 200 and secret not in response.content.decode()
