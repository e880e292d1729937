"""A cluster brought up by the portal on three test hosts with the real
kubeadm: preflight, plan, run; every host checked for what the plan put there;
the new cluster used through the portal; a rerun that changes nothing.

The hosts install their software from the test package mirror on the bridge
(testhosts/node_packages.py), given as the spec's mirrors, as a site would:
the real kubeadm and kubectl, and the STAND-IN kubelet, containerd and chrony
(a test host has no container runtime, no init system and shares the
machine's clock). The control plane's images, which containerd would pull,
are put on the control-plane host (kubenode.provide_images).

kubeadm preflight checks ignored, and only these (the spec's advanced field):
* SystemVerification: the runner's kernel answers it (cgroups v1 here, which
  kubelet >= 1.35 refuses); a test host shares that kernel.
* FileContent--proc-sys-net-ipv4-ip_forward: /proc/sys is read-only on a test
  host; `sysctl` there is a stand-in.

The jobs run in this process (jobs.runner.job_run), their hosts in threads
with their own database connections, hence transactional_db.
"""

from __future__ import annotations

import json

import pytest
import yaml
from django.test import Client

from clusters import kube
from clusters.bootstrap import plan
from clusters.models import Cluster, ClusterBootstrap
from devcluster.build import KUBE_VERSION
from hosts.models import Host
from jobs.choices import StepStatus
from jobs.runner import job_run
from testhosts import node_packages, packages
from tests.api.generic import assert_error_shape
from tests.hosts.conftest import register
from tests.support.bootstrap import job_succeeded, mirrored_hosts, register_by_key

pytestmark = [
    pytest.mark.usefixtures("jobs_in_process"),
    pytest.mark.testhosts,
    pytest.mark.django_db(transaction=True),
]

IGNORED_PREFLIGHT = ["SystemVerification", "FileContent--proc-sys-net-ipv4-ip_forward"]
IMAGE_REPOSITORY = "registry.aliyuncs.com/google_containers"
POD_CIDR, SERVICE_CIDR = "10.244.0.0/16", "10.96.0.0/12"
FLANNEL = node_packages.flannel_manifest()


def _preflight(client, names, workers) -> dict:
    body = {"control_plane": names, "workers": workers, "pod_cidr": POD_CIDR, "service_cidr": SERVICE_CIDR}
    response = client.post("/api/v1/hosts/preflight/", body, format="json")
    assert response.status_code == 202, response.content
    job_run(job_id=response.json()["id"])
    return client.get(f"/api/v1/hosts/preflight/{response.json()['id']}/").json()


def _node_roles(cluster) -> dict:
    with kube.client_for(cluster) as client:
        nodes = client.core.list_node().items
    return {
        node.metadata.name: (
            sorted(k.split("/")[1] for k in node.metadata.labels if k.startswith("node-role.kubernetes.io/")),
            next(c.status for c in node.status.conditions if c.type == "Ready"),
        )
        for node in nodes
    }


@pytest.fixture
def site(testhosts, kube_packages):
    """Four fresh hosts on one bridge that take their packages from the
    mirror; the first three registered in the portal the three ways in, the
    fourth kept for later."""
    run, mirror = mirrored_hosts(testhosts, 4)
    return run, mirror, register(run[:3])


def test_the_portal_brings_up_a_cluster_that_teams_can_use(api, world, site):
    run, mirror, records = site
    control, workers = records[0].name, [r.name for r in records[1:]]
    admin = api.as_(world.admin)

    preflight = _preflight(admin, [control], workers)
    assert preflight["passed"] is True, preflight
    spec = {
        "control_plane": [control],
        "workers": workers,
        "pod_cidr": POD_CIDR,
        "service_cidr": SERVICE_CIDR,
        "image_repository": IMAGE_REPOSITORY,
        "packages_mirror": mirror.kube_url(KUBE_VERSION),
        "runtime_mirror": mirror.runtime_url,
        "network_addon": "flannel",
        "ignore_preflight_errors": IGNORED_PREFLIGHT,
    }
    preview = admin.post("/api/v1/clusters/bootstrap/preview/", spec, format="json")
    assert preview.status_code == 200, preview.content
    assert [s["step"] for s in preview.json() if s["host"] == control][:4] == ["prepare", "runtime", "packages", "init"]

    started = admin.post(
        "/api/v1/clusters/bootstrap/",
        {**spec, "name": "Lab", "slug": "lab", "network_manifest": FLANNEL},
        format="json",
    )
    assert started.status_code == 202, started.content
    job = job_succeeded(started.json()["id"])
    cluster = Cluster.objects.get(slug="lab")

    # Three Ready nodes with their roles, as the API server sees them.
    assert _node_roles(cluster) == {
        control: (["control-plane"], "True"),
        workers[0]: (["worker"], "True"),
        workers[1]: (["worker"], "True"),
    }
    assert cluster.phase == "ready" and cluster.kubeconfig and cluster.provider == "kubeadm"
    assert sorted(cluster.nodes.values_list("name", flat=True)) == sorted([control, *workers])
    assert set(Host.objects.filter(cluster=cluster).values_list("name", "role")) == {
        (control, "control-plane"),
        *((w, "worker") for w in workers),
    }
    with kube.client_for(cluster) as client:
        config = yaml.safe_load(
            client.core.read_namespaced_config_map("kubeadm-config", "kube-system").data["ClusterConfiguration"]
        )
        flannel = client.core.read_namespaced_config_map("kube-flannel-cfg", "kube-flannel").data["net-conf.json"]
    assert config["kubernetesVersion"] == KUBE_VERSION
    assert config["imageRepository"] == IMAGE_REPOSITORY
    assert config["networking"] == {"podSubnet": POD_CIDR, "serviceSubnet": SERVICE_CIDR, "dnsDomain": "cluster.local"}
    assert json.loads(flannel)["Network"] == POD_CIDR

    # On every host: what the plan put there.
    block = "\n".join(plan.hosts_block([plan.HostInfo(r.name, r.address, "debian") for r in records]))
    codename = run[0].run(". /etc/os-release && echo $VERSION_CODENAME").strip()
    for host in run[:3]:
        assert block in host.read_file("/etc/hosts")
        assert host.read_file("/etc/modules-load.d/kubernetes.conf") == "overlay\nbr_netfilter\n"
        assert "net.ipv4.ip_forward = 1" in host.read_file("/etc/sysctl.d/99-kubernetes.conf")
        assert not [line for line in host.read_file("/etc/fstab").splitlines() if " swap " in line and line[:1] != "#"]
        containerd = host.read_file("/etc/containerd/config.toml")
        assert "SystemdCgroup = true" in containerd and f'"{IMAGE_REPOSITORY}/pause:3.10.1"' in containerd
        assert host.read_file(plan.APT_SOURCE) == (
            f"deb [signed-by={plan.APT_KEYRING}] {mirror.kube_url(KUBE_VERSION)} /\n"
        )
        assert f"{mirror.runtime_url} {codename} stable" in host.read_file(plan.DOCKER_SOURCE)
        assert host.run("apt-mark showhold").split() == ["kubeadm", "kubectl", "kubelet"]
        version = packages.deb_version(KUBE_VERSION)
        assert host.run("dpkg-query -W -f '${Version}' kubeadm") == version
        assert host.run("systemctl is-enabled chrony").strip() == "enabled"
        # The kubeadm files with the token were removed once used.
        assert not host.path(plan.KUBEADM_INIT_FILE).exists() and not host.path(plan.KUBEADM_JOIN_FILE).exists()
    # Every package came from the mirror, asked for by the hosts alone.
    assert {client for client, _path, _status in mirror.requests} == {r.address for r in records}
    # The token is nowhere in the log.
    token = ClusterBootstrap.objects.get(cluster=cluster).token.reveal()
    assert token not in "\n".join(job.events.values_list("text", flat=True))

    _team_uses(world, cluster)
    _rerun_changes_nothing(admin, cluster, run[:3])
    _add_and_remove_a_worker(admin, cluster, run, records)


def _team_uses(world, cluster):
    """A team namespace on the new cluster and a Deployment in it, through the portal."""
    from portal.teams import Team
    from rbac.models import QuotaPlan, TeamNamespace
    from rbac.reconcile import reconcile_cluster
    from tests.support.wait import wait_for

    quota = QuotaPlan.objects.create(
        name="Tiny", slug="tiny", requests_cpu="1", requests_memory="1Gi", limits_cpu="1", limits_memory="1Gi", pods=4
    )
    Team.objects.filter(pk=world.team_a.pk).update(auto_approve_namespaces=True)
    world.team_a.allowed_clusters.add(cluster)
    owner = Client()
    owner.force_login(world.owner)
    response = owner.post(
        "/teams/namespaces/new/", {"team": world.team_a.pk, "cluster": cluster.pk, "plan": quota.pk, "name": "lab-web"}
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    reconcile_cluster(cluster=cluster)
    namespace = TeamNamespace.objects.get(name="lab-web")
    assert namespace.phase == "ready"
    resources = {"cpu_request": "100m", "cpu_limit": "100m", "memory_request": "64Mi", "memory_limit": "64Mi"}
    deploy = owner.post(
        f"/workloads/namespaces/{namespace.pk}/deployments/new/form/",
        {"name": "web", "image": "nginx:1.27", "replicas": "2", **resources, "create": "1"},
    )
    assert deploy.status_code == 302, deploy.content.decode()[-2000:]

    def running():
        with kube.client_for(cluster) as client:
            pods = client.core.list_namespaced_pod("lab-web").items
        placed = {p.spec.node_name for p in pods if p.status.phase == "Running"}
        return placed if len(pods) == 2 and None not in placed and len(placed) >= 1 else None

    placed = wait_for(running, 120, 1, what="the Deployment's two Pods Running on the new cluster")
    # The control plane keeps its taint: the team's Pods run on workers.
    assert placed <= {n for n, (roles, _ready) in _node_roles(cluster).items() if roles == ["worker"]}


def _rerun_changes_nothing(admin, cluster, run):
    """The same bootstrap again: every step checks first and changes nothing."""
    before = {
        host.name: host.run("stat -c '%n %Y' /etc/containerd/config.toml /etc/kubernetes/kubelet.conf") for host in run
    }
    response = admin.post(f"/api/v1/clusters/{cluster.slug}/bootstrap/rerun/", format="json")
    assert response.status_code == 202, response.content
    again = job_succeeded(response.json()["id"])
    statuses = list(again.steps.values_list("name", "host", "status"))
    host_steps = again.steps.filter(name__in=["prepare", "runtime", "packages", "init", "join"])
    assert set(host_steps.values_list("status", flat=True)) == {StepStatus.SKIPPED}, statuses
    after = {
        host.name: host.run("stat -c '%n %Y' /etc/containerd/config.toml /etc/kubernetes/kubelet.conf") for host in run
    }
    assert after == before
    # Nor did it write the kubeadm files with the token again.
    for host in run:
        assert not host.path(plan.KUBEADM_INIT_FILE).exists() and not host.path(plan.KUBEADM_JOIN_FILE).exists()


def _add_and_remove_a_worker(admin, cluster, run, records):
    """A fourth host joins as a worker with a new token; taken out again, its
    Node is gone, kubeadm reset ran on it and the host is free."""
    fourth = run[3]
    register_by_key(fourth)
    facts = admin.post("/api/v1/hosts/facts/", {"hosts": [fourth.name]}, format="json")
    assert facts.status_code == 202, facts.content
    job_succeeded(facts.json()["id"])
    token_before = ClusterBootstrap.objects.get(cluster=cluster).token.reveal()

    # Refused: the control plane cannot be removed; a host already in the cluster is not added twice.
    refused = admin.post(f"/api/v1/clusters/{cluster.slug}/hosts/remove/", {"host": records[0].name}, format="json")
    assert "control plane" in assert_error_shape(refused, 400)["detail"]
    twice = admin.post(f"/api/v1/clusters/{cluster.slug}/workers/", {"workers": [records[1].name]}, format="json")
    assert "in the cluster already" in assert_error_shape(twice, 400)["errors"]["workers"][0]

    added = admin.post(f"/api/v1/clusters/{cluster.slug}/workers/", {"workers": [fourth.name]}, format="json")
    assert added.status_code == 202, added.content
    job = job_succeeded(added.json()["id"])
    assert ClusterBootstrap.objects.get(cluster=cluster).token.reveal() != token_before
    roles = _node_roles(cluster)
    assert roles[fourth.name] == (["worker"], "True") and len(roles) == 4
    # The others were only given the new hosts block; the new host did every step.
    joined = dict(job.steps.filter(name="join").values_list("host", "status"))
    assert joined[fourth.name] == StepStatus.SUCCEEDED
    assert {joined[r.name] for r in records[1:]} == {StepStatus.SKIPPED}
    for host in run:
        assert f"{fourth.address} {fourth.name}" in host.read_file("/etc/hosts")
    assert Host.objects.get(name=fourth.name).cluster == cluster

    removed = admin.post(f"/api/v1/clusters/{cluster.slug}/hosts/remove/", {"host": fourth.name}, format="json")
    assert removed.status_code == 202, removed.content
    removal = job_succeeded(removed.json()["id"])
    assert [(st.name, st.status) for st in removal.steps.order_by("position")] == [
        ("drain", StepStatus.SUCCEEDED),
        ("reset", StepStatus.SUCCEEDED),
        ("delete", StepStatus.SUCCEEDED),
    ]
    assert "kubeadm reset" in "\n".join(removal.events.values_list("text", flat=True))
    assert fourth.name not in _node_roles(cluster)
    assert not fourth.path("/etc/kubernetes/kubelet.conf").exists()
    assert fourth.run("systemctl is-active kubelet", check=False).strip() == "inactive"
    freed = Host.objects.get(name=fourth.name)
    assert freed.cluster is None and freed.role == ""
    assert fourth.name not in ClusterBootstrap.objects.get(cluster=cluster).spec["plan"]["workers"]
    assert not cluster.nodes.filter(name=fourth.name).exists()
