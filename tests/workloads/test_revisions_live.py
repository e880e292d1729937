"""StatefulSets' and DaemonSets' actions (workloads/actions/revisions.py and
controllerrevisions.py) through the API, against the devcluster: revisions
from ControllerRevisions, rollback, update strategy, pods (per node) and
claims; as the developer, the viewer, another team's owner and a platform admin.

The devcluster has no storage provisioner and no StorageClass, so a
StatefulSet's claims are made but stay Pending, and so does its pod (its
claim is unbound): the tests check what the controllers do regardless of
that (the claims, the revisions, the spec), not a running database.
"""

from functools import partial

import pytest

from clusters import kube
from rbac.identity import identity_for
from tests.api.generic import assert_error_shape
from tests.api.test_kinds_live import assert_audited, url
from tests.support.wait import wait_for
from workloads import objects
from workloads.actions.revisions import ROLLOUT_MANAGER
from workloads.kinds import KINDS

pytestmark = pytest.mark.devcluster

OLD, NEW = "nginx:1.27", "nginx:1.28"


def assert_refused(client, path, cases):
    """Each (data, field) is a 400 naming `field`."""
    for data, field in cases:
        body = assert_error_shape(client.post(path, data, format="json"), 400)
        assert field in body["errors"], (data, body)


def _pod_template(name, image=OLD):
    resources = {"cpu": "50m", "memory": "32Mi"}
    container = {"name": "app", "image": image, "resources": {"requests": resources, "limits": resources}}
    return {"metadata": {"labels": {"app": name}}, "spec": {"containers": [container]}}


def statefulset_documents(name, image=OLD) -> list[dict]:
    """A StatefulSet with its headless Service and a volumeClaimTemplate."""
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"clusterIP": "None", "selector": {"app": name}, "ports": [{"port": 80, "name": "web"}]},
    }
    claim = {
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Mi"}}},
    }
    statefulset = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "serviceName": name,
            "selector": {"matchLabels": {"app": name}},
            "template": _pod_template(name, image),
            "volumeClaimTemplates": [claim],
        },
    }
    return [service, statefulset]


def daemonset_document(name, image=OLD) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name},
        "spec": {"selector": {"matchLabels": {"app": name}}, "template": _pod_template(name, image)},
    }


def set_image_as_admin(tenancy, namespace, plural, name, image):
    """Change the image as the cluster's admin (the set-image action is another module's)."""
    kind = KINDS[plural]
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": image}]}}}}
    with kube.client_for(tenancy.cluster) as client:
        client.request_json(
            "PATCH",
            objects.object_path(kind, namespace.name, name),
            body=patch,
            content_type="application/strategic-merge-patch+json",
        )


def live_images(tenancy, namespace, plural, name) -> list[str]:
    with kube.client_for(tenancy.cluster) as client:
        obj = objects.get_object(client, KINDS[plural], namespace.name, name)
    return [c["image"] for c in obj["spec"]["template"]["spec"]["containers"]]


def revisions_of(client, namespace, plural, name) -> list[dict]:
    response = client.get(url(namespace, plural, f"{name}/revisions/"))
    assert response.status_code == 200, response.content
    return response.json()["revisions"]


def wait_revisions(client, namespace, plural, name, count) -> list[dict]:
    def seen():
        rows = revisions_of(client, namespace, plural, name)
        return rows if len(rows) == count else None

    return wait_for(seen, 60, 0.5, what=f"{count} revisions of {plural}/{name}")


def schedulable_nodes(tenancy) -> tuple[list[str], list[str]]:
    """(nodes a plain DaemonSet's pod goes to, nodes it does not): a node with a
    NoSchedule/NoExecute taint (the devcluster's control plane has one) or
    cordoned gets none, since the DaemonSet tolerates no such taint."""
    with kube.client_for(tenancy.cluster) as client:
        nodes = client.request_json("GET", "/api/v1/nodes")[1]["items"]
    takes, refuses = [], []
    for node in nodes:
        taints = [t for t in node["spec"].get("taints") or [] if t.get("effect") in ("NoSchedule", "NoExecute")]
        (refuses if taints or node["spec"].get("unschedulable") else takes).append(node["metadata"]["name"])
    return takes, refuses


def test_a_statefulset_gets_its_service_and_claims_and_rolls_back(api, tenancy, ready_ns, unique):
    name = unique("sts")
    developer = partial(api.as_, tenancy.developer)
    applied = developer().post(
        url(ready_ns, "statefulsets", "apply/"), {"documents": statefulset_documents(name)}, format="json"
    )
    assert applied.status_code == 201, applied.content

    # Its headless Service.
    service = developer().get(url(ready_ns, "services", f"{name}/")).json()["object"]
    assert service["spec"]["clusterIP"] == "None"

    # Its claim, made by the controller and named <template>-<statefulset>-<ordinal>.
    def claim_made():
        response = developer().get(url(ready_ns, "statefulsets", f"{name}/claims/"))
        assert response.status_code == 200, response.content
        (row,) = response.json()["claims"]
        return row if row["exists"] else None

    claim = wait_for(claim_made, 60, 0.5, what="the StatefulSet's claim")
    assert (claim["name"], claim["template"], claim["ordinal"], claim["requested"]) == (
        f"data-{name}-0",
        "data",
        0,
        "1Mi",
    )
    # No provisioner in the devcluster: the claim waits for a volume.
    assert claim["phase"] == "Pending"
    pvc = developer().get(url(ready_ns, "persistentvolumeclaims", f"data-{name}-0/"))
    assert pvc.status_code == 200, pvc.content

    # Its pod, owned by it (Pending too, its claim unbound).
    pods = wait_for(
        lambda: developer().get(url(ready_ns, "statefulsets", f"{name}/pods/")).json()["pods"],
        60,
        0.5,
        what="the StatefulSet's pod",
    )
    assert [pod["name"] for pod in pods] == [f"{name}-0"]

    # A new image makes a second revision; the newest is what the spec asks for.
    (first,) = wait_revisions(developer(), ready_ns, "statefulsets", name, 1)
    assert first["images"] == [OLD] and first["revision"] == 1
    changed = developer().post(
        url(ready_ns, "statefulsets", "apply/"), {"documents": statefulset_documents(name, NEW)}, format="json"
    )
    assert changed.status_code == 200, changed.content
    newest, older = wait_revisions(developer(), ready_ns, "statefulsets", name, 2)
    assert (newest["revision"], newest["images"], newest["target"]) == (2, [NEW], True)
    assert (older["revision"], older["images"], older["target"]) == (1, [OLD], False)

    # Bad input: 400 on the field, and nothing changed.
    rollback = url(ready_ns, "statefulsets", f"{name}/rollback/")
    assert_refused(
        developer(),
        rollback,
        [({"revision": 99}, "revision"), ({"revision": "two"}, "revision"), ({"revision": 0}, "revision")],
    )
    assert (
        "there are: 2, 1"
        in developer()
        .post(url(ready_ns, "statefulsets", f"{name}/rollback/"), {"revision": 99}, format="json")
        .json()["errors"]["revision"][0]
    )
    assert live_images(tenancy, ready_ns, "statefulsets", name) == [NEW]
    # The newest revision is the spec already: nothing to do, and said so (as kubectl skips it).
    same = developer().post(rollback, {"revision": 2}, format="json")
    assert same.status_code == 200 and same.json()["rolled_back"] is False, same.content
    assert "nothing to roll back" in same.json()["message"]

    # The viewer reads the revisions but may not roll back.
    viewer = partial(api.as_, tenancy.viewer)
    assert len(revisions_of(viewer(), ready_ns, "statefulsets", name)) == 2
    assert_error_shape(viewer().post(url(ready_ns, "statefulsets", f"{name}/rollback/"), {}, format="json"), 403)
    assert_audited("statefulset.rollback", "StatefulSet", name, "denied")

    # Rollback (to the previous revision by default) restores the earlier image.
    rolled = developer().post(url(ready_ns, "statefulsets", f"{name}/rollback/"), {}, format="json")
    assert rolled.status_code == 200, rolled.content
    assert (rolled.json()["revision"], rolled.json()["rolled_back"]) == (1, True)
    assert_audited("statefulset.rollback", "StatefulSet", name)
    assert live_images(tenancy, ready_ns, "statefulsets", name) == [OLD]

    # The controller renumbers the restored template as the newest revision.
    def renumbered():
        rows = revisions_of(developer(), ready_ns, "statefulsets", name)
        return rows if [(r["revision"], r["images"]) for r in rows] == [(3, [OLD]), (2, [NEW])] else None

    wait_for(renumbered, 60, 0.5, what="revision 1 renumbered as 3")


def test_a_statefulsets_update_strategy_and_partition_land_in_its_spec(api, tenancy, ready_ns, unique):
    name = unique("sts")
    developer = partial(api.as_, tenancy.developer)
    documents = statefulset_documents(name)
    applied = developer().post(url(ready_ns, "statefulsets", "apply/"), {"documents": documents[1:]}, format="json")
    assert applied.status_code == 201, applied.content
    action = url(ready_ns, "statefulsets", f"{name}/update-strategy/")

    changed = developer().post(action, {"type": "RollingUpdate", "partition": 1}, format="json")
    assert changed.status_code == 200, changed.content
    assert_audited("statefulset.update-strategy", "StatefulSet", name)
    with kube.client_for(tenancy.cluster) as client:
        spec = objects.get_object(client, KINDS["statefulsets"], ready_ns.name, name)["spec"]
    # (maxUnavailable is the API server's default: 1, the MaxUnavailableStatefulSet gate being on.)
    assert (spec["updateStrategy"]["type"], spec["updateStrategy"]["rollingUpdate"]["partition"]) == (
        "RollingUpdate",
        1,
    )
    assert "warning" not in changed.json()
    bounded = developer().post(
        action, {"type": "RollingUpdate", "partition": 0, "maxUnavailable": "50%"}, format="json"
    )
    assert bounded.status_code == 200, bounded.content
    assert bounded.json()["update_strategy"]["rollingUpdate"] == {"partition": 0, "maxUnavailable": "50%"}

    # Above the replicas is allowed (the API server takes it), with a warning.
    above = developer().post(action, {"type": "RollingUpdate", "partition": 5}, format="json")
    assert above.status_code == 200, above.content
    assert "no pod will be updated" in above.json()["warning"]

    on_delete = developer().post(action, {"type": "OnDelete"}, format="json")
    assert on_delete.status_code == 200, on_delete.content
    assert on_delete.json()["update_strategy"] == {"type": "OnDelete"}

    assert_refused(
        developer(),
        action,
        [
            ({"type": "Sideways"}, "type"),
            ({"type": "RollingUpdate", "partition": -1}, "partition"),
            ({"type": "OnDelete", "partition": 1}, "partition"),
            ({"type": "RollingUpdate", "maxUnavailable": "0"}, "maxUnavailable"),
            ({"type": "RollingUpdate", "maxUnavailable": "101%"}, "maxUnavailable"),
            ({"type": "RollingUpdate", "maxUnavailable": "a few"}, "maxUnavailable"),
        ],
    )
    assert_audited("statefulset.update-strategy", "StatefulSet", name, "invalid")

    assert_error_shape(api.as_(tenancy.viewer).post(action, {"type": "OnDelete"}, format="json"), 403)

    # Another team's owner finds none of its actions; the API server would refuse them too.
    other = partial(api.as_, tenancy.users["b-owner"])
    for read in ("revisions", "pods", "claims"):
        assert_error_shape(other().get(url(ready_ns, "statefulsets", f"{name}/{read}/")), 404)
    for change, data in (("rollback", {}), ("update-strategy", {"type": "OnDelete"})):
        assert_error_shape(other().post(url(ready_ns, "statefulsets", f"{name}/{change}/"), data, format="json"), 404)
    with kube.client_for(tenancy.cluster, identity=identity_for(tenancy.users["b-owner"])) as client:
        with pytest.raises(kube.KubeForbidden):
            client.request_json("GET", f"/apis/apps/v1/namespaces/{ready_ns.name}/controllerrevisions")


def test_a_daemonset_has_a_pod_per_schedulable_node_and_rolls_back(api, tenancy, ready_ns, unique):
    name = unique("ds")
    developer = partial(api.as_, tenancy.developer)
    applied = developer().post(
        url(ready_ns, "daemonsets", "apply/"), {"documents": [daemonset_document(name)]}, format="json"
    )
    assert applied.status_code == 201, applied.content
    takes, refuses = schedulable_nodes(tenancy)
    assert takes, "the devcluster has no node a DaemonSet's pod can go to"

    def one_per_node():
        answer = developer().get(url(ready_ns, "daemonsets", f"{name}/pods/")).json()
        nodes = sorted(pod["node"] for pod in answer["pods"] if pod["phase"] == "Running")
        return answer if nodes == sorted(takes) and len(answer["pods"]) == len(takes) else None

    answer = wait_for(one_per_node, 90, 0.5, what=f"a Running pod on each of {takes}")
    # A team member may not list nodes: the rows come from the pods, and the answer says so.
    assert answer["nodes_visible"] is False
    assert sorted(row["node"] for row in answer["nodes"]) == sorted(takes)

    # A platform admin (outside the team: the portal's credential) sees every
    # node, the tainted ones without a pod and with their taint.
    seen = api.as_(tenancy.admin).get(url(ready_ns, "daemonsets", f"{name}/pods/")).json()
    assert seen["nodes_visible"] is True
    rows = {row["node"]: row for row in seen["nodes"]}
    assert sorted(rows) == sorted(takes + refuses)
    assert all(len(rows[node]["pods"]) == 1 for node in takes)
    assert all(rows[node]["pods"] == [] and rows[node]["taints"] for node in refuses)

    (first,) = wait_revisions(developer(), ready_ns, "daemonsets", name, 1)
    assert (first["images"], first["current"], first["pods"]) == ([OLD], True, len(takes))
    set_image_as_admin(tenancy, ready_ns, "daemonsets", name, NEW)
    newest, older = wait_revisions(developer(), ready_ns, "daemonsets", name, 2)
    assert (newest["revision"], newest["images"], newest["target"]) == (2, [NEW], True)
    assert (older["revision"], older["images"]) == (1, [OLD])

    assert_error_shape(
        api.as_(tenancy.viewer).post(url(ready_ns, "daemonsets", f"{name}/rollback/"), {"revision": 1}, format="json"),
        403,
    )
    body = assert_error_shape(
        developer().post(url(ready_ns, "daemonsets", f"{name}/rollback/"), {"revision": 7}, format="json"), 400
    )
    assert "revision" in body["errors"]
    rolled = developer().post(url(ready_ns, "daemonsets", f"{name}/rollback/"), {"revision": 1}, format="json")
    assert rolled.status_code == 200, rolled.content
    assert_audited("daemonset.rollback", "DaemonSet", name)
    assert live_images(tenancy, ready_ns, "daemonsets", name) == [OLD]
    # The change is the rollout manager's, so a later apply's conflict names it.
    with kube.client_for(tenancy.cluster) as client:
        managed = objects.get_object(client, KINDS["daemonsets"], ready_ns.name, name)["metadata"]["managedFields"]
    assert ROLLOUT_MANAGER in [entry["manager"] for entry in managed]

    # The pods follow: each runs the restored template again (its revision, renumbered 3).
    def rolled_out():
        rows = revisions_of(developer(), ready_ns, "daemonsets", name)
        top = rows[0]
        return top if (top["revision"], top["images"], top["pods"]) == (3, [OLD], len(takes)) else None

    wait_for(rolled_out, 90, 0.5, what="the DaemonSet's pods back on the earlier image")

    other = partial(api.as_, tenancy.users["b-owner"])
    for read in ("revisions", "pods"):
        assert_error_shape(other().get(url(ready_ns, "daemonsets", f"{name}/{read}/")), 404)
    assert_error_shape(other().post(url(ready_ns, "daemonsets", f"{name}/rollback/"), {}, format="json"), 404)
    # A DaemonSet has no claims action.
    assert_error_shape(developer().get(url(ready_ns, "daemonsets", f"{name}/claims/")), 405)


def test_a_daemonsets_update_strategy_is_validated_like_kubernetes(api, tenancy, ready_ns, unique):
    name = unique("ds")
    developer = partial(api.as_, tenancy.developer)
    applied = developer().post(
        url(ready_ns, "daemonsets", "apply/"), {"documents": [daemonset_document(name)]}, format="json"
    )
    assert applied.status_code == 201, applied.content
    action = url(ready_ns, "daemonsets", f"{name}/update-strategy/")

    changed = developer().post(action, {"type": "RollingUpdate", "maxUnavailable": 0, "maxSurge": "50%"}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["update_strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": "50%"}
    assert_audited("daemonset.update-strategy", "DaemonSet", name)

    assert_refused(
        developer(),
        action,
        [
            ({"type": "RollingUpdate", "maxUnavailable": "0", "maxSurge": "0%"}, "maxUnavailable"),
            ({"type": "RollingUpdate", "maxUnavailable": "0"}, "maxUnavailable"),
            ({"type": "RollingUpdate", "maxSurge": "150%"}, "maxSurge"),
            ({"type": "RollingUpdate", "maxSurge": "-1"}, "maxSurge"),
            ({"type": "OnDelete", "maxSurge": "1"}, "maxSurge"),
            # Exactly one of them is not 0 (Kubernetes' rule for DaemonSets).
            ({"type": "RollingUpdate", "maxUnavailable": "1", "maxSurge": "1"}, "maxSurge"),
        ],
    )
    # A surge alone: max unavailable is 0 beside it (its default, 1, would be refused).
    surged = developer().post(action, {"type": "RollingUpdate", "maxSurge": "1"}, format="json")
    assert surged.status_code == 200, surged.content
    assert surged.json()["update_strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}
    # A DaemonSet has no partition: the field is not its form's, and is ignored.
    ignored = developer().post(action, {"type": "RollingUpdate", "partition": 1}, format="json")
    assert ignored.status_code == 200 and "partition" not in ignored.json()["update_strategy"]["rollingUpdate"]

    on_delete = developer().post(action, {"type": "OnDelete"}, format="json")
    assert on_delete.status_code == 200 and on_delete.json()["update_strategy"] == {"type": "OnDelete"}, (
        on_delete.content
    )
    assert_error_shape(api.as_(tenancy.viewer).post(action, {"type": "RollingUpdate"}, format="json"), 403)
    assert_error_shape(api.as_(tenancy.users["b-owner"]).post(action, {"type": "RollingUpdate"}, format="json"), 404)
