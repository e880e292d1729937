"""Every registered kind (workloads/kinds.py) through the one live-object API,
against the devcluster: the same case for each kind, then paging and several
manifests at once. Each test works in a namespace of its own that the
`tenancy` fixture deletes afterwards; the objects are deleted in the test too."""

from functools import partial

import pytest
import yaml

from clusters import kube
from portal.models import AuditEvent
from rbac.identity import identity_for
from tests.api.generic import assert_error_shape
from tests.support.wait import wait_for
from tests.workloads.addresses import author_of, delete_cluster_object, place_of, team_template
from workloads import objects
from workloads.actions import actions_for
from workloads.actions.scale import SCALE
from workloads.kinds import KINDS

pytestmark = pytest.mark.devcluster

YAML = "application/yaml"
# Kubernetes' view role (a team viewer's) reads no Secrets and no RBAC objects: the API server refuses them.
VIEWERS_CANNOT_READ = {"Secret", "Role", "RoleBinding"}


def url(namespace, plural, tail=""):
    return f"/api/v1/namespaces/{namespace.pk}/kinds/{plural}/{tail}"


def last_event():
    return AuditEvent.objects.latest("pk")


def assert_audited(action, kind, name, result="success"):
    """The last audit event names the action and the object's own kind and name."""
    event = last_event()
    assert (event.action, event.result, event.target_kind, event.target_name) == (action, result, kind, name)
    return event


def _bad_labels(kind, name, team) -> dict:
    manifest = team_template(kind, name, team)
    manifest["metadata"]["labels"] = {"not a label key!": "x"}
    return manifest


def _create_as_platform(tenancy, namespace, kind, name):
    """Read-only kinds are made by controllers; the test makes one with the
    portal's own credential so that there is something to read."""
    manifest = kind.template(name)
    manifest["metadata"]["namespace"] = namespace.name
    with kube.client_for(tenancy.cluster) as client:
        objects.apply_object(client, kind, manifest)


@pytest.mark.parametrize("plural", sorted(p for p, k in KINDS.items() if k.namespaced))
def test_every_kind_is_listed_shown_applied_and_deleted_as_the_member(api, tenancy, ready_ns, unique, plural):
    kind = KINDS[plural]
    name = unique(kind.kind.lower()[:20])
    # One client signs in as each role in turn: call these for each request.
    author = author_of(kind, tenancy)
    developer = partial(api.as_, author)
    manifest = yaml.safe_dump(team_template(kind, name, tenancy.team_a))

    if kind.read_only:
        body = assert_error_shape(developer().post(url(ready_ns, plural, "apply/"), manifest, content_type=YAML), 400)
        assert "read-only" in body["errors"]["kind"][0]
        _create_as_platform(tenancy, ready_ns, kind, name)
    else:
        # A dry run answers what the API server would make, and makes nothing.
        response = developer().post(url(ready_ns, plural, "apply/?dry_run=1"), manifest, content_type=YAML)
        assert response.status_code == 200, response.content
        (result,) = response.json()["results"]
        assert (result["kind"], result["name"], result["result"], result["dry_run"]) == (
            kind.kind,
            name,
            "created",
            True,
        )
        assert result["object"]["metadata"]["namespace"] == ready_ns.name
        assert_error_shape(developer().get(url(ready_ns, plural, f"{name}/")), 404)

        # Bad input: the API server's own message, on its field, and nothing applied.
        bad = developer().post(
            url(ready_ns, plural, "apply/"), {"documents": [_bad_labels(kind, name, tenancy.team_a)]}, format="json"
        )
        body = assert_error_shape(bad, 400)
        fields = [field for field in body["errors"] if field.startswith("metadata.labels")]
        assert fields, body
        assert "name part must consist of alphanumeric characters" in body["errors"][fields[0]][0]
        assert_error_shape(developer().get(url(ready_ns, plural, f"{name}/")), 404)

        response = developer().post(url(ready_ns, plural, "apply/"), manifest, content_type=YAML)
        assert response.status_code == 201, response.content
        assert response.json()["results"][0]["result"] == "created"
        event = assert_audited(f"{kind.kind.lower()}.apply", kind.kind, name)
        assert (event.team, event.target_cluster, event.target_namespace) == (
            tenancy.team_a,
            tenancy.cluster.slug,
            ready_ns.name,
        )
        # Applying the same manifest again changes nothing and creates nothing.
        again = developer().post(url(ready_ns, plural, "apply/"), manifest, content_type=YAML)
        assert again.status_code == 200 and again.json()["results"][0]["result"] == "configured", again.content

    # A viewer reads the list and the object, as the API server lets them.
    viewer = partial(api.as_, tenancy.viewer)
    reader = viewer
    if kind.kind in VIEWERS_CANNOT_READ:
        body = assert_error_shape(viewer().get(url(ready_ns, plural), {"name": name}), 403)
        assert "Forbidden by the cluster" in body["detail"]
        assert_error_shape(viewer().get(url(ready_ns, plural, f"{name}/")), 403)
        reader = developer
    listed = reader().get(url(ready_ns, plural), {"name": name})
    assert listed.status_code == 200, listed.content
    page = listed.json()
    assert [c["name"] for c in page["columns"]] == [c.name for c in kind.columns]
    assert (page["kind"], page["read_only"], page["actions"]) == (
        kind.kind,
        kind.read_only,
        [a.name for a in actions_for(kind)],
    )
    assert bool(page["template"]) is not kind.read_only
    (row,) = page["items"]
    assert row["name"] == name and set(row["columns"]) == {c.name for c in kind.columns}
    assert row["status"]["state"] in ("ready", "progressing", "failed", "pending")
    detail = reader().get(url(ready_ns, plural, f"{name}/"))
    assert detail.status_code == 200, detail.content
    assert detail.json()["object"]["kind"] == kind.kind
    assert detail.json()["object"]["metadata"]["name"] == name
    # The list read the pod template as the detail does (its items name no kind of their own).
    assert set(detail.json()["columns"]) == set(row["columns"])
    if plural == "pods":
        assert row["columns"]["ready"].endswith("/1"), row
    if "images" in row["columns"]:
        assert row["columns"]["images"] == detail.json()["columns"]["images"] == "nginx:1.27"

    # ...but changes nothing: the portal says so, and the API server would refuse too.
    body = assert_error_shape(viewer().post(url(ready_ns, plural, "apply/"), manifest, content_type=YAML), 403)
    assert "reads objects" in body["detail"]
    assert (last_event().action, last_event().result) == (f"{kind.kind.lower()}.apply", "denied")
    assert_error_shape(viewer().delete(url(ready_ns, plural, f"{name}/")), 403)
    live_manifest = kind.template(name) | {"metadata": {"name": name, "namespace": ready_ns.name}}
    with kube.client_for(tenancy.cluster, identity=identity_for(tenancy.viewer)) as client:
        with pytest.raises(kube.KubeForbidden):
            objects.apply_object(client, kind, live_manifest, dry_run=True)

    if SCALE in [a.name for a in actions_for(kind)]:
        assert_error_shape(viewer().post(url(ready_ns, plural, f"{name}/scale/"), {"replicas": 2}, format="json"), 403)
        scaled = developer().post(url(ready_ns, plural, f"{name}/scale/"), {"replicas": 2}, format="json")
        assert scaled.status_code == 200 and scaled.json()["replicas"] == 2, scaled.content
        assert_audited(f"{kind.kind.lower()}.scale", kind.kind, name)
        assert developer().get(url(ready_ns, plural, f"{name}/")).json()["columns"]["desired"] == 2
        body = assert_error_shape(
            developer().post(url(ready_ns, plural, f"{name}/scale/"), {"replicas": -1}, format="json"), 400
        )
        assert "replicas" in body["errors"]
        for not_an_object in ([1], "2", 2):
            assert_error_shape(
                developer().post(url(ready_ns, plural, f"{name}/scale/"), not_an_object, format="json"), 400
            )
    else:
        assert_error_shape(
            developer().post(url(ready_ns, plural, f"{name}/scale/"), {"replicas": 2}, format="json"), 405
        )

    # A member of another team finds nothing, and the API server refuses them there.
    other = partial(api.as_, tenancy.users["b-owner"])
    for response in (
        other().get(url(ready_ns, plural)),
        other().get(url(ready_ns, plural, f"{name}/")),
        other().post(url(ready_ns, plural, "apply/"), manifest, content_type=YAML),
        other().delete(url(ready_ns, plural, f"{name}/")),
    ):
        assert_error_shape(response, 404)
    with kube.client_for(tenancy.cluster, identity=identity_for(tenancy.users["b-owner"])) as client:
        with pytest.raises(kube.KubeForbidden):
            objects.get_object(client, kind, ready_ns.name, name)

    # Nobody signed in: nothing at all.
    for response in (api.as_(None).get(url(ready_ns, plural)), api.as_(None).delete(url(ready_ns, plural, f"{name}/"))):
        assert_error_shape(response, 401)

    # A platform admin outside the team reads it with the portal's credential.
    assert api.as_(tenancy.admin).get(url(ready_ns, plural, f"{name}/")).status_code == 200

    if kind.read_only:
        assert_error_shape(developer().delete(url(ready_ns, plural, f"{name}/")), 403)
        with kube.client_for(tenancy.cluster) as client:
            objects.delete_object(client, kind, ready_ns.name, name)
        return
    deleted = developer().delete(url(ready_ns, plural, f"{name}/"), QUERY_STRING="propagation=foreground")
    assert deleted.status_code == 204, deleted.content
    assert assert_audited(f"{kind.kind.lower()}.destroy", kind.kind, name).actor == author

    def gone():
        response = developer().get(url(ready_ns, plural, f"{name}/"))
        return response.status_code == 404 or None

    wait_for(gone, 60, 0.5, what=f"{kind.kind} {name} to be deleted")


@pytest.mark.parametrize("plural", sorted(p for p, k in KINDS.items() if not k.namespaced))
def test_every_cluster_scoped_kind_is_a_platform_admin_s_at_the_cluster_s_address(
    api, tenancy, ready_ns, unique, plural
):
    kind = KINDS[plural]
    name = unique(kind.kind.lower()[:20])
    everywhere = place_of(kind, tenancy, ready_ns)
    admin = partial(api.as_, tenancy.admin)
    manifest = kind.template_yaml(name)
    try:
        dry = admin().post(url(everywhere, plural, "apply/?dry_run=1"), manifest, content_type=YAML)
        assert dry.status_code == 200 and dry.json()["results"][0]["dry_run"], dry.content
        assert_error_shape(admin().get(url(everywhere, plural, f"{name}/")), 404)
        bad = admin().post(
            url(everywhere, plural, "apply/"), {"documents": [_bad_labels(kind, name, tenancy.team_a)]}, format="json"
        )
        assert [f for f in assert_error_shape(bad, 400)["errors"] if f.startswith("metadata.labels")]

        created = admin().post(url(everywhere, plural, "apply/"), manifest, content_type=YAML)
        assert created.status_code == 201, created.content
        event = assert_audited(f"{kind.kind.lower()}.apply", kind.kind, name)
        assert (event.team, event.target_cluster, event.target_namespace) == (None, tenancy.cluster.slug, "")
        page = admin().get(url(everywhere, plural), {"name": name}).json()
        assert [c["name"] for c in page["columns"]] == [c.name for c in kind.columns]
        (row,) = page["items"]
        assert row["name"] == name and row["namespace"] == ""
        assert admin().get(url(everywhere, plural, f"{name}/")).json()["object"]["metadata"]["name"] == name

        # Team members, whatever their role, find no such kind anywhere; nobody signed in, nothing.
        for who in ("owner", "maintainer", "developer", "viewer", "b-owner"):
            member = partial(api.as_, tenancy.users[who])
            for response in (
                member().get(url(everywhere, plural)),
                member().get(url(ready_ns, plural)),
                member().get(url(everywhere, plural, f"{name}/")),
                member().post(url(everywhere, plural, "apply/"), manifest, content_type=YAML),
                member().delete(url(everywhere, plural, f"{name}/")),
            ):
                assert_error_shape(response, 404)
            with kube.client_for(tenancy.cluster, identity=identity_for(tenancy.users[who])) as client:
                with pytest.raises(kube.KubeForbidden):
                    objects.apply_object(client, kind, kind.template(name), dry_run=True)
        assert_error_shape(api.as_(None).get(url(everywhere, plural)), 401)

        deleted = admin().delete(url(everywhere, plural, f"{name}/"))
        assert deleted.status_code == 204, deleted.content
        assert_audited(f"{kind.kind.lower()}.destroy", kind.kind, name)
        assert_error_shape(admin().get(url(everywhere, plural, f"{name}/")), 404)
    finally:
        delete_cluster_object(tenancy, kind, name)


def test_a_list_comes_in_pages_and_several_manifests_apply_at_once(api, tenancy, ready_ns, unique):
    developer = api.as_(tenancy.developer)
    label = unique("pager")
    documents = []
    for index in range(5):
        manifest = KINDS["configmaps"].template(f"{label}-{index}")
        manifest["metadata"]["labels"] = {"pager": label}
        documents.append(manifest)
    response = developer.post(url(ready_ns, "configmaps", "apply/"), {"documents": documents}, format="json")
    assert response.status_code == 201, response.content
    assert [r["result"] for r in response.json()["results"]] == ["created"] * 5
    assert last_event().target_name == ",".join(f"{label}-{i}" for i in range(5))

    pages, token = [], ""
    while True:
        query = {"limit": 2, "labelSelector": f"pager={label}"} | ({"continue": token} if token else {})
        response = developer.get(url(ready_ns, "configmaps"), query)
        assert response.status_code == 200, response.content
        pages.append([item["name"] for item in response.json()["items"]])
        token = response.json()["continue"]
        if not token:
            break
    assert [len(page) for page in pages] == [2, 2, 1]
    assert sorted(sum(pages, [])) == [f"{label}-{i}" for i in range(5)]

    body = assert_error_shape(developer.get(url(ready_ns, "configmaps"), {"limit": 0}), 400)
    assert "limit" in body["errors"]
    stale = assert_error_shape(developer.get(url(ready_ns, "configmaps"), {"continue": "not-a-token"}), 400)
    assert stale["type"] == "invalid" and "continue" in stale["errors"]
    selector = assert_error_shape(developer.get(url(ready_ns, "configmaps"), {"labelSelector": "a b c"}), 400)
    assert "labelSelector" in selector["errors"]
    # A field selector narrows the page as the API server reads it, with the name filter too.
    one = developer.get(url(ready_ns, "configmaps"), {"fieldSelector": f"metadata.name={label}-3"})
    assert [item["name"] for item in one.json()["items"]] == [f"{label}-3"]
    both = developer.get(
        url(ready_ns, "configmaps"), {"fieldSelector": f"metadata.name!={label}-3", "name": f"{label}-3"}
    )
    assert both.json()["items"] == []

    # One bad document of several: its index and field, and none of them applied.
    bad = KINDS["configmaps"].template(f"{label}-new")
    bad["metadata"]["labels"] = {"not a label key!": "x"}
    good = KINDS["configmaps"].template(f"{label}-also-new")
    body = assert_error_shape(
        developer.post(url(ready_ns, "configmaps", "apply/"), {"documents": [good, bad]}, format="json"), 400
    )
    assert any(field.startswith("documents[1].metadata.labels") for field in body["errors"]), body
    for name in (f"{label}-new", f"{label}-also-new"):
        assert_error_shape(developer.get(url(ready_ns, "configmaps", f"{name}/")), 404)

    unreadable = developer.post(url(ready_ns, "configmaps", "apply/"), "kind: [unclosed\n", content_type=YAML)
    assert "The YAML cannot be read (line" in assert_error_shape(unreadable, 400)["detail"]

    for index in range(5):
        assert developer.delete(url(ready_ns, "configmaps", f"{label}-{index}/")).status_code == 204


def test_quota_and_conflicts_are_clear_answers(api, tenancy, ready_ns, unique):
    developer = api.as_(tenancy.developer)
    # The plan allows 3 pods: a fourth is the quota's refusal, with its message.
    names = [unique("pod") for _ in range(4)]
    pods = [KINDS["pods"].template(name) for name in names]
    for pod in pods[:3]:
        assert developer.post(url(ready_ns, "pods", "apply/"), pod, format="json").status_code == 201
    body = assert_error_shape(developer.post(url(ready_ns, "pods", "apply/"), pods[3], format="json"), 403)
    assert body["type"] == "quota_exceeded" and "exceeded quota" in body["detail"]

    # A field someone else manages: a conflict that says to reload.
    configmap = KINDS["configmaps"].template(unique("cm"))
    with kube.client_for(tenancy.cluster) as client:
        client.request_json(
            "PATCH",
            objects.object_path(KINDS["configmaps"], ready_ns.name, configmap["metadata"]["name"]),
            query=[("fieldManager", "someone-else")],
            body=configmap
            | {"metadata": configmap["metadata"] | {"namespace": ready_ns.name}, "data": {"greeting": "hi"}},
            content_type="application/apply-patch+yaml",
        )
    body = assert_error_shape(developer.post(url(ready_ns, "configmaps", "apply/"), configmap, format="json"), 409)
    assert "reload" in body["detail"]
    for name in names[:3]:
        assert developer.delete(url(ready_ns, "pods", f"{name}/")).status_code == 204
    assert developer.delete(url(ready_ns, "configmaps", f"{configmap['metadata']['name']}/")).status_code == 204


def test_a_deployment_whose_pods_the_quota_refuses_says_why_in_its_row(api, tenancy, ready_ns, unique):
    """Today's trap: a Deployment reported as created, and nothing saying why no
    pod appears. Its row carries the controller's FailedCreate reason."""
    developer = api.as_(tenancy.developer)
    name = unique("toomany")
    manifest = KINDS["deployments"].template(name)
    manifest["spec"]["replicas"] = 5  # the plan allows 3 pods
    assert developer.post(url(ready_ns, "deployments", "apply/"), manifest, format="json").status_code == 201

    def failed_row():
        (row,) = developer.get(url(ready_ns, "deployments"), {"name": name}).json()["items"]
        return row if row["status"]["state"] == "failed" else None

    row = wait_for(failed_row, 60, 0.5, what="the Deployment's ReplicaFailure")
    assert "exceeded quota" in row["status"]["message"], row
    assert row["columns"]["desired"] == 5
    assert developer.delete(url(ready_ns, "deployments", f"{name}/")).status_code == 204
