"""What every object's page shows besides itself (workloads/actions/related.py):
conditions, owned objects and events, through the API and on the page,
against the devcluster (kwok runs the pods)."""

import html
from functools import partial

import pytest

from clusters import kube
from tests.api.generic import assert_error_shape
from tests.support.wait import wait_for
from tests.workloads.addresses import api_url as url
from tests.workloads.addresses import page_client, page_url
from workloads import columns, objects
from workloads.kinds import KINDS

pytestmark = pytest.mark.devcluster


def test_a_deployment_s_page_shows_its_conditions_replicasets_pods_and_events(api, tenancy, ready_ns, unique):
    name = unique("related")
    developer = partial(api.as_, tenancy.developer)
    manifest = KINDS["deployments"].template(name)
    manifest["spec"]["replicas"] = 2
    assert developer().post(url(ready_ns, "deployments", "apply/"), manifest, format="json").status_code == 201

    def ready():
        row = developer().get(url(ready_ns, "deployments", f"{name}/")).json()
        return row["status"]["state"] == "ready" or None

    wait_for(ready, 90, 0.5, what=f"Deployment {name} to be ready")

    viewer = partial(api.as_, tenancy.viewer)  # reads are for every role the API server lets read
    conditions = viewer().get(url(ready_ns, "deployments", f"{name}/conditions/"))
    assert conditions.status_code == 200, conditions.content
    available = {c["type"]: c for c in conditions.json()["conditions"]}["Available"]
    assert available["status"] == "True" and available["last_transition"]

    owned = viewer().get(url(ready_ns, "deployments", f"{name}/owned/")).json()
    assert (owned["kind"], owned["owned_kind"], owned["owned_plural"], owned["more"]) == (
        "Deployment",
        "ReplicaSet",
        "replicasets",
        False,
    )
    (replicaset,) = owned["items"]
    assert replicaset["name"].startswith(f"{name}-") and replicaset["status"]["state"] == "ready"
    pods = viewer().get(url(ready_ns, "replicasets", f"{replicaset['name']}/owned/")).json()
    assert pods["owned_kind"] == "Pod" and len(pods["items"]) == 2
    assert all(pod["name"].startswith(replicaset["name"]) for pod in pods["items"])

    events = viewer().get(url(ready_ns, "deployments", f"{name}/events/")).json()["events"]
    assert any(e["reason"] == "ScalingReplicaSet" and not e["warning"] for e in events), events
    assert [e["last_seen"] for e in events] == sorted((e["last_seen"] for e in events), reverse=True)

    # The page: summary beside the spec, then conditions, owned objects, events, and the YAML last.
    page = page_client(tenancy.viewer).get(page_url(ready_ns, "deployments", f"{name}/"))
    assert page.status_code == 200
    body = html.unescape(page.content.decode())
    order = [
        body.index(marker)
        for marker in (
            'class="detailgrid"',
            'id="summary"',
            'id="spec"',
            'id="conditions"',
            'id="owned"',
            'id="events"',
            'id="object-yaml"',
        )
    ]
    assert order == sorted(order), order
    assert f'href="{page_url(ready_ns, "replicasets", replicaset["name"] + "/")}"' in body
    assert 'data-reason="ScalingReplicaSet"' in body
    rs_page = html.unescape(
        page_client(tenancy.developer).get(page_url(ready_ns, "replicasets", f"{replicaset['name']}/")).content.decode()
    )
    for pod in pods["items"]:
        assert f'href="{page_url(ready_ns, "pods", pod["name"] + "/")}"' in rs_page

    # Another team's member finds no such namespace.
    other = api.as_(tenancy.users["b-owner"]).get(url(ready_ns, "deployments", f"{name}/owned/"))
    assert_error_shape(other, 404)
    assert developer().delete(url(ready_ns, "deployments", f"{name}/")).status_code == 204


def test_jobs_and_replication_controllers_own_their_pods_and_a_configmap_has_no_conditions(
    api, tenancy, ready_ns, unique
):
    developer = partial(api.as_, tenancy.developer)
    job = unique("job")
    assert (
        developer().post(url(ready_ns, "jobs", "apply/"), KINDS["jobs"].template(job), format="json").status_code == 201
    )
    # A ReplicationController is read-only here: made with the portal's credential.
    controller = unique("rc")
    manifest = KINDS["replicationcontrollers"].template(controller)
    manifest["metadata"]["namespace"] = ready_ns.name
    with kube.client_for(tenancy.cluster) as client:
        objects.apply_object(client, KINDS["replicationcontrollers"], manifest)

    def one_pod(plural, name):
        def check():
            owned = developer().get(url(ready_ns, plural, f"{name}/owned/")).json()
            return owned if len(owned["items"]) == 1 else None

        return wait_for(check, 90, 0.5, what=f"{plural} {name} to own its pod")

    for plural, name in (("jobs", job), ("replicationcontrollers", controller)):
        owned = one_pod(plural, name)
        assert owned["owned_kind"] == "Pod" and owned["items"][0]["name"].startswith(f"{name}-")
        page = page_client(tenancy.developer).get(page_url(ready_ns, plural, f"{name}/")).content.decode()
        assert f'href="{page_url(ready_ns, "pods", owned["items"][0]["name"] + "/")}"' in page
    assert_error_shape(developer().get(url(ready_ns, "cronjobs", "any/owned/")), 405)  # its Jobs are its history

    configmap = unique("cm")
    applied = developer().post(
        url(ready_ns, "configmaps", "apply/"), KINDS["configmaps"].template(configmap), format="json"
    )
    assert applied.status_code == 201
    assert developer().get(url(ready_ns, "configmaps", f"{configmap}/conditions/")).json()["conditions"] == []
    assert_error_shape(developer().get(url(ready_ns, "configmaps", f"{configmap}/owned/")), 405)
    page = page_client(tenancy.developer).get(page_url(ready_ns, "configmaps", f"{configmap}/")).content.decode()
    assert 'id="conditions"' not in page and 'id="owned"' not in page and 'id="events"' in page
    assert "greeting: hello" in html.unescape(page)  # a ConfigMap's data stands for its spec

    for plural, object_name in (("jobs", job), ("configmaps", configmap)):
        assert developer().delete(url(ready_ns, plural, f"{object_name}/")).status_code == 204
    with kube.client_for(tenancy.cluster) as client:
        objects.delete_object(client, KINDS["replicationcontrollers"], ready_ns.name, controller)


def test_selectors_and_current_metrics_read_as_kubernetes_writes_them():
    selector = {
        "matchLabels": {"app": "web"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["a", "b"]},
            {"key": "canary", "operator": "DoesNotExist"},
        ],
    }
    assert columns.selector_text(selector) == "app=web,tier in (a,b),!canary"
    assert columns.selector_text({"app": "legacy"}) == "app=legacy"  # a ReplicationController's plain map
    assert columns.selector_text(None) == ""
    hpa = {
        "status": {
            "currentMetrics": [
                {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 12}}},
                {"type": "Pods", "pods": {"metric": {"name": "qps"}, "current": {"averageValue": "3"}}},
            ]
        }
    }
    assert columns.hpa_current_metrics(hpa) == "cpu: 12%, qps: 3"
    assert columns.hpa_current_metrics({"status": {}}) == ""
