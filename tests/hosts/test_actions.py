"""Actions that check before they change, run by a job on a real host: the
first run changes the host, the second changes nothing and is skipped; a
secret file's content never reaches the log."""

import pytest

import tests.support.jobkinds  # noqa: F401  (test.host-actions)
from jobs import services
from jobs.choices import JobStatus, StepStatus
from jobs.models import Job, JobEvent
from jobs.runner import job_run
from tests.hosts.conftest import register

pytestmark = [
    pytest.mark.usefixtures("jobs_in_process"),
    pytest.mark.testhosts,
    pytest.mark.django_db(transaction=True),
]

DIR = "/etc/portal-actions-test"


def test_a_second_run_changes_nothing_and_secrets_stay_out_of_the_log(hosts):
    registered = register(hosts, prefix="act-")
    for host in hosts:
        host.run(f"rm -rf {DIR}")
    secret = "token-abcdef.0123456789abcdef"
    actions = [
        {"path": f"{DIR}/plain.conf", "content": "a = 1\n"},
        {"path": f"{DIR}/secret.yaml", "content": f"token: {secret}\n", "mode": 0o600, "secret": True},
        {"run": f"echo ran >> {DIR}/count", "unless": f"test -s {DIR}/count"},
    ]
    params = {"hosts": [h.name for h in registered], "actions": actions}
    try:
        first = services.job_create(kind="test.host-actions", title="Actions", params=params)
        assert job_run(job_id=first.pk) == JobStatus.SUCCEEDED, Job.objects.get(pk=first.pk).message
        assert set(first.steps.values_list("status", flat=True)) == {StepStatus.SUCCEEDED}
        for host in hosts:
            assert host.read_file(f"{DIR}/plain.conf") == "a = 1\n"
            assert host.run(f"stat -c '%a %U' {DIR}/secret.yaml").strip() == "600 root"
            assert host.read_file(f"{DIR}/count") == "ran\n"
        second = services.job_create(kind="test.host-actions", title="Actions again", params=params)
        assert job_run(job_id=second.pk) == JobStatus.SUCCEEDED
        assert set(second.steps.values_list("status", flat=True)) == {StepStatus.SKIPPED}
        assert [h.read_file(f"{DIR}/count") for h in hosts] == ["ran\n"] * 3
        log = "\n".join(JobEvent.objects.filter(job__in=[first, second]).values_list("text", flat=True))
        assert "Already done" in log and secret not in log
    finally:
        for host in hosts:
            host.run(f"rm -rf {DIR}")
