"""Platform admins act anywhere, teams only in their namespaces
(workloads/places.py), against the devcluster: `<cluster>:<namespace>` and
`<cluster>:*` addresses in the API and the pages."""

import pytest
import yaml

from clusters import kube
from portal.models import AuditEvent
from tests.workloads.addresses import page_client

pytestmark = pytest.mark.devcluster

ROOT_CA = "kube-root-ca.crt"  # the ConfigMap the API server puts in every namespace


@pytest.fixture
def loose_ns(make_namespace):
    """A namespace of the cluster that no team holds, made by the cluster admin."""
    return make_namespace("loose")


@pytest.fixture
def platform_client(tenancy):
    with kube.client_for(tenancy.cluster) as client:
        yield client


def api_url(place, plural, tail=""):
    return f"/api/v1/namespaces/{place}/kinds/{plural}/{tail}"


def page_url(place, plural, tail=""):
    return f"/workloads/namespaces/{place}/{plural}/{tail}"


def config_map(name: str, namespace: str = "") -> dict:
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"mode": "admin"}}


def test_a_platform_admin_reads_and_changes_a_namespace_no_team_holds(api, tenancy, loose_ns, platform_client):
    place = f"{tenancy.cluster.slug}:{loose_ns}"
    admin = api.as_(tenancy.admin)

    listed = admin.get(api_url(place, "configmaps"))
    assert listed.status_code == 200, listed.content
    assert listed.json()["namespace"] == loose_ns
    assert [item["name"] for item in listed.json()["items"]] == [ROOT_CA]

    created = admin.post(api_url(place, "configmaps", "apply/"), {"documents": [config_map("made")]}, format="json")
    assert created.status_code == 201, created.content
    seen = platform_client.core.read_namespaced_config_map("made", loose_ns)
    assert seen.data == {"mode": "admin"}
    event = AuditEvent.objects.latest("pk")
    assert (event.action, event.result, event.target_name) == ("configmap.apply", "success", "made")
    assert (event.target_cluster, event.target_namespace, event.team) == (tenancy.cluster.slug, loose_ns, None)

    # Its page, and a delete from it with the name typed.
    pages = page_client(tenancy.admin)
    detail = pages.get(page_url(place, "configmaps", "made/"))
    assert detail.status_code == 200
    assert "mode: admin" in detail.content.decode()
    deleted = pages.post(page_url(place, "configmaps", "made/delete/"), {"confirm": "made"})
    assert deleted.status_code == 302
    with pytest.raises(kube.KubeNotFound):
        platform_client.core.read_namespaced_config_map("made", loose_ns)
    assert AuditEvent.objects.latest("pk").action == "configmap.delete"


def test_an_admin_s_cluster_wide_list_names_each_row_s_namespace(api, tenancy, ready_ns, loose_ns):
    everywhere = f"{tenancy.cluster.slug}:*"
    admin = api.as_(tenancy.admin)

    # The API: items of every namespace, each with its own.
    pages, token = [], ""
    while True:
        answer = admin.get(api_url(everywhere, "configmaps"), {"limit": 50, "continue": token}).json()
        pages.append(answer)
        token = answer["continue"]
        if not token:
            break
    namespaces = {item["namespace"] for page in pages for item in page["items"]}
    assert {"kube-system", "default", ready_ns.name, loose_ns} <= namespaces
    assert pages[0]["namespace"] is None

    # The page: a Namespace column, each row linked to its namespace's address
    # (the team's namespace by its id, the others by name).
    html = page_client(tenancy.admin).get(page_url(everywhere, "configmaps"), {"limit": 500}).content.decode()
    assert f'href="/workloads/namespaces/{ready_ns.pk}/configmaps/{ROOT_CA}/"' in html
    assert f'href="/workloads/namespaces/{tenancy.cluster.slug}:{loose_ns}/configmaps/{ROOT_CA}/"' in html
    assert f'href="/workloads/namespaces/{tenancy.cluster.slug}:kube-system/configmaps/{ROOT_CA}/"' in html
    assert 'id="kind-apply"' not in html  # nothing is applied to "all namespaces"

    # Objects live in one namespace each: no detail, apply or action at "*".
    assert admin.get(api_url(everywhere, "configmaps", f"{ROOT_CA}/")).status_code == 404
    refused = admin.post(api_url(everywhere, "configmaps", "apply/"), {"documents": [config_map("x")]}, format="json")
    assert refused.status_code == 404
    assert page_client(tenancy.admin).get(page_url(everywhere, "configmaps", "new/")).status_code == 404


def test_an_admin_naming_a_team_namespace_gets_the_team_s(api, tenancy, ready_ns):
    by_name = f"{tenancy.cluster.slug}:{ready_ns.name}"
    admin = api.as_(tenancy.admin)
    created = admin.post(api_url(by_name, "configmaps", "apply/"), {"documents": [config_map("named")]}, format="json")
    assert created.status_code == 201, created.content
    event = AuditEvent.objects.latest("pk")
    assert (event.target_namespace, event.team) == (ready_ns.name, tenancy.team_a)
    html = page_client(tenancy.admin).get(page_url(by_name, "configmaps")).content.decode()
    assert f'href="/teams/namespaces/{ready_ns.pk}/"' in html  # the team's breadcrumbs


@pytest.mark.parametrize("who", ["owner", "developer", "viewer", "b-owner"])
def test_team_members_cannot_name_namespaces(api, tenancy, ready_ns, loose_ns, who):
    """Not kube-system, not a namespace no team holds, not all of them, not
    even their own team's by name: only team namespace ids they may see."""
    user = tenancy.users[who]
    slug = tenancy.cluster.slug
    for place in (f"{slug}:kube-system", f"{slug}:{loose_ns}", f"{slug}:*", f"{slug}:{ready_ns.name}"):
        assert api.as_(user).get(api_url(place, "configmaps")).status_code == 404, place
        write = api.as_(user).post(
            api_url(place, "configmaps", "apply/"), {"documents": [config_map("x")]}, format="json"
        )
        assert write.status_code == 404, place
        assert page_client(user).get(page_url(place, "configmaps")).status_code == 404, place
        assert page_client(user).post(page_url(place, "configmaps", "new/"), {"manifest": "x"}).status_code == 404
    assert api.as_(None).get(api_url(f"{slug}:kube-system", "configmaps")).status_code in (401, 403)


def test_the_admin_switchers_offer_every_namespace_and_cluster(tenancy, ready_ns, loose_ns):
    html = page_client(tenancy.admin).get(page_url(f"{tenancy.cluster.slug}:kube-system", "pods")).content.decode()
    switcher = html[html.index('id="namespace-switcher"') :]
    switcher = switcher[: switcher.index("</details>")]
    assert f'href="/workloads/namespaces/{tenancy.cluster.slug}:*/pods/"' in switcher
    assert f'href="/workloads/namespaces/{tenancy.cluster.slug}:{loose_ns}/pods/"' in switcher
    assert f'href="/workloads/namespaces/{ready_ns.pk}/pods/"' in switcher
    assert 'aria-current="page">kube-system<' in switcher
    assert f'href="/clusters/{tenancy.cluster.slug}/"' in html  # breadcrumbs through the cluster


def test_an_unknown_cluster_or_a_bad_address_is_404(api, tenancy):
    admin = api.as_(tenancy.admin)
    assert admin.get(api_url("nowhere:kube-system", "pods")).status_code == 404
    assert admin.get(api_url(f"{tenancy.cluster.slug}:Not_A_Name", "pods")).status_code == 404
    assert page_client(tenancy.admin).get(page_url("nowhere:*", "pods")).status_code == 404


def test_a_yaml_document_naming_another_namespace_is_refused_at_a_named_place(api, tenancy, loose_ns):
    place = f"{tenancy.cluster.slug}:{loose_ns}"
    text = yaml.safe_dump(config_map("elsewhere", "kube-system"))
    answer = api.as_(tenancy.admin).post(api_url(place, "configmaps", "apply/"), text, content_type="application/yaml")
    assert answer.status_code == 400, answer.content
