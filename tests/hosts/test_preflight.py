"""Preflight of a planned cluster on real test hosts: it passes for one
control plane and two workers, then fails with the right message for a
hostname collision, too little memory (a stand-in /proc/meminfo), an
overlapping CIDR, a port in use, leftovers of a cluster and a host that
cannot be reached; plans are validated before any job starts; admins only.

The jobs run in this process (jobs.runner.job_run); a stage's hosts run in
threads with their own database connections, hence transactional_db. What a
test changes on the shared hosts it restores in a finally block."""

import pytest
from django.test import Client

from hosts import checks
from hosts.models import Host, PreflightCheck
from jobs.choices import JobStatus
from jobs.models import Job
from jobs.runner import job_run
from portal.models import AuditEvent
from tests.conftest import PASSWORD
from tests.hosts.conftest import register
from tests.support.wait import wait_for

pytestmark = [
    pytest.mark.usefixtures("jobs_in_process"),
    pytest.mark.testhosts,
    pytest.mark.django_db(transaction=True),
]

GIB = 1024**3
# Every check runs on a control-plane host; workers need no minimum of CPUs or memory.
CONTROL_PLANE_KEYS = set(checks.KEYS)
WORKER_KEYS = CONTROL_PLANE_KEYS - {"cpus", "memory"}


@pytest.fixture
def three(hosts):
    return register(hosts)


def _preflight(api, user, control_plane, workers, **cidrs) -> dict:
    """Start a preflight through the API, run it here, return its results."""
    client = api.as_(user)
    body = {"control_plane": [h.name for h in control_plane], "workers": [h.name for h in workers], **cidrs}
    response = client.post("/api/v1/hosts/preflight/", body, format="json")
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    job_run(job_id=job_id)
    response = client.get(f"/api/v1/hosts/preflight/{job_id}/")
    assert response.status_code == 200
    return response.json()


def _checks(result) -> dict:
    return {(host["name"], check["key"]): check for host in result["hosts"] for check in host["checks"]}


def _failed(result) -> set:
    return {where for where, check in _checks(result).items() if check["status"] == "fail"}


def test_it_passes_for_one_control_plane_and_two_workers(api, world, three):
    result = _preflight(api, world.admin, three[:1], three[1:])
    assert result["passed"] is True, result
    assert result["job_status"] == JobStatus.SUCCEEDED and result["failed_count"] == 0
    assert result["plan"] == {
        "control_plane": [three[0].name],
        "workers": [three[1].name, three[2].name],
        "pod_cidr": "10.244.0.0/16",
        "service_cidr": "10.96.0.0/12",
    }
    by_host = {host["name"]: host for host in result["hosts"]}
    assert [h["name"] for h in result["hosts"]] == [h.name for h in three]
    assert by_host[three[0].name]["role"] == "control-plane" and by_host[three[1].name]["role"] == "worker"
    assert {c["key"] for c in by_host[three[0].name]["checks"]} == CONTROL_PLANE_KEYS
    for worker in three[1:]:
        assert {c["key"] for c in by_host[worker.name]["checks"]} == WORKER_KEYS
    found = _checks(result)
    for (_host, key), check in found.items():
        # The runner's cgroup version is what it is; every other check passes.
        assert check["status"] == "pass" or key == "cgroup", check
        assert check["message"]
    assert found[(three[0].name, "privilege")]["message"] == "Commands run as root through sudo with the password."
    assert found[(three[0].name, "os")]["message"] == "Debian GNU/Linux 12 (bookworm) is supported."
    assert found[(three[1].name, "ports")]["message"] == ("The ports Kubernetes needs are free (10250, 30000-32767).")
    # Facts were refreshed on the way; the start of the job was audited.
    assert Host.objects.get(pk=three[2].pk).facts["hostname"] == three[2].name
    assert AuditEvent.objects.filter(action="host.preflight", actor=world.admin, status_code=202).exists()
    assert PreflightCheck.objects.filter(host__isnull=True).count() == 0


def test_a_hostname_collision_fails_both_hosts(api, world, three, hosts):
    hosts[2].set_hostname(hosts[1].name)
    try:
        result = _preflight(api, world.admin, three[:1], three[1:])
    finally:
        hosts[2].set_hostname(hosts[2].name)
    assert result["passed"] is False and result["job_status"] == JobStatus.FAILED
    assert _failed(result) == {(three[1].name, "hostname_unique"), (three[2].name, "hostname_unique")}
    check = _checks(result)[(three[2].name, "hostname_unique")]
    assert check["message"] == (
        f"{hosts[1].name} is also the hostname of {three[1].name}: Kubernetes names nodes by hostname."
    )
    assert "hostnamectl set-hostname" in check["remedy"]
    assert "Hostname unique" in result["message"]


def test_too_little_memory_on_the_control_plane_fails(api, world, three, hosts):
    hosts[0].set_meminfo(1 * GIB)
    try:
        result = _preflight(api, world.admin, three[:1], three[1:])
    finally:
        hosts[0].restore_meminfo()
    assert _failed(result) == {(three[0].name, "memory")}
    check = _checks(result)[(three[0].name, "memory")]
    assert check["message"] == "Only 1.0 GiB of memory: a control plane needs at least 1.7 GiB."
    assert check["remedy"] == "Give the host at least 1.7 GiB of memory, or make it a worker."


def test_a_pod_cidr_overlapping_the_hosts_network_fails(api, world, three, hosts):
    result = _preflight(api, world.admin, three[:1], three[1:], pod_cidr="198.18.0.0/15")
    assert _failed(result) == {(h.name, "pod_cidr") for h in three}
    network = hosts[0].address.rsplit(".", 1)[0] + ".0/24"
    check = _checks(result)[(three[0].name, "pod_cidr")]
    assert check["message"] == f"198.18.0.0/15 overlaps this host's network {network} (eth0)."
    assert "10.244.0.0/16" in check["remedy"]
    assert _checks(result)[(three[0].name, "service_cidr")]["status"] == "pass"


def test_an_unsupported_os_fails_with_the_reason(api, world, three, hosts):
    # /etc/os-release of a Fedora host, in the host's own overlay (Debian's link to /usr/lib/os-release, put back after).
    assert hosts[2].run("readlink /etc/os-release").strip() == "../usr/lib/os-release"
    hosts[2].run(
        "rm /etc/os-release && printf '%s\\n' 'NAME=\"Fedora Linux\"' 'ID=fedora' 'VERSION_ID=40'"
        " 'PRETTY_NAME=\"Fedora Linux 40\"' >/etc/os-release"
    )
    try:
        result = _preflight(api, world.admin, three[:1], three[1:])
    finally:
        hosts[2].run("rm -f /etc/os-release && ln -s ../usr/lib/os-release /etc/os-release")
    assert _failed(result) == {(three[2].name, "os")}
    check = _checks(result)[(three[2].name, "os")]
    assert "Fedora Linux 40 is not supported" in check["message"]
    assert check["remedy"]


def test_a_port_in_use_fails_on_that_host_only(api, world, three, hosts):
    hosts[0].run("nohup python3 -m http.server 6443 >/dev/null 2>&1 &")
    try:
        wait_for(lambda: ":6443 " in hosts[0].run("ss -Hltn"), what="a listener on 6443")
        result = _preflight(api, world.admin, three[:1], three[1:])
    finally:
        hosts[0].run("pkill -f '[h]ttp.server 6443' || true")
    assert _failed(result) == {(three[0].name, "ports")}
    check = _checks(result)[(three[0].name, "ports")]
    assert check["message"] == "Ports Kubernetes needs are in use: 6443."
    assert "ss -ltnp" in check["remedy"]


def test_a_host_already_in_a_cluster_fails(api, world, three, hosts):
    hosts[1].write_file("/etc/kubernetes/kubelet.conf", "apiVersion: v1\nkind: Config\n")
    Host.objects.filter(pk=three[2].pk).update(cluster=world.cluster)
    try:
        result = _preflight(api, world.admin, three[:1], three[1:])
    finally:
        hosts[1].run("rm -rf /etc/kubernetes")
    assert _failed(result) == {(three[1].name, "cluster"), (three[2].name, "cluster")}
    checks = _checks(result)
    assert checks[(three[1].name, "cluster")]["message"] == (
        "Kubernetes files are already on the host: /etc/kubernetes/kubelet.conf."
    )
    assert "kubeadm reset" in checks[(three[1].name, "cluster")]["remedy"]
    assert checks[(three[2].name, "cluster")]["message"] == "The portal has this host in cluster Prod."


def test_a_host_that_cannot_be_reached_fails_and_the_others_are_still_checked(api, world, three, hosts):
    # Pinned: another host's key; the connection is refused before any command runs.
    Host.objects.filter(pk=three[2].pk).update(host_key=hosts[0].host_public_key)
    result = _preflight(api, world.admin, three[:1], three[1:])
    assert _failed(result) == {(three[2].name, "ssh")}
    check = _checks(result)[(three[2].name, "ssh")]
    assert "host key" in check["message"] and "changed" in check["message"]
    assert "pinned host key" in check["remedy"]
    by_host = {host["name"]: host for host in result["hosts"]}
    assert [c["key"] for c in by_host[three[2].name]["checks"]] == ["ssh"]
    assert {c["key"] for c in by_host[three[1].name]["checks"]} == WORKER_KEYS


def test_sudo_that_does_not_give_root_fails(api, world, three):
    # The portal user's sudo asks for its password; "sudo (no password)" cannot give it.
    Host.objects.filter(pk=three[1].pk).update(sudo_mode="sudo")
    result = _preflight(api, world.admin, three[:1], three[1:2])
    assert _failed(result) == {(three[1].name, "privilege")}
    check = _checks(result)[(three[1].name, "privilege")]
    assert check["message"].startswith("Could not run a command as root: ")
    assert "password is required" in check["message"]
    assert check["remedy"].startswith(f"Let {three[1].username} run any command through sudo")


def test_a_bad_plan_is_refused_before_any_job(api, world, three):
    client = api.as_(world.admin)
    a, b = three[0].name, three[1].name
    cases = [
        ({"control_plane": [], "workers": [a]}, "control_plane", "at least one control-plane host"),
        ({"control_plane": ["ghost"], "workers": []}, "control_plane", "No such host: ghost."),
        ({"control_plane": [a], "workers": [a, b]}, "workers", f"also control-plane hosts: {a}"),
        ({"control_plane": [a], "pod_cidr": "10.244.0.1/16"}, "pod_cidr", "CIDR notation"),
        ({"control_plane": [a], "service_cidr": "nonsense"}, "service_cidr", "CIDR notation"),
        ({"control_plane": [a], "pod_cidr": "10.0.0.0/8"}, "service_cidr", "overlaps the pod CIDR 10.0.0.0/8"),
        ({"workers": [a]}, "control_plane", "required"),
    ]
    for body, field, text in cases:
        response = client.post("/api/v1/hosts/preflight/", body, format="json")
        assert response.status_code == 400, body
        assert text in " ".join(response.json()["errors"][field]), (body, response.json())
    assert not Job.objects.exists()


def test_only_admins_run_or_read_preflights(api, world, three):
    result = _preflight(api, world.admin, three[:1], [])
    for user in (world.owner, world.developer, world.outsider):
        client = api.as_(user)
        body = {"control_plane": [three[0].name]}
        assert client.post("/api/v1/hosts/preflight/", body, format="json").status_code == 403
        assert client.get(f"/api/v1/hosts/preflight/{result['job']}/").status_code == 403
    assert Job.objects.count() == 1
    assert api.as_(world.admin).get("/api/v1/hosts/preflight/999999/").status_code == 404


def test_the_pages_plan_a_preflight_and_show_its_results(world, three, hosts):
    browser = Client()
    browser.login(username="admin", password=PASSWORD)
    page = browser.get("/hosts/preflight/").content.decode()
    assert 'name="control_plane"' in page and f'value="{three[0].name}"' in page
    response = browser.post("/hosts/preflight/", {"workers": [three[1].name], "pod_cidr": "x", "service_cidr": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert "A cluster needs at least one control-plane host." in page and "CIDR notation" in page
    assert not Job.objects.exists()
    hosts[0].set_meminfo(1 * GIB)
    try:
        response = browser.post(
            "/hosts/preflight/",
            {
                "control_plane": [three[0].name],
                "workers": [three[1].name, three[2].name],
                "pod_cidr": "10.244.0.0/16",
                "service_cidr": "10.96.0.0/12",
            },
        )
        job = Job.objects.get(kind="hosts.preflight")
        assert response.status_code == 302 and response["Location"] == f"/hosts/preflight/{job.pk}/"
        # While it runs, the results refresh themselves.
        part = browser.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
        assert "hx-trigger" in part and "<html" not in part
        job_run(job_id=job.pk)
    finally:
        hosts[0].restore_meminfo()
    page = browser.get(f"/hosts/preflight/{job.pk}/").content.decode()
    assert "hx-trigger" not in page
    assert "1 check failed" in page
    assert 'class="badge badge-failed" data-state="fail">fail</span>' in page
    assert "Only 1.0 GiB of memory: a control plane needs at least 1.7 GiB." in page
    assert "What to do:" in page and "or make it a worker." in page
    assert AuditEvent.objects.filter(action="host.preflight", target_name=str(job.pk)).exists()
    # Each host's page sums up its last preflight.
    page = browser.get(f"/hosts/{three[0].pk}/").content.decode()
    assert f'href="/hosts/preflight/{job.pk}/"' in page
    assert "Only 1.0 GiB of memory" in page and "Every check passed." not in page
    page = browser.get(f"/hosts/{three[1].pk}/").content.decode()
    assert "Last preflight" in page and "Only 1.0 GiB" not in page
    # The job's own page leads back to the results.
    page = browser.get(f"/jobs/{job.pk}/").content.decode()
    assert f'href="/hosts/preflight/{job.pk}/" id="job-results"' in page
    other = Client()
    other.login(username="owner", password=PASSWORD)
    assert other.get("/hosts/preflight/").status_code == 403
    assert other.get(f"/hosts/preflight/{job.pk}/").status_code == 403
