"""For tests that bring up clusters on the test hosts with the real kubeadm:
hosts that install from the package mirror on the bridge, and a job run here
that must succeed (or the test fails with the failed step and the log's end)."""

import pytest

from jobs.choices import JobStatus, StepStatus
from jobs.models import Job
from jobs.runner import job_run
from testhosts import kubenode, node_packages

LOG_TAIL_CHARS = 6000


def mirrored_hosts(testhosts, count: int):
    """(run, mirror): `count` fresh test hosts that take their packages from
    the mirror, the first with the control plane's images (kubenode)."""
    run = testhosts(count)
    mirror = run.package_mirror()
    for host in run:
        node_packages.use_distribution_mirror(host, mirror)
    kubenode.provide_images(run[0])
    return run, mirror


def job_succeeded(job_id) -> Job:
    """Run the job in this process (jobs_in_process); fail the test with the
    failed step and the end of the log unless it succeeded."""
    job_run(job_id=job_id)
    job = Job.objects.get(pk=job_id)
    if job.status != JobStatus.SUCCEEDED:
        failed = job.steps.filter(status=StepStatus.FAILED).first()
        where = failed and (failed.name, failed.host)
        log = "\n".join(job.events.order_by("pk").values_list("text", flat=True))
        pytest.fail(f"{job.status}: {job.message}\nfailed step: {where}\n{log[-LOG_TAIL_CHARS:]}")
    return job


def register_by_key(host):
    """One more test host in the portal: its key, sudo with the password, the
    key pinned (tests/hosts/conftest.register registers three, three ways)."""
    from hosts import services

    credential = services.ssh_credential_create(
        name=host.name, kind="private_key", private_key=host.private_key_pem, password=host.password
    )
    record = services.host_create(
        name=host.name,
        address=host.address,
        port=host.port,
        username=host.username,
        sudo_mode="sudo_password",
        credential=credential,
    )
    return services.host_key_pin(host=record, known_hosts_line=host.known_hosts_line)
