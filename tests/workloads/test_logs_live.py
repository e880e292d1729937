"""Pod and Job logs (workloads/actions/logs.py) against the devcluster.

The devcluster's nodes are kwok's, and kwok's server is their kubelet API:
asked for a log, the API server reaches it at the node's address and reads
the log file the devcluster's container-log stand-in wrote for that container
(devcluster/containerlogs.py: no container runs, the file says so and names
its container and pod; five lines, the fourth on stderr). So these tests read
real text through the real path: the portal as the user, the API server with
RBAC, the kubelet API with the options the portal chose.
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
from workloads.kinds import KINDS

pytestmark = [pytest.mark.devcluster, pytest.mark.django_db]

PODS, JOBS = KINDS["pods"], KINDS["jobs"]
LAST_LINE = "line 5 of 5 ({container})"


def first_line(namespace, pod, container, kind="container"):
    """The first line of a container's log on the devcluster (containerlogs.py)."""
    return f"devcluster stand-in log of {kind} {container} in pod {namespace.name}/{pod}"


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


def wait_running(tenancy, namespace, name):
    """Logs are there once the pod runs (before, the API server or kubelet refuses)."""

    def running():
        with kube.client_for(tenancy.cluster) as client:
            pod = objects.get_object(client, PODS, namespace.name, name)
        return (pod.get("status") or {}).get("phase") in ("Running", "Succeeded")

    wait_for(running, 60, 0.3, what=f"pod {name} running")


def log_text(response) -> str:
    assert response.status_code == 200, response.content
    return response.json()["text"]


@pytest.fixture
def pod(api, tenancy, ready_ns, unique):
    name = unique("logs")
    apply(api, tenancy.developer, ready_ns, pod_manifest(name))
    wait_running(tenancy, ready_ns, name)
    return name


def test_a_viewer_reads_a_pods_log_with_the_options_chosen(api, tenancy, ready_ns, pod):
    viewer = partial(api.as_, tenancy.viewer)
    logs_url = url(ready_ns, "pods", f"{pod}/logs/")

    # Default: the first container, its whole (short) log, stdout and stderr.
    answer = viewer().get(logs_url)
    text = log_text(answer)
    lines = text.splitlines()
    assert lines[0] == first_line(ready_ns, pod, "app")
    assert lines[-2:] == ["line 4 of 5 (app, written to stderr)", LAST_LINE.format(container="app")]
    assert answer.json()["container"] == "app" and answer.json()["lines"] == 5
    assert [c["name"] for c in answer.json()["containers"]] == ["init", "app", "sidecar"]

    # Another container, the last lines only, with timestamps.
    text = log_text(viewer().get(logs_url, {"container": "sidecar", "tail_lines": 2, "timestamps": "on"}))
    stamped = text.splitlines()
    assert len(stamped) == 2
    stamp, line = stamped[-1].split(" ", 1)
    assert line == LAST_LINE.format(container="sidecar") and stamp.endswith("Z") and "T" in stamp
    assert "Z line" not in log_text(viewer().get(logs_url, {"container": "sidecar", "tail_lines": 2}))
    init = log_text(viewer().get(logs_url, {"container": "init"}))
    assert init.startswith(first_line(ready_ns, pod, "init", kind="init container"))

    # A download is the same text as an attachment named after pod and container.
    download = viewer().get(logs_url, {"container": "sidecar", "download": "on"})
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="{pod}-sidecar.log"'
    assert download.content.decode().startswith(first_line(ready_ns, pod, "sidecar"))

    # Refused per field, before the API server is asked.
    body = assert_error_shape(viewer().get(logs_url, {"container": "nope"}), 400)
    assert "it has: init, app, sidecar" in body["errors"]["container"][0]
    body = assert_error_shape(viewer().get(logs_url, {"container": "app", "previous": "on"}), 400)
    assert "has not restarted" in body["errors"]["previous"][0]
    for tail in (0, 10001, "x"):
        assert "tail_lines" in assert_error_shape(viewer().get(logs_url, {"tail_lines": tail}), 400)["errors"]

    # Another team's member finds nothing; nobody signed in, nothing at all.
    assert_error_shape(api.as_(tenancy.users["b-owner"]).get(logs_url), 404)
    assert_error_shape(api.as_(None).get(logs_url), 401)


def test_the_api_servers_refusals_are_field_errors(tenancy, ready_ns, pod):
    """Asked directly (as the portal would if its own check let it through), the
    API server refuses a container the pod does not have; another team's member
    is forbidden the log by RBAC."""
    path = f"{PODS.collection_path(ready_ns.name)}/{pod}/log"
    with kube.client_for(tenancy.cluster, identity=identity_for(tenancy.viewer)) as client:
        with pytest.raises(kube.KubeInvalid) as refused:
            logs.open_log(client, path, [("container", "nope")], read_seconds=10)
    assert "container nope is not valid" in refused.value.field_errors["container"][0]
    with kube.client_for(tenancy.cluster, identity=identity_for(tenancy.users["b-owner"])) as client:
        with pytest.raises(kube.KubeForbidden):
            logs.open_log(client, path, [("container", "app")], read_seconds=10)


def test_a_followed_log_streams_the_lines_and_ends_at_its_deadline(api, tenancy, ready_ns, pod, monkeypatch):
    """kwok's kubelet API keeps a followed log open (its containers never stop):
    the portal's stream gives what is there and ends when its time is up."""
    monkeypatch.setattr(logs, "FOLLOW_SECONDS", 2)
    followed = api.as_(tenancy.viewer).get(url(ready_ns, "pods", f"{pod}/logs/"), {"follow": "on", "tail_lines": 3})
    assert followed.status_code == 200 and followed.streaming
    assert followed["Content-Type"].startswith("text/plain")
    lines = b"".join(followed.streaming_content).decode().splitlines()  # ends: the deadline
    assert lines == [
        f"image {PODS.template(pod)['spec']['containers'][0]['image']}",
        "line 4 of 5 (app, written to stderr)",
        LAST_LINE.format(container="app"),
    ]

    # The machinery itself, as the member: closing again (as the server does
    # when the response ends) finds nothing left to close.
    client = kube.client_for(tenancy.cluster, identity=identity_for(tenancy.viewer))
    path = f"{PODS.collection_path(ready_ns.name)}/{pod}/log"
    stream = logs.FollowedLog(
        client, logs.open_log(client, path, [("container", "app"), ("follow", "true")], read_seconds=60)
    )
    assert b"".join(stream).decode().startswith(first_line(ready_ns, pod, "app"))
    stream.close()
    assert stream.client is None

    downloaded = api.as_(tenancy.viewer).get(
        url(ready_ns, "pods", f"{pod}/logs/"), {"follow": "on", "download": "on", "container": "init"}
    )
    assert downloaded["Content-Disposition"] == f'attachment; filename="{pod}-init.log"'
    assert (
        b"".join(downloaded.streaming_content)
        .decode()
        .startswith(first_line(ready_ns, pod, "init", kind="init container"))
    )


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
    wait_running(tenancy, ready_ns, pod)
    logs_url = url(ready_ns, "jobs", f"{name}/logs/")
    developer = api.as_(tenancy.developer)
    answer = developer.get(logs_url)
    assert log_text(answer).startswith(first_line(ready_ns, pod, name))
    assert answer.json()["pod"] == pod and answer.json()["pods"] == [pod]
    assert log_text(developer.get(logs_url, {"pod": pod, "tail_lines": 1})) == LAST_LINE.format(container=name) + "\n"
    body = assert_error_shape(developer.get(logs_url, {"pod": "someone-else"}), 400)
    assert pod in body["errors"]["pod"][0]
    # A CronJob has no logs of its own (its Jobs do).
    assert_error_shape(developer.get(url(ready_ns, "cronjobs", f"{name}/logs/")), 405)


def test_the_logs_page_shows_the_options_and_the_log(tenancy, ready_ns, pod):
    viewer = Client()
    viewer.force_login(tenancy.viewer)
    detail = viewer.get(page(ready_ns, "pods", f"{pod}/")).content.decode()
    assert f'href="{page(ready_ns, "pods", f"{pod}/logs/")}" id="page-logs"' in detail

    shown = viewer.get(page(ready_ns, "pods", f"{pod}/logs/"), {"container": "sidecar", "tail_lines": 50})
    assert shown.status_code == 200
    text = shown.content.decode()
    assert 'id="log-text"' in text and first_line(ready_ns, pod, "sidecar") in text
    assert LAST_LINE.format(container="sidecar") in text and 'id="logs-error"' not in text
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
