"""Which namespaces a team can reach: never a reserved one, never one that
exists and is not its own, never on a cluster it cannot see; and the
reconciler and the deletion job keep their hands off what the portal did not
create. Through the REST API, against the devcluster."""

import pytest

from clusters import kube
from clusters.models import Cluster
from jobs.choices import JobStatus
from jobs.runner import job_run
from rbac import provisioning as p
from rbac import tenancy as lifecycle
from rbac.choices import NamespacePhase
from rbac.models import TeamNamespace
from rbac.reconcile import reconcile_cluster
from tests.rbac.conftest import make_team_namespace

pytestmark = pytest.mark.devcluster

URL = "/api/v1/namespaces/"


def _ask(api, user, name, cluster="dev"):
    return api.as_(user).post(URL, {"team": "team-a", "cluster": cluster, "name": name, "plan": "small"}, format="json")


@pytest.fixture
def foreign_namespace(platform_client, unique):
    """A namespace someone else made in the cluster (an Argo CD, a Vault)."""
    name = unique("vault")
    platform_client.core.create_namespace({"metadata": {"name": name, "labels": {"owner": "security"}}})
    yield name
    try:
        platform_client.core.delete_namespace(name)
    except kube.KubeNotFound:
        pass


@pytest.mark.parametrize("name", ["kube-system", "default", "kube-node-lease", "kube-portal"])
def test_a_maintainer_cannot_ask_for_a_reserved_namespace(tenancy, api, name):
    answer = _ask(api, tenancy.maintainer, name)
    assert answer.status_code == 400, answer.content
    assert "reserved" in answer.json()["errors"]["name"][0]
    assert not TeamNamespace.objects.filter(name=name).exists()


def test_a_namespace_that_exists_in_the_cluster_cannot_be_claimed(tenancy, api, foreign_namespace):
    answer = _ask(api, tenancy.maintainer, foreign_namespace)
    assert answer.status_code == 400, answer.content
    assert "already exists" in answer.json()["errors"]["name"][0]
    # Not even a platform admin places a team into someone else's namespace.
    answer = _ask(api, tenancy.admin, foreign_namespace)
    assert answer.status_code == 400 and "already exists" in answer.json()["errors"]["name"][0]
    assert not TeamNamespace.objects.filter(name=foreign_namespace).exists()


def test_the_reconciler_never_adopts_a_namespace_it_did_not_create(tenancy, platform_client, foreign_namespace):
    # A record that names it anyway (the namespace was made after the request was checked).
    tn = make_team_namespace(tenancy, tenancy.team_a, foreign_namespace)
    mine = make_team_namespace(tenancy, tenancy.team_a, foreign_namespace.replace("vault", "mine"))

    report = reconcile_cluster(cluster=tenancy.cluster)

    key = f"Namespace//{foreign_namespace}"
    assert "not created by the portal" in report.failed[key]
    tn.refresh_from_db()
    assert tn.phase == NamespacePhase.FAILED
    (failed,) = tn.conditions[0]["failed"]
    # Stored with its message id so a page reads it in the reader's language.
    assert failed["object"] == key and failed["message"] == report.failed[key]
    assert failed["reason"] == "NotOwned" and failed["params"] == {"name": foreign_namespace}
    # Nothing of the team's was written into it, nothing of its own was changed.
    assert platform_client.rbac.list_namespaced_role_binding(foreign_namespace).items == []
    assert platform_client.networking.list_namespaced_network_policy(foreign_namespace).items == []
    labels = platform_client.core.read_namespace(foreign_namespace).metadata.labels
    assert p.TEAM_LABEL not in labels and labels["owner"] == "security"
    # One namespace's refusal does not stop the others.
    mine.refresh_from_db()
    assert mine.phase == NamespacePhase.READY, mine.conditions
    platform_client.core.delete_namespace(mine.name)

    # Terminating the record closes it and leaves the namespace alone.
    job = lifecycle.team_namespace_delete_start(namespace=tn, user=tenancy.admin, confirm=tn.name)
    assert job_run(job_id=job.pk) == JobStatus.SUCCEEDED
    tn.refresh_from_db()
    assert tn.phase == NamespacePhase.DELETED
    namespace = platform_client.core.read_namespace(foreign_namespace)
    assert namespace.status.phase == "Active" and namespace.metadata.deletion_timestamp is None
    assert "left untouched" in " ".join(job.events.values_list("text", flat=True))


def test_a_team_without_an_allowed_list_asks_only_on_clusters_it_can_see(tenancy, api, unique):
    tenancy.team_a.allowed_clusters.clear()
    hidden = Cluster.objects.create(name="Hidden", slug="hidden")
    assert api.as_(tenancy.maintainer).get("/api/v1/clusters/hidden/").status_code == 404
    answer = _ask(api, tenancy.maintainer, unique("a-sneak"), cluster="hidden")
    assert answer.status_code == 400 and "cluster" in answer.json()["errors"], answer.content
    assert not TeamNamespace.objects.filter(cluster=hidden).exists()
    # Once an admin lists the cluster for the team, the team sees it and may ask there.
    tenancy.team_a.allowed_clusters.set([hidden])
    assert api.as_(tenancy.maintainer).get("/api/v1/clusters/hidden/").status_code == 200
    assert _ask(api, tenancy.maintainer, unique("a-fine"), cluster="hidden").status_code == 201


def test_the_namespace_page_lists_each_object_that_failed(tenancy, foreign_namespace, client):
    tn = make_team_namespace(tenancy, tenancy.team_a, foreign_namespace)
    reconcile_cluster(cluster=tenancy.cluster)
    client.force_login(tenancy.owner)
    page = client.get(f"/teams/namespaces/{tn.pk}/").content.decode()
    assert f"<code>Namespace//{foreign_namespace}</code>" in page
    assert "was not created by the portal for this team namespace" in page


def test_approval_checks_the_name_again(tenancy, api, platform_client, unique):
    from portal.teams import Team

    Team.objects.filter(pk=tenancy.team_a.pk).update(auto_approve_namespaces=False)
    name = unique("late")
    answer = _ask(api, tenancy.maintainer, name)
    assert answer.status_code == 201 and answer.json()["phase"] == NamespacePhase.PENDING_APPROVAL
    platform_client.core.create_namespace({"metadata": {"name": name}})  # someone was quicker
    try:
        refused = api.as_(tenancy.admin).post(f"{URL}{answer.json()['id']}/approve/", format="json")
        assert refused.status_code == 400, refused.content
        assert "already exists" in refused.json()["errors"]["name"][0]
        assert TeamNamespace.objects.get(name=name).phase == NamespacePhase.PENDING_APPROVAL
    finally:
        platform_client.core.delete_namespace(name)
