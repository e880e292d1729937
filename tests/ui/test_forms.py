"""Create, edit and delete through the pages: bad input is answered on the page
(status 400, field errors, what was typed kept, secrets never echoed)."""

import re

import pytest

from tests.support.credentials import ssh_private_key
from tests.ui.conftest import KUBECONFIG_TOKEN, kubeconfig

pytestmark = pytest.mark.django_db


def field_value(html: str, name: str) -> str | None:
    """The value an <input name=...> renders, or a <textarea name=...>'s text."""
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    if match:
        value = re.search(r'value="([^"]*)"', match.group(0))
        return value.group(1) if value else None
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', html, re.S)
    return match.group(1).strip() if match else None


def errors_of(html: str) -> list[str]:
    return re.findall(r'<p class="error" role="alert">(.*?)</p>', html, re.S)


def test_it_refuses_to_import_a_cluster_it_cannot_reach(world, client_as):
    """The connect check runs before anything is saved (importing the
    devcluster for real is in tests/ui/test_clusters.py)."""
    from clusters.models import Cluster

    response = client_as("admin").post(
        "/clusters/new/",
        {"name": "Edge", "slug": "edge", "kubeconfig": kubeconfig(server="https://127.0.0.1:1")},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "127.0.0.1:1" in html and "Connection refused" in html, errors_of(html)
    assert KUBECONFIG_TOKEN not in html
    assert field_value(html, "name") == "Edge"
    assert not Cluster.objects.filter(slug="edge").exists()


def test_it_keeps_the_typed_values_but_not_the_kubeconfig_when_it_is_refused(world, client_as):
    from clusters.models import Cluster

    response = client_as("admin").post(
        "/clusters/new/",
        {
            "name": "Edge cluster",
            "slug": "edge",
            "description": "typed by hand",
            "kubeconfig": kubeconfig(server="http://127.0.0.1:6443"),
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "The cluster&#x27;s server must be an https:// URL." in html
    assert field_value(html, "name") == "Edge cluster"
    assert field_value(html, "description") == "typed by hand"
    assert KUBECONFIG_TOKEN not in html
    assert field_value(html, "kubeconfig") == ""
    assert not Cluster.objects.filter(slug="edge").exists()


def test_it_reports_each_bad_field_of_a_cluster(world, client_as):
    response = client_as("admin").post("/clusters/new/", {"name": "", "slug": "Not A Slug!"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "This field is required." in html
    assert "Enter a valid “slug”" in html
    assert field_value(html, "slug") == "Not A Slug!"


def test_it_refuses_a_duplicate_slug_on_the_field(world, client_as):
    response = client_as("admin").post(
        "/clusters/new/", {"name": "Other", "slug": "prod", "kubeconfig": kubeconfig(server="https://127.0.0.1:1")}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert any("slug" in e.lower() and "already exists" in e for e in errors_of(html)), errors_of(html)


def test_it_edits_a_cluster_record_without_touching_its_credentials(world, client_as):
    from clusters.models import Cluster
    from clusters.services.clusters import cluster_create

    cluster = cluster_create(name="Edge", slug="edge", kubeconfig=kubeconfig())
    form = client_as("admin").get("/clusters/edge/edit/").content.decode()
    assert field_value(form, "name") == "Edge"
    assert KUBECONFIG_TOKEN not in form
    response = client_as("admin").post("/clusters/edge/edit/", {"name": "Edge 2", "slug": "edge", "kubeconfig": ""})
    assert response.status_code == 302
    cluster = Cluster.objects.get(pk=cluster.pk)
    assert cluster.name == "Edge 2"
    assert KUBECONFIG_TOKEN in cluster.kubeconfig.reveal()


def test_it_creates_a_quota_plan_and_refuses_a_bad_quantity(world, client_as):
    from rbac.models import QuotaPlan

    client = client_as("admin")
    bad = client.post("/teams/quota-plans/new/", {"name": "Big", "slug": "big", "requests_cpu": "lots"})
    html = bad.content.decode()
    assert bad.status_code == 400
    assert "lots is not a Kubernetes quantity" in html
    assert field_value(html, "requests_cpu") == "lots"
    assert field_value(html, "name") == "Big"
    good = client.post("/teams/quota-plans/new/", {"name": "Big", "slug": "big", "requests_cpu": "8", "pods": "100"})
    assert good.status_code == 302
    assert QuotaPlan.objects.get(slug="big").resource_quota_hard() == {"requests.cpu": "8", "pods": "100"}


def test_it_lets_an_owner_edit_the_description_but_not_the_policy(world, client_as):
    from portal.teams import Team

    client = client_as("owner")
    form = client.get("/teams/team-a/edit/").content.decode()
    assert 'name="max_namespaces"' not in form
    response = client.post(
        "/teams/team-a/edit/", {"name": "Team A", "slug": "team-a", "description": "Ours", "max_namespaces": "99"}
    )
    assert response.status_code == 302
    team = Team.objects.get(slug="team-a")
    assert (team.description, team.max_namespaces) == ("Ours", 5)


def test_it_creates_a_team_with_its_policy(world, client_as):
    from portal.teams import Team

    response = client_as("admin").post(
        "/teams/new/",
        {"name": "Team C", "slug": "team-c", "max_namespaces": "2", "allowed_clusters": [world.cluster.pk]},
    )
    assert response.status_code == 302
    team = Team.objects.get(slug="team-c")
    assert list(team.allowed_clusters.all()) == [world.cluster]


def test_it_lets_a_maintainer_request_a_namespace(world, client_as):
    from rbac.models import TeamNamespace

    client = client_as("maintainer")
    form = client.get("/teams/namespaces/new/").content.decode()
    assert "Team A" in form and "Team B" not in form
    data = {"team": world.team_a.pk, "cluster": world.cluster.pk, "plan": world.plan.pk, "network_isolated": "on"}
    bad = client.post("/teams/namespaces/new/", {**data, "name": "Bad_Name"})
    assert bad.status_code == 400
    assert "lowercase letters" in bad.content.decode()
    assert field_value(bad.content.decode(), "name") == "Bad_Name"
    taken = client.post("/teams/namespaces/new/", {**data, "name": "team-b-dev"})
    assert taken.status_code == 400
    good = client.post("/teams/namespaces/new/", {**data, "name": "team-a-prod"})
    assert good.status_code == 302
    namespace = TeamNamespace.objects.get(name="team-a-prod")
    assert (namespace.team, namespace.phase, namespace.requested_by) == (
        world.team_a,
        "pending_approval",
        world.maintainer,
    )


def test_it_refuses_a_namespace_for_a_team_the_user_does_not_manage(world, client_as):
    from rbac.models import TeamNamespace

    response = client_as("outsider").post(
        "/teams/namespaces/new/",
        {"team": world.team_a.pk, "cluster": world.cluster.pk, "plan": world.plan.pk, "name": "sneaky"},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not TeamNamespace.objects.filter(name="sneaky").exists()


def test_it_adds_a_member_and_keeps_an_unknown_username_on_the_page(world, client_as, make_user):
    from portal.teams import Membership

    make_user("newcomer")
    client = client_as("owner")
    bad = client.post("/teams/team-a/members/", {"user": "nobody-like-this", "role": "developer"})
    html = bad.content.decode()
    assert bad.status_code == 400
    assert "There is no active user named nobody-like-this: pick one from the list" in html
    assert field_value(html, "user") == "nobody-like-this"
    good = client.post("/teams/team-a/members/", {"user": "newcomer", "role": "developer"})
    assert good.status_code == 302
    assert Membership.objects.get(user__username="newcomer").team == world.team_a
    again = client.post("/teams/team-a/members/", {"user": "newcomer", "role": "viewer"})
    assert again.status_code == 400
    assert "Already a member of this team." in again.content.decode()


def test_it_changes_roles_but_keeps_the_last_owner(world, client_as):
    from portal.teams import Membership

    client = client_as("owner")
    viewer = Membership.objects.get(user=world.viewer)
    assert client.post(f"/teams/team-a/members/{viewer.pk}/", {"role": "developer"}).status_code == 302
    assert Membership.objects.get(pk=viewer.pk).role == "developer"
    owner = Membership.objects.get(user=world.owner)
    response = client.post(f"/teams/team-a/members/{owner.pk}/", {"remove": "1"}, follow=True)
    assert "A team keeps at least one owner" in response.content.decode()
    assert Membership.objects.filter(pk=owner.pk).exists()


def test_it_creates_an_ssh_credential_and_never_shows_the_key_back(world, client_as):
    from hosts.models import SSHCredential

    key = ssh_private_key("the-passphrase-123")
    client = client_as("admin")
    wrong = client.post(
        "/hosts/credentials/new/",
        {"name": "deploy", "kind": "private_key", "private_key": key, "passphrase": "not-the-passphrase"},
    )
    html = wrong.content.decode()
    assert wrong.status_code == 400
    assert "The passphrase does not decrypt this private key." in html
    assert field_value(html, "name") == "deploy"
    assert key.splitlines()[1] not in html and "not-the-passphrase" not in html
    good = client.post(
        "/hosts/credentials/new/",
        {"name": "deploy", "kind": "private_key", "private_key": key, "passphrase": "the-passphrase-123"},
    )
    assert good.status_code == 302
    credential = SSHCredential.objects.get(name="deploy")
    assert credential.public_key_fingerprint.startswith("SHA256:")
    detail = client.get(good["Location"]).content.decode()
    assert credential.public_key_fingerprint in detail
    assert key.splitlines()[1] not in detail


def test_it_requires_a_password_for_a_password_credential(world, client_as):
    response = client_as("admin").post("/hosts/credentials/new/", {"name": "pw", "kind": "password"})
    assert response.status_code == 400
    assert errors_of(response.content.decode())


def test_it_registers_a_host_and_explains_a_bad_address(world, more, client_as):
    client = client_as("admin")
    data = {"name": "node-b", "port": "22", "username": "root", "sudo_mode": "none", "credential": more.credential.pk}
    bad = client.post("/hosts/new/", {**data, "address": "not an address!"})
    assert bad.status_code == 400
    assert "Enter a valid host name or IP address." in bad.content.decode()
    assert field_value(bad.content.decode(), "address") == "not an address!"
    good = client.post("/hosts/new/", {**data, "address": "127.0.0.3"})
    assert good.status_code == 302


def test_it_deletes_only_when_the_name_is_typed(world, client_as):
    from rbac.models import QuotaPlan

    client = client_as("admin")
    plan = QuotaPlan.objects.create(name="Unused", slug="unused")
    page = client.get("/teams/quota-plans/unused/delete/").content.decode()
    assert "<code>unused</code>" in page
    wrong = client.post("/teams/quota-plans/unused/delete/", {"confirm": "Unused"})
    assert wrong.status_code == 400
    assert "Type unused to confirm." in wrong.content.decode()
    assert QuotaPlan.objects.filter(pk=plan.pk).exists()
    right = client.post("/teams/quota-plans/unused/delete/", {"confirm": "unused"})
    assert right.status_code == 302 and right["Location"] == "/teams/quota-plans/"
    assert not QuotaPlan.objects.filter(pk=plan.pk).exists()


def test_it_refuses_to_delete_what_is_still_in_use(world, more, client_as):
    from hosts.models import SSHCredential
    from rbac.models import QuotaPlan

    client = client_as("admin")
    plan = client.post("/teams/quota-plans/small/delete/", {"confirm": "small"})
    assert plan.status_code == 409
    assert "Namespaces still use this plan." in plan.content.decode()
    assert QuotaPlan.objects.filter(slug="small").exists()
    credential = client.post(f"/hosts/credentials/{more.credential.pk}/delete/", {"confirm": "deploy-key"})
    assert credential.status_code == 409
    assert "It is still in use by: node-a." in credential.content.decode()
    assert SSHCredential.objects.filter(pk=more.credential.pk).exists()
    cluster = client.post("/clusters/prod/delete/", {"confirm": "prod"})
    assert cluster.status_code == 409


def test_it_lets_a_manager_withdraw_a_namespace_request(world, client_as):
    from rbac.models import TeamNamespace

    pending = TeamNamespace.objects.create(team=world.team_a, cluster=world.cluster, name="later", plan=world.plan)
    client = client_as("maintainer")
    assert client.post(f"/teams/namespaces/{pending.pk}/delete/", {"confirm": "later"}).status_code == 302
    assert not TeamNamespace.objects.filter(pk=pending.pk).exists()
    # One in a cluster is deleted by a job that waits for it to finalize.
    ready = client.post(f"/teams/namespaces/{world.ns_a.pk}/delete/", {"confirm": "team-a-dev"})
    assert ready.status_code == 302 and ready["Location"].startswith("/jobs/")
    assert TeamNamespace.objects.get(pk=world.ns_a.pk).phase == "terminating"
    again = client.post(f"/teams/namespaces/{world.ns_a.pk}/delete/", {"confirm": "team-a-dev"})
    assert again.status_code == 409
    assert "already being deleted" in again.content.decode()


def test_it_shows_a_new_api_token_once(world, client_as):
    client = client_as("developer")
    bad = client.post("/tokens/", {"name": "", "expires_in_days": "0"})
    assert bad.status_code == 400
    created = client.post("/tokens/", {"name": "ci", "expires_in_days": "30"})
    html = created.content.decode()
    assert created.status_code == 200
    key = re.search(r'<code id="new-token">([^<]+)</code>', html).group(1)
    assert key.startswith("kpt_")
    assert key not in client.get("/tokens/").content.decode()
    assert key not in client_as("admin").get("/tokens/").content.decode()
    token_id = re.search(r'action="/tokens/(\d+)/revoke/"', html).group(1)
    assert client_as("viewer").post(f"/tokens/{token_id}/revoke/").status_code == 404
    assert client.post(f"/tokens/{token_id}/revoke/").status_code == 302
    assert "Revoked" in client.get("/tokens/").content.decode()
