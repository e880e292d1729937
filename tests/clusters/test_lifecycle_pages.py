"""A kubeadm cluster's hosts on its page: admins add free hosts as workers
and take a worker out (after typing its name); each lands on the job that
does it. Refused on the page, with the reason: nothing chosen, a host of
another cluster, the control plane, a second change while one runs. Nothing
runs here (jobs_in_process keeps the jobs from a broker)."""

import re
from html import unescape

import pytest
from django.test import Client

from clusters.bootstrap import services
from clusters.bootstrap.lifecycle import NODE_REMOVE_KIND
from clusters.bootstrap.spec import ClusterSpec
from clusters.models import Cluster
from hosts import services as host_services
from hosts.models import Host, SSHCredential
from hosts.preflight import Plan
from jobs.choices import JobStatus
from jobs.models import Job
from portal.models import AuditEvent
from tests.clusters.test_bootstrap_pages import DEBIAN, hosts  # noqa: F401 - a fixture: cp-1, node-1, node-2

pytestmark = pytest.mark.django_db

BUSY = "A job is changing this cluster's hosts already: wait for it to finish."


@pytest.fixture
def lab(hosts, world):  # noqa: F811 - the fixture imported above
    """Lab: cp-1 and the worker node-1, brought up (its job finished); node-2
    free; node-3 in the team's cluster Prod."""
    credential = SSHCredential.objects.get(name="pw")
    host_services.host_create(name="node-3", address="198.18.9.14", credential=credential)
    Host.objects.filter(name="node-3").update(host_key="ssh-ed25519 AAAA", facts=DEBIAN, cluster=world.cluster)
    job = services.bootstrap_start(
        name="Lab", slug="lab", spec=ClusterSpec(plan=Plan(("cp-1",), ("node-1",))), user=world.admin
    )
    Job.objects.filter(pk=job.pk).update(status=JobStatus.SUCCEEDED)
    return Cluster.objects.get(slug="lab")


@pytest.fixture
def admin(world):
    client = Client()
    client.force_login(world.admin)
    return client


def host_id(name: str) -> int:
    return Host.objects.get(name=name).pk


def remove_url(name: str) -> str:
    return f"/clusters/lab/hosts/{host_id(name)}/remove/"


def hosts_section(html: str) -> str:
    return re.search(r'<table class="objects" id="hosts">.*?</form>', html, re.S).group(0)


def offered(html: str) -> list[str]:
    form = re.search(r'<form[^>]*id="workers-add".*?</form>', html, re.S).group(0)
    return re.findall(r'<input type="checkbox" name="workers" value="([^"]+)"', form)


def removable(html: str) -> list[str]:
    return re.findall(r'<tr data-host="([^"]+)">(?:(?!</tr>).)*class="button danger host-remove"', html, re.S)


def field_errors(html: str) -> list[str]:
    field = re.search(r'<div class="field[^"]*" id="field-workers">.*?</form>', html, re.S).group(0)
    return [unescape(e) for e in re.findall(r'<p class="error" role="alert">(.*?)</p>', field, re.S)]


def page_error(html: str) -> list[str]:
    return [unescape(e) for e in re.findall(r'<p class="error" role="alert">(.*?)</p>', html, re.S)]


def form_errors(html: str) -> str:
    errors = re.search(r'<div class="errors" role="alert">(.*?)</div>', html, re.S)
    return unescape(re.sub(r"<[^>]+>", " ", errors.group(1))) if errors else ""


def test_admins_see_the_add_form_and_the_workers_remove_buttons(lab, admin):
    html = admin.get("/clusters/lab/").content.decode()
    section = hosts_section(html)
    # Only hosts in no cluster are offered; only the worker can be removed.
    assert offered(html) == ["node-2"]
    assert removable(section) == ["node-1"]
    assert f'href="{remove_url("node-1")}"' in section and f"/hosts/{host_id('cp-1')}/remove/" not in section
    assert 'action="/clusters/lab/workers/"' in section
    # A cluster the portal did not bring up has no hosts to change.
    prod = admin.get("/clusters/prod/").content.decode()
    assert 'id="workers-add"' not in prod and "host-remove" not in prod


def test_the_add_form_says_when_no_host_is_free(lab, admin):
    Host.objects.filter(name="node-2").update(cluster=lab)
    html = admin.get("/clusters/lab/").content.decode()
    assert offered(html) == [] and 'id="no-free-hosts"' in html


def test_no_one_but_admins_reaches_the_forms(lab, world):
    developer = Client()
    developer.force_login(world.developer)
    # Lab is no cluster of the team: it does not exist for them.
    assert developer.get("/clusters/lab/").status_code == 404
    assert developer.post("/clusters/lab/workers/", {"workers": ["node-2"]}).status_code == 404
    assert developer.get(remove_url("node-1")).status_code == 404
    # Their own cluster: seen, but its hosts are not theirs to change.
    Host.objects.filter(name="node-2").update(cluster=world.cluster, role="worker")
    assert 'id="workers-add"' not in developer.get("/clusters/prod/").content.decode()
    assert developer.post("/clusters/prod/workers/", {"workers": ["node-2"]}).status_code == 403
    prod_host = f"/clusters/prod/hosts/{host_id('node-2')}/remove/"
    assert developer.get(prod_host).status_code == 403
    assert developer.post(prod_host, {"confirm": "node-2"}).status_code == 403
    assert Client().get(remove_url("node-1")).status_code == 302  # to the login page
    assert not Job.objects.filter(kind=NODE_REMOVE_KIND).exists()
    assert Job.objects.filter(kind=services.KIND).count() == 1
    assert Host.objects.get(name="node-1").cluster == lab


def test_adding_a_free_host_reserves_it_and_lands_on_the_job(lab, admin):
    response = admin.post("/clusters/lab/workers/", {"workers": ["node-2"]})
    job = Job.objects.filter(kind=services.KIND).latest("pk")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.cluster == lab and job.status == JobStatus.PENDING
    assert ("join", "node-2") in set(job.steps.values_list("name", "host"))
    node = Host.objects.get(name="node-2")
    assert (node.cluster, node.role) == (lab, "worker")
    assert lab.bootstrap.spec["plan"]["workers"] == ["node-1", "node-2"]
    event = AuditEvent.objects.get(action="cluster.workers_add")
    assert (event.target_cluster, event.target_name, event.status_code) == ("lab", "lab", 302)
    page = admin.get(response["Location"]).content.decode()
    assert "Adding node-2 to Lab" in unescape(page)


def test_adding_nothing_or_a_host_of_another_cluster_is_refused_at_the_field(lab, admin):
    response = admin.post("/clusters/lab/workers/", {})
    assert response.status_code == 400
    assert field_errors(response.content.decode()) == ["Choose at least one host."]
    response = admin.post("/clusters/lab/workers/", {"workers": ["node-3"]})
    html = response.content.decode()
    assert response.status_code == 400
    assert field_errors(html) == ["node-3 is not a registered host outside every cluster (any more)."]
    # Still the cluster's page, its hosts and the choices as they are.
    assert '<span class="badge badge-progress" data-state="provisioning" id="cluster-phase">' in html and offered(
        html
    ) == ["node-2"]
    assert Job.objects.filter(kind=services.KIND).count() == 1
    assert Host.objects.get(name="node-3").cluster.slug == "prod"
    assert Host.objects.get(name="node-2").cluster is None


def test_a_cluster_the_portal_did_not_bring_up_refuses_with_the_reason(lab, admin):
    response = admin.post("/clusters/prod/workers/", {"workers": ["node-2"]})
    assert response.status_code == 400
    assert "Only a cluster the portal brought up with kubeadm" in form_errors(response.content.decode())
    assert Host.objects.get(name="node-2").cluster is None


def test_removing_a_worker_asks_for_its_name_first(lab, admin):
    url = remove_url("node-1")
    html = admin.get(url).content.decode()
    assert "<h1>Remove node-1 from Lab</h1>" in html and 'name="confirm"' in html
    crumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', html, re.S).group(0)
    assert re.findall(r'<a href="([^"]+)">', crumbs) == ["/", "/clusters/", "/clusters/lab/"]
    response = admin.post(url, {"confirm": "node-2"})
    assert response.status_code == 400 and page_error(response.content.decode()) == ["Type node-1 to confirm."]
    assert not Job.objects.filter(kind=NODE_REMOVE_KIND).exists()

    response = admin.post(url, {"confirm": "node-1"})
    job = Job.objects.get(kind=NODE_REMOVE_KIND)
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert (job.cluster, job.host.name, job.params["host"]) == (lab, "node-1", "node-1")
    assert [s.name for s in job.steps.order_by("position")] == ["drain", "reset", "delete"]
    # The host stays in the cluster until the job has reset it.
    assert Host.objects.get(name="node-1").cluster == lab
    assert AuditEvent.objects.filter(
        action="cluster.host_remove", target_cluster="lab", target_name="node-1", status_code=302
    ).exists()
    # A host outside the cluster has no such page.
    assert admin.get(f"/clusters/lab/hosts/{host_id('node-2')}/remove/").status_code == 404


def test_the_control_plane_has_no_remove_button_and_a_forged_request_is_refused(lab, admin):
    response = admin.post(remove_url("cp-1"), {"confirm": "cp-1"})
    assert response.status_code == 400
    assert page_error(response.content.decode()) == ["The control plane cannot be removed: it is the cluster."]
    assert not Job.objects.filter(kind=NODE_REMOVE_KIND).exists()
    assert Host.objects.get(name="cp-1").cluster == lab


def test_a_second_change_while_one_runs_is_refused_with_the_reason(lab, admin):
    assert admin.post("/clusters/lab/workers/", {"workers": ["node-2"]}).status_code == 302
    # The new job has not finished: neither another add nor a removal starts.
    Host.objects.filter(name="node-3").update(cluster=None)
    response = admin.post("/clusters/lab/workers/", {"workers": ["node-3"]})
    assert response.status_code == 409 and BUSY in form_errors(response.content.decode())
    response = admin.post(remove_url("node-1"), {"confirm": "node-1"})
    assert response.status_code == 409 and page_error(response.content.decode()) == [BUSY]
    assert Job.objects.filter(kind=services.KIND).count() == 2
    assert not Job.objects.filter(kind=NODE_REMOVE_KIND).exists()
    assert Host.objects.get(name="node-3").cluster is None
