"""Starting a bootstrap: which hosts can become nodes, the cluster record and
the reserved hosts, the job's plan, the secrets kept out of sight; the pod
network manifest with the cluster's pod CIDR; the join token's Secret and the
CA pin; any manifest object applied through the API (devcluster)."""

import datetime
import json

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from clusters.bootstrap import kubeadm_config, network, services
from clusters.bootstrap.spec import ClusterSpec
from clusters.models import Cluster, ClusterBootstrap
from hosts import services as host_services
from hosts.models import Host
from hosts.preflight import Plan
from jobs.models import Job
from portal.errors import PortalError

pytestmark = pytest.mark.django_db

DEBIAN = {"os": {"id": "debian", "family": "debian", "version_id": "12"}}
FLANNEL = """
apiVersion: v1
kind: Namespace
metadata: {name: kube-flannel}
---
kind: ConfigMap
apiVersion: v1
metadata: {name: kube-flannel-cfg, namespace: kube-flannel}
data:
  net-conf.json: |
    {"Network": "10.244.0.0/16", "Backend": {"Type": "vxlan"}}
"""


@pytest.fixture
def hosts(jobs_in_process):
    credential = host_services.ssh_credential_create(name="pw", kind="password", password="pw-1")
    made = {}
    for n, name in enumerate(("cp-1", "node-1", "node-2"), start=11):
        made[name] = host_services.host_create(name=name, address=f"198.18.9.{n}", credential=credential)
    Host.objects.update(host_key="ssh-ed25519 AAAA", facts=DEBIAN)
    return made


def _spec(workers=("node-1", "node-2"), **changes):
    return ClusterSpec(plan=Plan(("cp-1",), tuple(workers)), **changes)


def test_it_records_the_cluster_reserves_the_hosts_and_plans_the_job(hosts, world):
    job = services.bootstrap_start(name="Lab", slug="lab", spec=_spec(), network_manifest=FLANNEL, user=world.admin)
    cluster = Cluster.objects.get(slug="lab")
    assert (cluster.provider, cluster.phase, cluster.desired_version) == ("kubeadm", "provisioning", "v1.37.2")
    assert dict(Host.objects.values_list("name", "role")) == {
        "cp-1": "control-plane",
        "node-1": "worker",
        "node-2": "worker",
    }
    assert set(Host.objects.values_list("cluster__slug", flat=True)) == {"lab"}
    bootstrap = ClusterBootstrap.objects.get(cluster=cluster)
    token = bootstrap.token.reveal()
    assert len(token) == 23 and token not in json.dumps(job.params) and token not in str(bootstrap.spec)
    assert job.kind == "clusters.bootstrap" and job.cluster == cluster
    planned = [(s.name, s.host) for s in Job.objects.get(pk=job.pk).steps.order_by("position", "host")]
    assert planned == [
        *[("prepare", h) for h in ("cp-1", "node-1", "node-2")],
        *[("runtime", h) for h in ("cp-1", "node-1", "node-2")],
        *[("packages", h) for h in ("cp-1", "node-1", "node-2")],
        ("init", "cp-1"),
        ("register", "cp-1"),
        ("network", ""),
        ("join", "node-1"),
        ("join", "node-2"),
        ("ready", ""),
    ]
    # A host in one cluster cannot be put in another.
    with pytest.raises(PortalError) as refused:
        services.bootstrap_start(name="Other", slug="other", spec=_spec(workers=()))
    assert "cp-1 is in cluster Lab already." in refused.value.field_errors["control_plane"]


def test_hosts_that_cannot_be_nodes_yet_are_refused_with_the_reason(hosts):
    Host.objects.filter(name="cp-1").update(host_key="")
    Host.objects.filter(name="node-1").update(facts={})
    Host.objects.filter(name="node-2").update(facts={"os": {"id": "alpine", "family": "other"}})
    with pytest.raises(PortalError) as refused:
        services.bootstrap_start(name="Lab", slug="lab", spec=_spec())
    errors = refused.value.field_errors
    assert errors["control_plane"] == ["cp-1 has no pinned host key: confirm its fingerprint first."]
    assert "no facts about node-1" in errors["workers"][0] and "node-2 runs an OS" in errors["workers"][1]
    assert not Cluster.objects.exists() and not Host.objects.exclude(cluster=None).exists()


def test_a_manifest_without_the_pod_network_setting_is_refused_before_anything_runs(hosts):
    with pytest.raises(PortalError) as refused:
        services.bootstrap_start(
            name="Lab", slug="lab", spec=_spec(), network_manifest="kind: Namespace\nmetadata: {name: x}\n"
        )
    assert "kube-flannel-cfg" in refused.value.field_errors["network_manifest"][0]
    assert not Cluster.objects.exists()


def test_the_preview_shows_each_hosts_commands_and_no_secret(hosts):
    shown = services.bootstrap_preview(spec=_spec())
    init = next(s for s in shown if s["step"] == "init")
    # The kubeadm files as they will be, with the token and the CA pin left out.
    config = init["actions"][0]["content"]
    assert init["host"] == "cp-1" and "token: <secret>" in config
    assert "podSubnet: 10.244.0.0/16" in config and "kubernetesVersion: v1.37.2" in config
    join = next(s for s in shown if s["step"] == "join" and s["host"] == "node-1")["actions"][0]["content"]
    assert "token: <secret>" in join and services.CA_HASH_LATER in join and "name: node-1" in join
    assert {s["host"] for s in shown if s["step"] == "join" and "actions" in s} == {"node-1", "node-2"}
    assert any("Ready" in s.get("portal", "") for s in shown)


def test_the_pod_network_manifest_gets_the_clusters_pod_cidr():
    objects = network.with_pod_cidr(network.documents(FLANNEL), "flannel", "10.32.0.0/16")
    conf = json.loads(objects[1]["data"]["net-conf.json"])
    assert conf == {"Network": "10.32.0.0/16", "Backend": {"Type": "vxlan"}}
    calico = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "calico-node", "namespace": "kube-system"},
        "spec": {"template": {"spec": {"containers": [{"name": "calico-node", "env": [{"name": "X", "value": "1"}]}]}}},
    }
    (patched,) = network.with_pod_cidr(network.documents(yaml.safe_dump(calico)), "calico", "10.32.0.0/16")
    assert patched["spec"]["template"]["spec"]["containers"][0]["env"] == [
        {"name": "X", "value": "1"},
        {"name": "CALICO_IPV4POOL_CIDR", "value": "10.32.0.0/16"},
    ]
    with pytest.raises(PortalError):
        network.documents("- just\n- a list\n")


def _ca_kubeconfig() -> tuple[str, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    import base64

    data = base64.b64encode(cert.public_bytes(serialization.Encoding.PEM)).decode()
    config = {
        "clusters": [
            {"name": "k", "cluster": {"server": "https://198.18.9.11:6443", "certificate-authority-data": data}}
        ]
    }
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return yaml.safe_dump(config), spki


def test_the_ca_pin_is_the_sha256_of_the_cas_public_key():
    import hashlib

    text, spki = _ca_kubeconfig()
    assert kubeadm_config.ca_hash_from_kubeconfig(text) == "sha256:" + hashlib.sha256(spki).hexdigest()


@pytest.mark.devcluster
def test_the_join_tokens_secret_and_any_manifest_object_apply_through_the_api(admin):
    token = kubeadm_config.bootstrap_token()
    expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=5)
    secret = kubeadm_config.bootstrap_token_secret(token, expires=expires)
    name = secret["metadata"]["name"]
    try:
        admin.apply_object(secret)
        again = admin.apply_object(secret)  # the same object: no change
        stored = admin.core.read_namespaced_secret(name, "kube-system")
        assert stored.type == "bootstrap.kubernetes.io/token"
        assert again["metadata"]["resourceVersion"] == stored.metadata.resource_version
        role = {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "portal-test-addon"},
            "rules": [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get"]}],
        }
        assert admin.apply_object(role)["metadata"]["name"] == "portal-test-addon"
    finally:
        admin.core.delete_namespaced_secret(name, "kube-system")
        admin.rbac.delete_cluster_role("portal-test-addon")


def test_the_api_previews_and_starts_a_bootstrap_for_admins_only(hosts, api, world):
    body = {
        "control_plane": ["cp-1"],
        "workers": ["node-1"],
        "image_repository": "registry.aliyuncs.com/google_containers",
    }
    admin = api.as_(world.admin)
    preview = admin.post("/api/v1/clusters/bootstrap/preview/", body, format="json")
    assert preview.status_code == 200, preview.json()
    assert [s["step"] for s in preview.json() if s.get("host") == "node-1"][:3] == ["prepare", "runtime", "packages"]
    bad = admin.post(
        "/api/v1/clusters/bootstrap/", {**body, "name": "Lab", "slug": "lab", "version": "1.37"}, format="json"
    )
    assert bad.status_code == 400 and "version" in bad.json()["errors"]
    assert not Cluster.objects.filter(slug="lab").exists()
    started = admin.post(
        "/api/v1/clusters/bootstrap/",
        {**body, "name": "Lab", "slug": "lab", "network_manifest": FLANNEL},
        format="json",
    )
    assert started.status_code == 202, started.json()
    assert started.json()["kind"] == "clusters.bootstrap"
    assert Cluster.objects.get(slug="lab").phase == "provisioning"
    for user in (world.owner, world.viewer):
        response = api.as_(user).post("/api/v1/clusters/bootstrap/preview/", body, format="json")
        assert response.status_code == 403
