"""Facts read from real test hosts over SSH, in parallel, by a job: OS,
architecture, memory (a stand-in /proc/meminfo on one host), hostname,
addresses, and the API and page that start the job and show the facts.

The jobs run in this process (jobs.runner.job_run); a stage's hosts run in
threads with their own database connections, hence transactional_db."""

import platform

import pytest
from django.test import Client

from hosts import facts
from hosts.models import Host
from jobs.choices import JobStatus, StepStatus
from jobs.models import Job
from jobs.runner import job_run
from portal.models import AuditEvent
from tests.conftest import PASSWORD
from tests.hosts.conftest import register

pytestmark = [
    pytest.mark.usefixtures("jobs_in_process"),
    pytest.mark.testhosts,
    pytest.mark.django_db(transaction=True),
]

GIB = 1024**3


@pytest.fixture
def three(hosts):
    return register(hosts)


def _gathered(job) -> Job:
    assert job_run(job_id=job.pk) == JobStatus.SUCCEEDED, Job.objects.get(pk=job.pk).message
    return Job.objects.get(pk=job.pk)


def test_it_gathers_the_facts_of_three_hosts_in_parallel(api, world, three, hosts):
    hosts[1].set_meminfo(3 * GIB)
    try:
        response = api.as_(world.admin).post("/api/v1/hosts/facts/", {"hosts": [h.name for h in three]}, format="json")
        assert response.status_code == 202, response.content
        job = Job.objects.get(pk=response.json()["id"])
        assert job.kind == "hosts.facts"
        # One stage: the same step on every host, run side by side.
        assert [(s.position, s.name, s.host) for s in job.steps.order_by("host")] == [
            (1, "gather", h.name) for h in three
        ]
        job = _gathered(job)
    finally:
        hosts[1].restore_meminfo()
    assert {s.status for s in job.steps.all()} == {StepStatus.SUCCEEDED}
    assert AuditEvent.objects.filter(action="host.gather_facts", actor=world.admin).exists()
    for record, host in zip(three, hosts, strict=True):
        record.refresh_from_db()
        found = record.facts
        assert record.facts_gathered is not None and record.last_seen is not None
        assert found["os"]["id"] == "debian" and found["os"]["version_id"] == "12"
        assert found["os"]["family"] == "debian"
        assert found["arch"] == platform.machine()
        assert found["hostname"] == host.name
        assert found["cpus"] >= 1
        assert [(a["interface"], a["address"], a["prefix"]) for a in found["addresses"]] == [("eth0", host.address, 24)]
        assert found["addresses"][0]["address"].startswith("198.18.")
        assert abs(found["time_offset_seconds"]) < 5  # the same kernel clock, measured over SSH
        assert found["root_fs"]["size_bytes"] > 0
        assert found["cgroup_version"] in (1, 2)  # the runner's, bind-mounted read-only
        assert found["container_runtimes"] == {} and found["kubernetes_packages"] == {}
        assert found["complete"] is True
    memory = {r.name: Host.objects.get(pk=r.pk).facts["memory_bytes"] for r in three}
    assert memory[three[1].name] == 3 * GIB
    assert memory[three[0].name] != 3 * GIB
    # The job log has one summary line per host.
    log = "\n".join(job.events.values_list("text", flat=True))
    assert "Debian GNU/Linux 12" in log and "3.0 GiB memory" in log


def test_a_host_is_gathered_alone_and_the_kubernetes_packages_are_seen(api, world, three, hosts):
    # A kubeadm binary (a script) on one host is reported with its path.
    hosts[0].write_file("/usr/local/bin/kubeadm", "#!/bin/sh\necho stand-in\n")
    hosts[0].run("chmod 755 /usr/local/bin/kubeadm")
    try:
        response = api.as_(world.admin).post(f"/api/v1/hosts/{three[0].pk}/facts/", format="json")
        assert response.status_code == 202, response.content
        assert response.json()["host"] == three[0].name
        _gathered(Job.objects.get(pk=response.json()["id"]))
    finally:
        hosts[0].run("rm -f /usr/local/bin/kubeadm")
    three[0].refresh_from_db()
    assert three[0].facts["kubernetes_packages"] == {"kubeadm": "/usr/local/bin/kubeadm"}
    three[1].refresh_from_db()
    assert three[1].facts == {} and three[1].facts_gathered is None


def test_the_api_refuses_unknown_or_unpinned_hosts_and_non_admins(api, world, three):
    client = api.as_(world.admin)
    response = client.post("/api/v1/hosts/facts/", {"hosts": ["nope"]}, format="json")
    assert response.status_code == 400
    assert "No such host: nope." in response.json()["errors"]["hosts"][0]
    assert client.post("/api/v1/hosts/facts/", {"hosts": []}, format="json").status_code == 400
    Host.objects.filter(pk=three[2].pk).update(host_key="", host_key_fingerprint="")
    response = client.post("/api/v1/hosts/facts/", {"hosts": [three[2].name]}, format="json")
    assert response.status_code == 400
    assert "No host key is pinned" in response.json()["errors"]["hosts"][0]
    for user in (world.owner, world.outsider):
        response = api.as_(user).post("/api/v1/hosts/facts/", {"hosts": [three[0].name]}, format="json")
        assert response.status_code == 403
        assert api.as_(user).post(f"/api/v1/hosts/{three[0].pk}/facts/").status_code in (403, 404)
    assert not Job.objects.exists()


def test_the_host_page_shows_facts_as_a_table_and_starts_a_job(world, three, hosts):
    browser = Client()
    browser.login(username="admin", password=PASSWORD)
    page = browser.get(f"/hosts/{three[0].pk}/").content.decode()
    assert "No facts gathered yet" in page and "Gather facts" in page
    response = browser.post(f"/hosts/{three[0].pk}/facts/")
    job = Job.objects.get(kind="hosts.facts")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert AuditEvent.objects.filter(action="host.gather_facts", target_name=three[0].name).exists()
    _gathered(job)
    page = browser.get(f"/hosts/{three[0].pk}/").content.decode()
    assert "Debian GNU/Linux 12 (bookworm)" in page
    assert f"{hosts[0].address}/24 (eth0)" in page
    assert '"memory_bytes"' not in page and "{&#x27;os&#x27;" not in page  # not raw JSON
    assert f'href="/jobs/{job.pk}/"' in page
    # Non-admins cannot start it.
    other = Client()
    other.login(username="owner", password=PASSWORD)
    assert other.post(f"/hosts/{three[0].pk}/facts/").status_code in (403, 404)
    assert Job.objects.filter(kind="hosts.facts").count() == 1


def test_the_parser_takes_what_a_host_can_tell():
    output = "\n".join(
        [
            "@@os_release",
            'ID=rocky\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"\nPRETTY_NAME="Rocky Linux 9.3"',
            "@@meminfo",
            "MemTotal:        2048 kB\nSwapTotal:       1024 kB\nSwapFree:         512 kB",
            "@@cgroup",
            "cgroup2fs",
            "@@addresses",
            "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever",
            "3: ens3    inet6 2001:db8::5/64 scope global \\       valid_lft forever",
            "@@binaries",
            "containerd /usr/bin/containerd",
            "@@packages",
            "kubelet 1.30.2-1.1 installed",
            "kubectl 1.29.0-1.1 config-files",
        ]
    )
    found = facts.parse(output)
    assert found["os"]["family"] == "rhel" and found["os"]["version_id"] == "9.3"
    assert (found["memory_bytes"], found["swap_total_bytes"], found["swap_free_bytes"]) == (
        2048 * 1024,
        1024**2,
        512 * 1024,
    )
    assert found["cgroup_version"] == 2
    assert found["addresses"] == [
        {
            "interface": "ens3",
            "family": "ipv6",
            "address": "2001:db8::5",
            "prefix": 64,
            "network": "2001:db8::/64",
            "scope": "global",
        }
    ]
    assert found["container_runtimes"] == {"containerd": "/usr/bin/containerd"}
    assert found["kubernetes_packages"] == {"kubelet": "1.30.2-1.1"}  # removed packages do not count
    # A host that answers nothing: no crash, the unknowns say so.
    empty = facts.parse("")
    assert empty["cgroup_version"] == "unknown" and empty["cpus"] is None and empty["complete"] is False
    assert facts.clock_offset("1000.5\n", 999.0, 1001.0) == 0.5
    assert facts.clock_offset("garbage", 0, 1) is None
