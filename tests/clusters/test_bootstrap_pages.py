"""The bring-up wizard's pages: admins only; the plan (a dry run) per step and
host; refused input answered next to its field with everything typed kept;
the preflight of the same hosts; the start that records the cluster and
lands on its job; reserved slugs; the cluster page's hosts."""

import re
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from clusters.bootstrap import plan
from clusters.models import Cluster, ClusterBootstrap
from hosts import services as host_services
from hosts.models import Host
from jobs.models import Job
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = "/clusters/bootstrap/"
DEBIAN = {"os": {"id": "debian", "family": "debian", "version_id": "12"}}
FLANNEL = """apiVersion: v1
kind: ConfigMap
metadata: {name: kube-flannel-cfg, namespace: kube-flannel}
data:
  net-conf.json: |
    {"Network": "10.244.0.0/16", "Backend": {"Type": "vxlan"}}
"""


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def hosts(jobs_in_process):
    credential = host_services.ssh_credential_create(name="pw", kind="password", password="pw-1")
    for n, name in enumerate(("cp-1", "node-1", "node-2"), start=11):
        host_services.host_create(name=name, address=f"198.18.9.{n}", credential=credential)
    Host.objects.update(host_key="ssh-ed25519 AAAA", facts=DEBIAN)


@pytest.fixture
def admin(world):
    client = Client()
    client.force_login(world.admin)
    return client


def spec(**changes):
    return {
        "name": "Lab",
        "slug": "lab",
        "control_plane": "cp-1",
        "workers": ["node-1", "node-2"],
        "version": "v1.37.2",
        "pod_cidr": "10.244.0.0/16",
        "service_cidr": "10.96.0.0/12",
        "network_addon": "flannel",
        "step": "plan",
        **changes,
    }


def field_errors(html: str, name: str) -> list[str]:
    # Up to the next field: a checkbox list has <div>s of its own.
    block = re.search(rf'<div class="field[^"]*" id="field-{name}">(.*?)(?=<div class="field|</details>)', html, re.S)
    assert block, f"no field {name}"
    return [unescape(e) for e in re.findall(r'<p class="error" role="alert">(.*?)</p>', block.group(1), re.S)]


def input_value(html: str, name: str) -> str | None:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    value = re.search(r'value="([^"]*)"', tag.group(0)) if tag else None
    return unescape(value.group(1)) if value else None


def checked(html: str, name: str) -> set[str]:
    tags = re.findall(rf'<input[^>]*name="{name}"[^>]*>', html)
    return {re.search(r'value="([^"]*)"', t).group(1) for t in tags if " checked" in t}


def selected(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="([^"]*)"[^>]*selected', select)


def test_admins_reach_the_wizard_from_the_cluster_list_and_no_one_else(world, hosts, admin, make_user):
    assert 'href="/clusters/bootstrap/"' in admin.get("/clusters/").content.decode()
    html = admin.get(URL).content.decode()
    assert input_value(html, "version") == "v1.37.2"
    assert input_value(html, "pod_cidr") == "10.244.0.0/16"
    assert input_value(html, "service_cidr") == "10.96.0.0/12"
    assert re.findall(
        r'<option value="([^"]+)"', re.search(r'<select name="control_plane".*?</select>', html, re.S)[0]
    ) == [
        "cp-1",
        "node-1",
        "node-2",
    ]
    # A host in a cluster already is not offered.
    Host.objects.filter(name="node-2").update(cluster=world.cluster)
    assert 'value="node-2"' not in admin.get(URL).content.decode()
    developer = Client()
    developer.force_login(world.developer)
    assert developer.get(URL).status_code == 403
    assert developer.post(URL, spec(step="start")).status_code == 403
    assert 'href="/clusters/bootstrap/"' not in developer.get("/clusters/").content.decode()
    assert Client().get(URL).status_code == 302
    assert not Job.objects.exists()


def test_the_plan_shows_each_step_per_host_with_its_checks_files_and_portal_work(hosts, admin):
    response = admin.post(URL, spec(image_repository="registry.example.test/k8s"))
    html = response.content.decode()
    assert response.status_code == 200, re.findall(r'class="error"[^>]*>(.*?)<', html)
    steps = re.findall(r'<li class="planstep" id="plan-step-\d+" data-step="([^"]+)"', html)
    assert steps[:4] == ["prepare", "runtime", "packages", "init"]
    assert "join" in steps and steps.index("join") > steps.index("network")
    prepare = re.search(r'data-step="prepare".*?</details></li>', html, re.S).group(0)
    assert re.findall(r'<details class="planhost" data-host="([^"]+)"', prepare) == ["cp-1", "node-1", "node-2"]
    assert "swapoff -a" in prepare and '<pre class="unless">' in prepare
    init = unescape(re.search(r'data-step="init".*?</details></li>', html, re.S).group(0))
    assert plan.KUBEADM_INIT_FILE in init and "kubeadm init --config" in init
    assert "<secret>" in init  # the kubeadm configuration carries the bootstrap token
    assert "Secrets are shown as &lt;secret&gt;." in html
    runtime = unescape(re.search(r'data-step="runtime".*?</details></li>', html, re.S).group(0))
    assert f"registry.example.test/k8s/pause:{plan.PAUSE_VERSION}" in runtime
    assert 'class="planportal"' in html
    # A dry run: nothing recorded, nothing started.
    assert not Cluster.objects.filter(slug="lab").exists() and not Job.objects.exists()
    assert AuditEvent.objects.filter(action="cluster.bootstrap_plan", status_code=200).exists()


def test_refused_input_is_answered_next_to_its_field_and_nothing_typed_is_lost(hosts, admin):
    response = admin.post(
        URL,
        spec(
            service_cidr="10.244.0.0/20",
            image_repository="registry.example.test/k8s",
            advertise_address="127.0.0.1",
            ignore_preflight_errors="Swap, NumCPU",
        ),
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert field_errors(html, "service_cidr") == ["The service CIDR 10.244.0.0/20 overlaps the pod CIDR 10.244.0.0/16."]
    assert "loopback" in field_errors(html, "advertise_address")[0]
    assert field_errors(html, "pod_cidr") == []
    assert (input_value(html, "name"), input_value(html, "slug")) == ("Lab", "lab")
    assert selected(html, "control_plane") == ["cp-1"] and checked(html, "workers") == {"node-1", "node-2"}
    assert input_value(html, "service_cidr") == "10.244.0.0/20"
    assert input_value(html, "image_repository") == "registry.example.test/k8s"
    assert input_value(html, "ignore_preflight_errors") == "Swap, NumCPU"
    assert '<details class="advanced" id="advanced" open>' in html
    assert 'id="bootstrap-plan"' not in html


def test_a_host_the_bootstrap_cannot_use_is_named_at_the_control_plane_field(hosts, admin):
    Host.objects.filter(name="cp-1").update(facts={"os": {"family": "suse"}})
    html = admin.post(URL, spec()).content.decode()
    assert field_errors(html, "control_plane") == [
        "cp-1 runs an OS the bootstrap does not support (Ubuntu, Debian or RHEL-family)."
    ]


def test_htmx_gets_the_wizard_alone_and_refusals_still_swap(hosts, admin):
    response = admin.post(URL, spec(pod_cidr="10.244.0.1/16"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200  # htmx swaps 2xx answers only
    assert html.startswith('<div id="bootstrap-wizard">') and "<html" not in html
    assert field_errors(html, "pod_cidr")[0].startswith("Enter a network in CIDR notation")


def test_the_preflight_step_starts_the_hosts_preflight_for_the_same_plan(hosts, admin):
    html = admin.post(URL, spec(step="preflight", pod_cidr="10.32.0.0/16")).content.decode()
    job = Job.objects.get(kind="hosts.preflight")
    assert job.params == {
        "control_plane": ["cp-1"],
        "workers": ["node-1", "node-2"],
        "pod_cidr": "10.32.0.0/16",
        "service_cidr": "10.96.0.0/12",
    }
    assert f'hx-get="/hosts/preflight/{job.pk}/"' in html and 'id="preflight-verdict"' in html
    assert input_value(html, "preflight_job") == str(job.pk)
    # The next step keeps showing it.
    html = admin.post(URL, spec(preflight_job=job.pk)).content.decode()
    assert 'id="bootstrap-plan"' in html and 'id="preflight-results"' in html
    assert AuditEvent.objects.filter(action="host.preflight", target_name=str(job.pk)).exists()


def test_start_records_the_cluster_reserves_the_hosts_and_lands_on_the_job(hosts, admin):
    response = admin.post(URL, spec(step="start", version="v1.37.1"))
    job = Job.objects.get(kind="clusters.bootstrap")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    cluster = Cluster.objects.get(slug="lab")
    assert job.cluster == cluster and cluster.desired_version == "v1.37.1"
    assert dict(Host.objects.values_list("name", "role")) == {
        "cp-1": "control-plane",
        "node-1": "worker",
        "node-2": "worker",
    }
    event = AuditEvent.objects.get(action="cluster.bootstrap")
    assert (event.target_cluster, event.target_name, event.status_code) == ("lab", "lab", 302)
    # The hosts are taken now: a second cluster on them is refused.
    html = admin.post(URL, spec(step="start", slug="lab-2", name="Lab 2")).content.decode()
    assert field_errors(html, "control_plane") == ["cp-1 is not a registered host outside every cluster (any more)."]
    [refused] = field_errors(html, "workers")  # the first one Django finds, of a set
    assert refused in {f"{h} is not a registered host outside every cluster (any more)." for h in ("node-1", "node-2")}


def test_start_needs_a_name_and_a_free_slug(hosts, admin, world):
    html = admin.post(URL, spec(step="start", name="", slug="")).content.decode()
    assert field_errors(html, "name") == ["A new cluster needs a name and a slug."]
    assert field_errors(html, "slug") == ["A new cluster needs a name and a slug."]
    html = admin.post(URL, spec(step="start", slug="prod")).content.decode()
    assert field_errors(html, "slug") == ["Cluster with this Slug already exists."]
    assert not Job.objects.filter(kind="clusters.bootstrap").exists()
    assert not Host.objects.filter(cluster__isnull=False).exists()


@pytest.mark.parametrize("slug", ["new", "nodes", "bootstrap"])
def test_slugs_that_are_pages_are_refused(hosts, admin, slug):
    with pytest.raises(ValidationError) as refused:
        Cluster(name="X", slug=slug).full_clean()
    assert refused.value.message_dict["slug"] == [f"“{slug}” is taken by a page of the portal; choose another slug."]
    response = admin.post(URL, spec(step="start", slug=slug))
    assert response.status_code == 400
    assert field_errors(response.content.decode(), "slug") == refused.value.message_dict["slug"]
    # The import page too, before it tries to connect.
    response = admin.post("/clusters/new/", {"name": "X", "slug": slug, "kubeconfig": "apiVersion: v1"})
    assert response.status_code == 400
    assert (
        re.search(r'name="slug".*?<p class="error" role="alert">(.*?)</p>', response.content.decode(), re.S).group(1)
        == f"“{slug}” is taken by a page of the portal; choose another slug."
    )
    assert not Cluster.objects.filter(slug=slug).exists()


def test_an_uploaded_manifest_is_kept_between_steps_and_started_with(hosts, admin):
    upload = SimpleUploadedFile("kube-flannel.yml", FLANNEL.encode())
    html = admin.post(URL, {**spec(), "network_manifest_file": upload}).content.decode()
    digest = input_value(html, "network_manifest_kept")
    assert digest and 'id="manifest-kept"' in html and 'id="bootstrap-plan"' in html
    # A refused step keeps it too.
    for refused in ({"pod_cidr": "10.244.0.0/33"}, {"slug": "not a slug"}):  # by the spec; by the form
        html = admin.post(URL, spec(network_manifest_kept=digest, **refused)).content.decode()
        assert field_errors(html, next(iter(refused))) and input_value(html, "network_manifest_kept") == digest
    admin.post(URL, spec(step="start", network_manifest_kept=digest))
    assert ClusterBootstrap.objects.get(cluster__slug="lab").network_manifest == FLANNEL


def test_a_manifest_that_is_not_text_too_large_or_not_a_manifest_is_refused_at_the_upload_field(hosts, admin):
    upload = SimpleUploadedFile("kube-flannel.yml", b"\xff\xfe\x00binary")
    html = admin.post(URL, {**spec(step="start"), "network_manifest_file": upload}).content.decode()
    assert field_errors(html, "network_manifest_file") == [
        "The file is not UTF-8 text: upload the YAML manifest itself."
    ]
    upload = SimpleUploadedFile("kube-flannel.yml", b"#" * (5 * 1024 * 1024 + 1))
    html = admin.post(URL, {**spec(step="start"), "network_manifest_file": upload}).content.decode()
    assert field_errors(html, "network_manifest_file") == ["The file is larger than 5 MiB."]
    upload = SimpleUploadedFile("kube-flannel.yml", b"kind: [unclosed")
    html = admin.post(URL, {**spec(step="start"), "network_manifest_file": upload}).content.decode()
    assert len(field_errors(html, "network_manifest_file")) == 1
    assert not Cluster.objects.filter(slug="lab").exists()


def test_the_cluster_page_lists_its_hosts_and_its_bring_up_job_to_admins(hosts, admin, world):
    admin.post(URL, spec(step="start"))
    job = Job.objects.get(kind="clusters.bootstrap")
    html = admin.get("/clusters/lab/").content.decode()
    table = re.search(r'<table class="objects" id="hosts">.*?</table>', html, re.S).group(0)
    rows = re.findall(r'<a href="/hosts/(\d+)/">([^<]+)</a></td><td>([^<]+)</td><td><span[^>]*>([^<]+)</span>', table)
    assert [(name, address, role) for _pk, name, address, role in rows] == [
        ("cp-1", "198.18.9.11", "Control plane"),
        ("node-1", "198.18.9.12", "Worker"),
        ("node-2", "198.18.9.13", "Worker"),
    ]
    assert f'href="/jobs/{job.pk}/"' in re.search(r'<p id="bootstrap-job">.*?</p>', html, re.S).group(0)
    # Team members see the cluster they use, not the platform's hosts.
    Host.objects.filter(name="node-2").update(cluster=world.cluster)
    developer = Client()
    developer.force_login(world.developer)
    page = developer.get("/clusters/prod/").content.decode()
    assert 'id="hosts"' not in page and "node-2" not in page
    assert "node-2" in admin.get("/clusters/prod/").content.decode()
