"""Pod and Job logs (workloads/actions/logs.py) against the devcluster.

The devcluster's nodes are kwok's, which here serve no logs: kwok runs
without a server address or log configuration (devcluster/components.py),
so the API server, asked for a log, dials the node's kubelet at
https://<node name>:10250 and answers 500 ("dial tcp: lookup <node>: no such
host"). The portal passes that on as a 502 with the API server's words, and
those words hold the kubelet URL the API server built: the container and
the options the portal sent. So these tests check what can be checked
honestly: the parameters reach the API server as the user (RBAC let a
viewer read), the refusals are field messages, never a 500.
"""

from functools import partial

import pytest
from django.test import Client

from clusters import kube
from rbac.identity import identity_for
from tests.api.generic import assert_error_shape
from tests.support.wait import wait_for
from workloads import objects
from workloads.actions import logs
from workloads.actions.logs import LIMIT_BYTES
from workloads.kinds import KINDS

pytestmark = [pytest.mark.devcluster, pytest.mark.django_db]

PODS, JOBS = KINDS["pods"], KINDS["jobs"]
NO_KUBELET = "no such host"


def url(namespace, plural, tail=""):
    return f"/api/v1/namespaces/{namespace.pk}/kinds/{plural}/{tail}"


def page(namespace, plural, tail=""):
    return f"/workloads/namespaces/{namespace.pk}/{plural}/{tail}"


def pod_manifest(name):
    """A pod with an init container and two containers to choose from."""
    manifest = PODS.template(name)
    app = manifest["spec"]["containers"][0]
    manifest["spec"]["initContainers"] = [dict(app, name="init")]
    manifest["spec"]["containers"] = [dict(app, name="app"), dict(app, name="sidecar")]
    return manifest


def apply(api, user, namespace, manifest):
    plural = manifest["kind"].lower() + "s"
    response = api.as_(user).post(url(namespace, plural, "apply/"), {"documents": [manifest]}, format="json")
    assert response.status_code == 201, response.content


def kubelet_url(response) -> str:
    """The kubelet URL the API server tried, from its answer (502)."""
    body = assert_error_shape(response, 502)
    assert NO_KUBELET in body["detail"], body
    return body["detail"]


@pytest.fixture
def pod(api, tenancy, ready_ns, unique):
    name = unique("logs")
    apply(api, tenancy.developer, ready_ns, pod_manifest(name))
    return name


def test_a_pods_log_is_asked_for_with_the_options_chosen_as_the_user(api, tenancy, ready_ns, pod):
    viewer = partial(api.as_, tenancy.viewer)
    logs = url(ready_ns, "pods", f"{pod}/logs/")

    # Default: the first container, the last 500 lines, bounded in bytes.
    said = kubelet_url(viewer().get(logs))
    assert f"/containerLogs/{ready_ns.name}/{pod}/app?" in said
    assert "tailLines=500" in said and f"limitBytes={LIMIT_BYTES}" in said
    assert "previous" not in said and "timestamps" not in said and "follow" not in said

    said = kubelet_url(viewer().get(logs, {"container": "sidecar", "tail_lines": 20, "timestamps": "on"}))
    assert f"/{pod}/sidecar?" in said and "tailLines=20" in said and "timestamps=true" in said
    assert f"/{pod}/init?" in kubelet_url(viewer().get(logs, {"container": "init"}))

    # Followed: the API server is asked to follow; its refusal comes before any stream.
    said = kubelet_url(viewer().get(logs, {"follow": "on"}))
    assert "follow=true" in said and "limitBytes" not in said
    # A download that cannot be read is the same error, not an empty file.
    assert "Content-Disposition" not in viewer().get(logs, {"download": "on"})

    # Refused per field, before the API server is asked.
    body = assert_error_shape(viewer().get(logs, {"container": "nope"}), 400)
    assert "it has: init, app, sidecar" in body["errors"]["container"][0]
    body = assert_error_shape(viewer().get(logs, {"container": "app", "previous": "on"}), 400)
    assert "has not restarted" in body["errors"]["previous"][0]
    for tail in (0, 10001, "x"):
        assert "tail_lines" in assert_error_shape(viewer().get(logs, {"tail_lines": tail}), 400)["errors"]

    # Another team's member finds nothing; nobody signed in, nothing at all.
    assert_error_shape(api.as_(tenancy.users["b-owner"]).get(logs), 404)
    assert_error_shape(api.as_(None).get(logs), 401)
    # And the API server itself refuses that member the log.
    with kube.client_for(tenancy.cluster, identity=identity_for(tenancy.users["b-owner"])) as client:
        with pytest.raises(kube.KubeForbidden):
            client.request_json("GET", f"{PODS.collection_path(ready_ns.name)}/{pod}/log")


def test_a_jobs_log_is_its_newest_pods(api, tenancy, ready_ns, unique):
    name = unique("logjob")
    apply(api, tenancy.developer, ready_ns, JOBS.template(name))

    def pods():
        with kube.client_for(tenancy.cluster) as client:
            found = objects.list_page(
                client, PODS, ready_ns.name, label_selector=f"batch.kubernetes.io/job-name={name}"
            )
        return [p["metadata"]["name"] for p in found["items"]]

    (pod,) = wait_for(pods, 60, 0.5, what=f"a pod of Job {name}")
    logs = url(ready_ns, "jobs", f"{name}/logs/")
    developer = api.as_(tenancy.developer)
    assert f"/containerLogs/{ready_ns.name}/{pod}/{name}?" in kubelet_url(developer.get(logs))
    assert f"/{pod}/{name}?" in kubelet_url(developer.get(logs, {"pod": pod}))
    body = assert_error_shape(developer.get(logs, {"pod": "someone-else"}), 400)
    assert pod in body["errors"]["pod"][0]
    # A CronJob has no logs of its own (its Jobs do).
    assert_error_shape(developer.get(url(ready_ns, "cronjobs", f"{name}/logs/")), 405)


def test_the_logs_page_shows_the_options_and_the_api_servers_answer(tenancy, ready_ns, pod):
    viewer = Client()
    viewer.force_login(tenancy.viewer)
    detail = viewer.get(page(ready_ns, "pods", f"{pod}/")).content.decode()
    assert f'href="{page(ready_ns, "pods", f"{pod}/logs/")}" id="page-logs"' in detail

    shown = viewer.get(page(ready_ns, "pods", f"{pod}/logs/"), {"container": "sidecar", "tail_lines": 50})
    assert shown.status_code == 502
    text = shown.content.decode()
    assert 'id="logs-error"' in text and NO_KUBELET in text and f"/{pod}/sidecar?" in text
    for field in ("container", "tail_lines", "previous", "timestamps", "follow", "download"):
        assert f'name="{field}"' in text
    assert 'value="50"' in text

    refused = viewer.get(page(ready_ns, "pods", f"{pod}/logs/"), {"container": "nope"})
    assert refused.status_code == 400 and "it has: init, app, sidecar" in refused.content.decode()
    refused = viewer.get(page(ready_ns, "pods", f"{pod}/logs/"), {"tail_lines": 10001})
    assert refused.status_code == 400 and 'id="field-tail_lines"' in refused.content.decode()

    outsider = Client()
    outsider.force_login(tenancy.users["b-owner"])
    assert outsider.get(page(ready_ns, "pods", f"{pod}/logs/")).status_code == 404


def test_a_followed_stream_is_read_as_it_comes_and_ends_at_its_deadline(tenancy, ready_ns, monkeypatch):
    """The follow machinery on a stream the devcluster does serve: a watch of
    the namespace's ConfigMaps, opened as the member (a log would be opened the
    same way, on its own path). It yields what the API server sends and ends
    when its time is up, though the watch itself would go on."""
    monkeypatch.setattr(logs, "FOLLOW_SECONDS", 2)
    client = kube.client_for(tenancy.cluster, identity=identity_for(tenancy.viewer))
    path = KINDS["configmaps"].collection_path(ready_ns.name)
    response = logs.open_log(client, path, [("watch", "true")], read_seconds=60)
    followed = logs.FollowedLog(client, response)
    received = b"".join(followed)  # ends: the deadline cuts the quiet watch
    assert b'"type":"ADDED"' in received and b"kube-root-ca.crt" in received
    followed.close()  # again, as the server does when the response ends: nothing left to close
    assert followed.client is None

    # A refusal comes before any stream: another team's member is forbidden by the API server.
    with kube.client_for(tenancy.cluster, identity=identity_for(tenancy.users["b-owner"])) as other:
        with pytest.raises(kube.KubeForbidden):
            logs.open_log(other, path, [("watch", "true")], read_seconds=60)
