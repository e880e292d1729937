"""A bootstrap that stops part-way is resumed from where it stopped, and one
that cannot trust a host changes nothing there.

* The Celery worker running the bootstrap is killed (SIGKILL, as a crash)
  while a host downloads the kubelet package from the mirror (held back by
  the test); the job is failed by the next worker, and resuming it completes
  the cluster, the steps already done skipped. A real worker on the real
  Redis broker, the real kubeadm, OpenSSH test hosts (see
  test_bootstrap_e2e.py for the stand-ins and the ignored kubeadm checks).
* A host whose key is not the pinned one: the bootstrap stops before any
  command runs on it.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from clusters.bootstrap import plan, services
from clusters.bootstrap.spec import spec_validate
from clusters.models import Cluster
from devcluster.build import KUBE_VERSION
from hosts.models import Host
from jobs.choices import JobStatus, StepStatus
from jobs.models import Job, JobEvent
from jobs.runner import job_run
from jobs.services import job_resume
from tests.clusters.test_bootstrap_e2e import FLANNEL, IGNORED_PREFLIGHT, _node_roles
from tests.hosts.conftest import register
from tests.support.bootstrap import mirrored_hosts
from tests.support.wait import wait_for

pytestmark = [pytest.mark.testhosts, pytest.mark.django_db(transaction=True)]


def _facts(hosts) -> None:
    from hosts.services import facts_gather

    job = facts_gather(hosts=hosts)
    wait_for(lambda: Job.objects.get(pk=job.pk).is_terminal, 120, what="the facts job")
    assert Job.objects.get(pk=job.pk).status == JobStatus.SUCCEEDED


def _spec(mirror, control_plane, workers=()):
    return spec_validate(
        control_plane=[control_plane],
        workers=list(workers),
        packages_mirror=mirror.kube_url(KUBE_VERSION),
        runtime_mirror=mirror.runtime_url,
        ignore_preflight_errors=IGNORED_PREFLIGHT,
    )


@pytest.mark.redis
@pytest.mark.slow
def test_a_bootstrap_whose_worker_died_in_the_packages_step_resumes_to_a_cluster(workers, testhosts, kube_packages):
    run, mirror = mirrored_hosts(testhosts, 2)
    records = register(run)
    first = workers("portal-bootstrap@%h")
    _facts(records)

    mirror.hold("/kubelet_")
    job = services.bootstrap_start(
        name="Resumed",
        slug="resumed",
        spec=_spec(mirror, records[0].name, [records[1].name]),
        network_manifest=FLANNEL,
    )
    try:
        wait_for(lambda: len(mirror.held) == 2, 300, what="both hosts downloading the kubelet package")
        first.kill()
    finally:
        mirror.release()  # the killed worker's apt carries on on the hosts, as it would
    workers("portal-bootstrap@%h")  # the next worker finds the job its predecessor left
    wait_for(lambda: Job.objects.get(pk=job.pk).status == JobStatus.FAILED, 60, what="recovery to fail the job")
    job.refresh_from_db()
    assert "Resume the job" in job.message
    steps = {(s.name, s.host): s.status for s in job.steps.all()}
    assert {steps[("prepare", r.name)] for r in records} == {StepStatus.SUCCEEDED}
    assert {steps[("packages", r.name)] for r in records} != {StepStatus.SUCCEEDED}

    resumed = job_resume(job=job, user=AnonymousUser())
    wait_for(lambda: Job.objects.get(pk=resumed.pk).is_terminal, 600, what="the resumed bootstrap")
    resumed.refresh_from_db()
    assert resumed.status == JobStatus.SUCCEEDED, resumed.message
    done = {(s.name, s.host): s.status for s in resumed.steps.all()}
    # What had succeeded is carried over, not run again.
    assert {done[("prepare", r.name)] for r in records} == {StepStatus.SUCCEEDED}
    assert not JobEvent.objects.filter(job=resumed, step__name="prepare").exists()
    assert {done[("packages", r.name)] for r in records} <= {StepStatus.SUCCEEDED, StepStatus.SKIPPED}
    cluster = Cluster.objects.get(slug="resumed")
    assert _node_roles(cluster) == {records[0].name: (["control-plane"], "True"), records[1].name: (["worker"], "True")}
    for host in run:
        assert host.run("apt-mark showhold").split() == ["kubeadm", "kubectl", "kubelet"]


@pytest.mark.usefixtures("jobs_in_process")
def test_a_host_whose_key_changed_is_refused_before_any_change(testhosts, kube_packages):
    run = testhosts(2)
    mirror = run.package_mirror()
    records = register(run)
    for record in records:
        job_run(job_id=_facts_in_process(record).pk)
    # Host 0's pinned key is host 1's: as if host 0 had been replaced.
    Host.objects.filter(pk=records[0].pk).update(host_key=run[1].host_public_key)
    job = services.bootstrap_start(name="Trust", slug="trust", spec=_spec(mirror, records[0].name))
    assert job_run(job_id=job.pk) == JobStatus.FAILED
    job.refresh_from_db()
    assert "host key" in job.message and "changed" in job.message
    # And what to do next.
    assert "What to do: read the command's output above and fix the host. Then resume the job" in job.message
    prepare = job.steps.get(name="prepare", host=records[0].name)
    assert prepare.status == StepStatus.FAILED and prepare.attempts == 1  # not retried: not transient
    # Nothing of the plan reached the host.
    for path in ("/etc/modules-load.d/kubernetes.conf", "/etc/sysctl.d/99-kubernetes.conf", plan.APT_SOURCE):
        assert not run[0].path(path).exists(), path
    assert plan.HOSTS_BEGIN not in run[0].read_file("/etc/hosts")
    assert mirror.requests == []


def _facts_in_process(record):
    from hosts.services import facts_gather

    return facts_gather(hosts=[record])
