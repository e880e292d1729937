"""Rollout actions of Deployments (workloads/actions/rollout.py) through the
API, against the devcluster: each change is seen by the API server and its
controllers (kwok runs the pods). Every test works in a namespace of its own,
which the `tenancy` fixture deletes with everything in it."""

from functools import partial

import pytest

from clusters import kube
from portal.models import AuditEvent
from tests.api.generic import assert_error_shape
from tests.support.wait import wait_for
from workloads import columns, objects
from workloads.actions import replicasets
from workloads.kinds import KINDS

pytestmark = pytest.mark.devcluster

DEPLOYMENTS = KINDS["deployments"]
OLD, NEW, NEWER = "nginx:1.27", "nginx:1.28", "nginx:1.29"
# kwok makes a pod Ready in under a second; rollouts take a few of them.
ROLLOUT_TIMEOUT = 90


def url(namespace, plural, tail=""):
    return f"/api/v1/namespaces/{namespace.pk}/kinds/{plural}/{tail}"


def assert_audited(action, kind, name, result="success"):
    event = AuditEvent.objects.latest("pk")
    assert (event.action, event.result, event.target_kind, event.target_name) == (action, result, kind, name)
    return event


def make(api, tenancy, namespace, kind, name, **spec):
    manifest = kind.template(name)
    manifest["spec"].update(spec)
    response = api.as_(tenancy.developer).post(url(namespace, kind.plural, "apply/"), [manifest], format="json")
    assert response.status_code == 201, response.content
    return manifest


def live(tenancy, namespace, kind, name) -> dict:
    with kube.client_for(tenancy.cluster) as client:
        return objects.get_object(client, kind, namespace.name, name)


def owned(tenancy, namespace, name) -> list[dict]:
    """The Deployment's ReplicaSets, read with the portal's own credential."""
    with kube.client_for(tenancy.cluster) as client:
        deployment = objects.get_object(client, DEPLOYMENTS, namespace.name, name)
        return replicasets.owned_replicasets(client, namespace.name, deployment)


def pods_ready(tenancy, namespace, name) -> list[dict]:
    """The pods of the Deployment's ReplicaSets (a selector may match others' pods too)."""
    with kube.client_for(tenancy.cluster) as client:
        deployment = objects.get_object(client, DEPLOYMENTS, namespace.name, name)
        sets = {r["metadata"]["uid"] for r in replicasets.owned_replicasets(client, namespace.name, deployment)}
        selector = columns.selector_text(deployment["spec"]["selector"])
        pods = objects.list_page(client, KINDS["pods"], namespace.name, label_selector=selector)["items"]
    return [pod for pod in pods if any(ref["uid"] in sets for ref in pod["metadata"].get("ownerReferences", []))]


def rolled_out(api, tenancy, namespace, name, image=None) -> dict:
    """Wait until the rollout status says complete (and the pods run `image`)."""

    def complete():
        answer = api.as_(tenancy.developer).get(url(namespace, "deployments", f"{name}/rollout/")).json()
        if not answer.get("done"):
            return None
        pods = pods_ready(tenancy, namespace, name)
        alive = [p for p in pods if not columns.dig(p, "metadata", "deletionTimestamp")]
        if len(alive) != answer["desired"] or len(pods) != len(alive):
            return None
        if not all(columns.condition(p, "Ready").get("status") == "True" for p in alive):
            return None
        if image and {columns.images(p) for p in alive} != {image}:
            return None
        return answer

    return wait_for(complete, ROLLOUT_TIMEOUT, 0.5, what=f"the rollout of {name}")


def history(api, tenancy, namespace, name) -> list[dict]:
    response = api.as_(tenancy.viewer).get(url(namespace, "deployments", f"{name}/history/"))
    assert response.status_code == 200, response.content
    return response.json()["revisions"]


def post(api, user, namespace, name, action, body=None, plural="deployments"):
    return api.as_(user).post(url(namespace, plural, f"{name}/{action}/"), body or {}, format="json")


def test_set_image_rolls_out_and_rollback_restores_the_earlier_image(api, tenancy, ready_ns, unique):
    name = unique("roll")
    make(api, tenancy, ready_ns, DEPLOYMENTS, name, replicas=2)
    status = rolled_out(api, tenancy, ready_ns, name, OLD)
    assert (status["state"], status["desired"], status["available"], status["revision"]) == ("complete", 2, 2, 1)

    # Set image with the rolling figures: a new ReplicaSet runs the new image.
    body = {"container": name, "image": NEW, "maxSurge": "1", "maxUnavailable": "0"}
    answer = post(api, tenancy.developer, ready_ns, name, "set-image", body)
    assert answer.status_code == 200, answer.content
    assert (answer.json()["previous_image"], answer.json()["image"]) == (OLD, NEW)
    assert_audited("deployment.set-image", "Deployment", name)
    deployment = live(tenancy, ready_ns, DEPLOYMENTS, name)
    assert deployment["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
    }
    cause_new = f"set image {name}={NEW} via portal by {tenancy.developer.username}"
    assert deployment["metadata"]["annotations"][replicasets.CHANGE_CAUSE] == cause_new
    rolled_out(api, tenancy, ready_ns, name, NEW)
    sets = owned(tenancy, ready_ns, name)
    assert sorted(columns.images(r) for r in sets) == [OLD, NEW]

    # A percentage lands as given; the container defaults to the first.
    answer = post(api, tenancy.developer, ready_ns, name, "set-image", {"image": NEWER, "maxSurge": "50%"})
    assert answer.status_code == 200, answer.content
    rolling = live(tenancy, ready_ns, DEPLOYMENTS, name)["spec"]["strategy"]["rollingUpdate"]
    assert rolling == {"maxSurge": "50%", "maxUnavailable": 0}
    rolled_out(api, tenancy, ready_ns, name, NEWER)

    # The history lists every revision, newest first, with its cause and image.
    revisions = history(api, tenancy, ready_ns, name)
    assert [(r["revision"], r["images"], r["current"]) for r in revisions] == [
        (3, [NEWER], True),
        (2, [NEW], False),
        (1, [OLD], False),
    ]
    assert revisions[1]["change_cause"] == cause_new
    assert revisions[0]["change_cause"].startswith(f"set image {name}={NEWER} via portal")
    assert revisions[2]["change_cause"] == ""

    # Rollback to revision 2: its template and its change cause come back as revision 4.
    answer = post(api, tenancy.developer, ready_ns, name, "rollback", {"revision": 2})
    assert answer.status_code == 200, answer.content
    assert answer.json()["images"] == [NEW] and answer.json()["changed"] is True
    assert_audited("deployment.rollback", "Deployment", name)
    deployment = live(tenancy, ready_ns, DEPLOYMENTS, name)
    assert columns.images(deployment) == NEW
    assert deployment["metadata"]["annotations"][replicasets.CHANGE_CAUSE] == cause_new
    assert replicasets.POD_TEMPLATE_HASH not in deployment["spec"]["template"]["metadata"]["labels"]
    rolled_out(api, tenancy, ready_ns, name, NEW)
    revisions = history(api, tenancy, ready_ns, name)
    assert [(r["revision"], r["images"], r["current"]) for r in revisions] == [
        (4, [NEW], True),
        (3, [NEWER], False),
        (1, [OLD], False),
    ]
    assert revisions[0]["change_cause"] == cause_new

    # Without a revision, rollback goes to the previous one (kubectl rollout undo).
    answer = post(api, tenancy.developer, ready_ns, name, "rollback")
    assert answer.status_code == 200 and answer.json()["revision"] == 3, answer.content
    rolled_out(api, tenancy, ready_ns, name, NEWER)
    assert columns.images(live(tenancy, ready_ns, DEPLOYMENTS, name)) == NEWER


def test_pause_holds_the_rollout_and_resume_finishes_it(api, tenancy, ready_ns, unique):
    name = unique("pause")
    make(api, tenancy, ready_ns, DEPLOYMENTS, name)
    rolled_out(api, tenancy, ready_ns, name, OLD)

    answer = post(api, tenancy.developer, ready_ns, name, "pause")
    assert answer.status_code == 200 and answer.json()["changed"] is True, answer.content
    assert_audited("deployment.pause", "Deployment", name)
    assert live(tenancy, ready_ns, DEPLOYMENTS, name)["spec"]["paused"] is True
    again = post(api, tenancy.developer, ready_ns, name, "pause")
    assert again.status_code == 200 and again.json()["changed"] is False

    # Set image while paused: the controller sees the new template and makes no ReplicaSet for it.
    assert post(api, tenancy.developer, ready_ns, name, "set-image", {"image": NEW}).status_code == 200

    def observed():
        deployment = live(tenancy, ready_ns, DEPLOYMENTS, name)
        return deployment["status"].get("observedGeneration", 0) >= deployment["metadata"]["generation"]

    wait_for(observed, 30, 0.3, what="the paused Deployment's new generation to be observed")
    status = api.as_(tenancy.viewer).get(url(ready_ns, "deployments", f"{name}/rollout/")).json()
    assert (status["state"], status["paused"], status["done"]) == ("paused", True, False)
    assert [columns.images(r) for r in owned(tenancy, ready_ns, name)] == [OLD]
    assert {columns.images(p) for p in pods_ready(tenancy, ready_ns, name)} == {OLD}

    # kubectl refuses to restart or roll back a paused Deployment; so does the portal.
    for action in ("restart", "rollback"):
        body = assert_error_shape(post(api, tenancy.developer, ready_ns, name, action), 409)
        assert "resume it first" in body["detail"]

    answer = post(api, tenancy.developer, ready_ns, name, "resume")
    assert answer.status_code == 200 and answer.json()["changed"] is True, answer.content
    assert_audited("deployment.resume", "Deployment", name)
    status = rolled_out(api, tenancy, ready_ns, name, NEW)
    assert status["paused"] is False
    assert sorted(columns.images(r) for r in owned(tenancy, ready_ns, name)) == [OLD, NEW]


def test_restart_adds_the_annotation_and_a_new_replicaset(api, tenancy, ready_ns, unique):
    name = unique("restart")
    make(api, tenancy, ready_ns, DEPLOYMENTS, name)
    rolled_out(api, tenancy, ready_ns, name, OLD)
    first_pods = {p["metadata"]["name"] for p in pods_ready(tenancy, ready_ns, name)}

    answer = post(api, tenancy.developer, ready_ns, name, "restart")
    assert answer.status_code == 200, answer.content
    assert_audited("deployment.restart", "Deployment", name)
    annotations = live(tenancy, ready_ns, DEPLOYMENTS, name)["spec"]["template"]["metadata"]["annotations"]
    assert annotations["kubectl.kubernetes.io/restartedAt"] == answer.json()["restarted_at"]
    rolled_out(api, tenancy, ready_ns, name, OLD)
    sets = owned(tenancy, ready_ns, name)
    assert len(sets) == 2 and {columns.images(r) for r in sets} == {OLD}
    # The pods are new ones.
    assert not first_pods & {p["metadata"]["name"] for p in pods_ready(tenancy, ready_ns, name)}


def test_statefulsets_and_daemonsets_take_set_image_and_restart(api, tenancy, ready_ns, unique):
    statefulsets, daemonsets = KINDS["statefulsets"], KINDS["daemonsets"]
    stateful, daemon = unique("sts"), unique("ds")
    make(api, tenancy, ready_ns, statefulsets, stateful, serviceName=stateful)
    make(api, tenancy, ready_ns, daemonsets, daemon)

    answer = post(api, tenancy.developer, ready_ns, stateful, "set-image", {"image": NEW}, plural="statefulsets")
    assert answer.status_code == 200, answer.content
    assert_audited("statefulset.set-image", "StatefulSet", stateful)
    assert columns.images(live(tenancy, ready_ns, statefulsets, stateful)) == NEW
    # A StatefulSet has no maxSurge to set here: refused, not dropped.
    body = {"image": NEWER, "maxSurge": "1"}
    refused = post(api, tenancy.developer, ready_ns, stateful, "set-image", body, plural="statefulsets")
    assert "Deployments and DaemonSets only" in str(assert_error_shape(refused, 400)["errors"])

    body = {"image": NEW, "maxUnavailable": "50%"}
    answer = post(api, tenancy.developer, ready_ns, daemon, "set-image", body, plural="daemonsets")
    assert answer.status_code == 200, answer.content
    assert_audited("daemonset.set-image", "DaemonSet", daemon)
    daemonset = live(tenancy, ready_ns, daemonsets, daemon)
    assert columns.images(daemonset) == NEW
    assert daemonset["spec"]["updateStrategy"]["rollingUpdate"]["maxUnavailable"] == "50%"

    for plural, obj_name, kind in ((statefulsets, stateful, "StatefulSet"), (daemonsets, daemon, "DaemonSet")):
        answer = post(api, tenancy.developer, ready_ns, obj_name, "restart", plural=plural.plural)
        assert answer.status_code == 200, answer.content
        assert_audited(f"{kind.lower()}.restart", kind, obj_name)
        template = live(tenancy, ready_ns, plural, obj_name)["spec"]["template"]
        assert template["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] == answer.json()["restarted_at"]


CHANGES = ["set-image", "pause", "resume", "restart", "rollback"]


def test_roles_other_teams_and_bad_input(api, tenancy, ready_ns, unique):
    name = unique("guard")
    make(api, tenancy, ready_ns, DEPLOYMENTS, name)
    rolled_out(api, tenancy, ready_ns, name, OLD)  # revision 1 is there to be named
    developer = partial(post, api, tenancy.developer, ready_ns, name)

    # A viewer reads the rollout and the history, and changes nothing.
    for read in ("rollout", "history"):
        assert api.as_(tenancy.viewer).get(url(ready_ns, "deployments", f"{name}/{read}/")).status_code == 200
    for action in CHANGES:
        body = assert_error_shape(post(api, tenancy.viewer, ready_ns, name, action, {"image": NEW}), 403)
        assert "reads objects" in body["detail"]
        assert_audited(f"deployment.{action}", "Deployment", name, result="denied")
    assert columns.images(live(tenancy, ready_ns, DEPLOYMENTS, name)) == OLD

    # Another team's member finds nothing, for every action.
    other = tenancy.users["b-owner"]
    for action in CHANGES:
        assert_error_shape(post(api, other, ready_ns, name, action, {"image": NEW}), 404)
    for read in ("rollout", "history"):
        assert_error_shape(api.as_(other).get(url(ready_ns, "deployments", f"{name}/{read}/")), 404)

    # Bad input: a 400 naming the field, and nothing changed.
    cases = [
        ({"container": "nope", "image": NEW}, "container", f"has no container called nope; it has: {name}"),
        ({"image": "Not An Image"}, "image", "Not an image reference"),
        ({"image": "nginx:"}, "image", "Not an image reference"),
        ({"image": NEW, "maxSurge": "abc"}, "maxSurge", "percentage such as 25%"),
        ({"image": NEW, "maxSurge": "-1"}, "maxSurge", "percentage such as 25%"),
        ({"image": NEW, "maxSurge": "\u00b2"}, "maxSurge", "percentage such as 25%"),  # a digit to str.isdigit
        ({"image": "nginx:\u00fc"}, "image", "Not an image reference"),
        ({"image": NEW, "maxUnavailable": "150%"}, "maxUnavailable", "At most 100%"),
        ({"image": NEW, "maxSurge": "0", "maxUnavailable": "0%"}, "maxUnavailable", "Cannot be 0"),
        ({"image": NEW, "maxSurge": "00%", "maxUnavailable": 0}, "maxUnavailable", "Cannot be 0"),
    ]
    for body, field, message in cases:
        errors = assert_error_shape(developer("set-image", body), 400)["errors"]
        assert message in " ".join(errors.get(field, [])), (body, errors)
    assert_audited("deployment.set-image", "Deployment", name, result="invalid")
    # Zero surge against the object's zero unavailability: checked with the live object.
    assert developer("set-image", {"image": OLD, "maxUnavailable": "0"}).status_code == 200
    errors = assert_error_shape(developer("set-image", {"image": NEW, "maxSurge": "0"}), 400)["errors"]
    assert "both be 0" in errors["maxSurge"][0]

    errors = assert_error_shape(developer("rollback", {"revision": 42}), 400)["errors"]
    assert "has no revision 42; it has: 1" in errors["revision"][0]
    assert_audited("deployment.rollback", "Deployment", name, result="invalid")
    errors = assert_error_shape(developer("rollback"), 400)["errors"]
    assert "no earlier revision" in errors["revision"][0]
    errors = assert_error_shape(developer("rollback", {"revision": "x"}), 400)["errors"]
    assert "revision" in errors
    assert columns.images(live(tenancy, ready_ns, DEPLOYMENTS, name)) == OLD

    # A read is not posted, a change is not read; a ConfigMap has no rollout.
    assert_error_shape(developer("rollout"), 405)
    assert_error_shape(api.as_(tenancy.developer).get(url(ready_ns, "deployments", f"{name}/restart/")), 405)
    assert_error_shape(api.as_(tenancy.developer).get(url(ready_ns, "configmaps", f"{name}/rollout/")), 405)


def test_history_keeps_to_the_deployments_own_replicasets(api, tenancy, ready_ns, unique):
    """Two Deployments with overlapping selectors (one by matchExpressions):
    each history lists only the ReplicaSets it controls."""
    wide, narrow = unique("wide"), unique("narrow")
    make(api, tenancy, ready_ns, DEPLOYMENTS, wide)
    label = {"app.kubernetes.io/name": wide, "tier": "narrow"}
    selector = {
        "matchExpressions": [
            {"key": "app.kubernetes.io/name", "operator": "In", "values": [wide]},
            {"key": "tier", "operator": "Exists"},
        ]
    }
    template = DEPLOYMENTS.template(narrow)["spec"]["template"]
    template["metadata"]["labels"] = label
    template["spec"]["containers"][0]["image"] = NEW
    make(
        api, tenancy, ready_ns, DEPLOYMENTS, narrow, selector=selector, template=template, strategy={"type": "Recreate"}
    )
    rolled_out(api, tenancy, ready_ns, narrow, NEW)

    def both_have_one():
        return len(owned(tenancy, ready_ns, wide)) == 1 and len(owned(tenancy, ready_ns, narrow)) == 1

    wait_for(both_have_one, 30, 0.3, what="each Deployment's ReplicaSet")
    # The wide selector matches the narrow Deployment's ReplicaSet too; its uid says whose it is.
    assert [r["images"] for r in history(api, tenancy, ready_ns, wide)] == [[OLD]]
    assert [r["images"] for r in history(api, tenancy, ready_ns, narrow)] == [[NEW]]

    # Rolling figures make a Recreate Deployment a rolling one (the API server fills in the rest).
    answer = post(api, tenancy.developer, ready_ns, narrow, "set-image", {"image": NEWER, "maxSurge": "1"})
    assert answer.status_code == 200, answer.content
    strategy = live(tenancy, ready_ns, DEPLOYMENTS, narrow)["spec"]["strategy"]
    assert strategy == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": "25%"}}
    rolled_out(api, tenancy, ready_ns, narrow, NEWER)
    assert [r["images"] for r in history(api, tenancy, ready_ns, narrow)] == [[NEWER], [NEW]]
    assert [r["images"] for r in history(api, tenancy, ready_ns, wide)] == [[OLD]]


def test_a_rollout_the_quota_starves_says_why(api, tenancy, ready_ns, unique):
    name = unique("starved")
    make(api, tenancy, ready_ns, DEPLOYMENTS, name, replicas=tenancy.plan.pods + 1)

    def blocked():
        answer = api.as_(tenancy.viewer).get(url(ready_ns, "deployments", f"{name}/rollout/")).json()
        return answer if answer.get("blocked") else None

    answer = wait_for(blocked, 60, 0.5, what="the quota's refusal in the rollout status")
    assert answer["state"] == "progressing" and answer["done"] is False
    assert "exceeded quota" in answer["blocked"] and answer["message"].endswith(answer["blocked"])
