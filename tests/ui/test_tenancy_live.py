"""Tenancy pages against the devcluster: a request provisioned by the
reconciler, live quota bars that move after a deploy, the team kubeconfig
download, and deletion as a job."""

import re
import uuid

import pytest
import yaml

from tests.support.wait import wait_for

pytestmark = [pytest.mark.devcluster, pytest.mark.django_db]


@pytest.fixture
def live(world, devcluster, portal_cleanup):
    from clusters.services.clusters import cluster_create
    from portal.teams import Team
    from rbac.models import QuotaPlan

    cluster = cluster_create(name="Dev", slug="dev", kubeconfig=yaml.safe_dump(devcluster.admin_kubeconfig_dict()))
    plan = QuotaPlan.objects.create(
        name="Tiny", slug="tiny", requests_cpu="1", requests_memory="1Gi", limits_cpu="1", limits_memory="1Gi", pods=4
    )
    Team.objects.filter(pk=world.team_a.pk).update(auto_approve_namespaces=True)
    world.team_a.allowed_clusters.add(cluster)  # a platform admin lets the team use it
    return cluster, plan


def quota_used(html: str, resource: str) -> str:
    match = re.search(rf'data-resource="{re.escape(resource)}".*?<span class="used">([^<]+)</span>', html, re.S)
    return match.group(1) if match else ""


def test_a_requested_namespace_is_provisioned_and_its_quota_moves(world, live, client_as):
    from rbac.models import TeamNamespace
    from rbac.reconcile import reconcile_cluster

    cluster, plan = live
    name = f"ui-{uuid.uuid4().hex[:6]}"
    owner = client_as("owner")
    response = owner.post(
        "/teams/namespaces/new/",
        {"team": world.team_a.pk, "cluster": cluster.pk, "plan": plan.pk, "name": name, "network_isolated": "on"},
    )
    assert response.status_code == 302
    namespace = TeamNamespace.objects.get(name=name)
    assert namespace.phase == "provisioning"
    reconcile_cluster(cluster=cluster)
    namespace.refresh_from_db()
    assert namespace.phase == "ready"

    page = owner.get(f"/teams/namespaces/{namespace.pk}/").content.decode()
    assert quota_used(page, "pods") == "0" and quota_used(page, "requests.cpu") == "0"
    resources = {"cpu_request": "100m", "cpu_limit": "100m", "memory_request": "64Mi", "memory_limit": "64Mi"}
    deploy = owner.post(
        f"/workloads/namespaces/{namespace.pk}/deployments/new/form/",
        {"name": "web", "image": "nginx:1.27", "replicas": "2", **resources, "create": "1"},
    )
    assert deploy.status_code == 302

    def page_with_two_pods():
        page = owner.get(f"/teams/namespaces/{namespace.pk}/").content.decode()
        return page if quota_used(page, "pods") == "2" else None

    page = wait_for(page_with_two_pods, 30, 0.5, what="two pods in the quota")
    assert quota_used(page, "requests.cpu") == "200m"
    assert page.count("web-") >= 2  # the pods, read live as the owner
    taken = owner.post(
        f"/workloads/namespaces/{namespace.pk}/deployments/new/form/",
        {"name": "web", "image": "nginx:1.27", "replicas": "1", "create": "1"},
    )
    assert taken.status_code == 409 and "already exists" in taken.content.decode()
    # A platform admin outside the team reads the same quota with the portal's credential.
    assert quota_used(client_as("admin").get(f"/teams/namespaces/{namespace.pk}/").content.decode(), "pods") == "2"

    # The team's kubeconfig: a download, with a token, and nothing stored. (The
    # world's namespace on a cluster without credentials would be refused.)
    TeamNamespace.objects.filter(pk=world.ns_a.pk).update(phase="deleted")
    download = client_as("developer").post("/teams/team-a/kubeconfig/")
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="kubeconfig-team-a.yaml"'
    assert download["Cache-Control"] == "no-store"
    config = yaml.safe_load(download.content)
    context = next(c for c in config["contexts"] if c["context"]["namespace"] == name)
    assert next(u for u in config["users"] if u["name"] == context["context"]["user"])["user"]["token"]

    # Deleting asks for the name, then runs the job.
    deleted = owner.post(f"/teams/namespaces/{namespace.pk}/delete/", {"confirm": name})
    assert deleted.status_code == 302 and deleted["Location"].startswith("/jobs/")
    namespace.refresh_from_db()
    assert namespace.phase == "terminating"
    from jobs.runner import job_run

    job_id = int(deleted["Location"].strip("/").split("/")[-1])
    assert job_run(job_id=job_id) == "succeeded"
