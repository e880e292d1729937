"""Rollout actions of Deployments on the object's page (the generic action
pages with workloads/actions/rollout.py's partials), through Django's test
client against the devcluster: what the page offers, what a form changes in
the cluster, and how refusals read. The `tenancy` fixture deletes the
namespace with everything in it."""

import re

import pytest
from django.test import Client

from clusters import kube
from portal.models import AuditEvent
from tests.support.wait import wait_for
from workloads import columns, objects, services
from workloads.actions.rollout import rollout_status
from workloads.kinds import KINDS

pytestmark = [pytest.mark.devcluster, pytest.mark.django_db]

DEPLOYMENTS = KINDS["deployments"]
OLD, NEW = "nginx:1.27", "nginx:1.28"
CHANGES = ["set-image", "pause", "resume", "restart", "rollback"]


def as_(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(namespace, name, tail=""):
    return f"/workloads/namespaces/{namespace.pk}/deployments/{name}/{tail}"


def text(response) -> str:
    return response.content.decode()


def live(tenancy, namespace, name) -> dict:
    with kube.client_for(tenancy.cluster) as client:
        return objects.get_object(client, DEPLOYMENTS, namespace.name, name)


def wait_rolled_out(tenancy, namespace, name, image):
    def done():
        deployment = live(tenancy, namespace, name)
        return rollout_status(deployment)["done"] and columns.images(deployment) == image

    wait_for(done, 90, 0.5, what=f"the rollout of {name} to {image}")


def revisions_on(page: str) -> list[str]:
    return re.findall(r'<tr data-revision="(\d+)"', page)


def last_event():
    return AuditEvent.objects.latest("pk")


@pytest.fixture
def deployment(tenancy, ready_ns, unique):
    name = unique("web")
    services.live_apply(user=tenancy.developer, namespace=ready_ns, documents=[DEPLOYMENTS.template(name)])
    wait_rolled_out(tenancy, ready_ns, name, OLD)
    return name


def test_the_page_shows_the_rollout_and_its_forms_change_the_deployment(tenancy, ready_ns, deployment):
    name, developer = deployment, as_(tenancy.developer)
    page = text(developer.get(url(ready_ns, name)))
    assert 'id="rollout"' in page and 'data-state="complete"' in page
    assert revisions_on(page) == ["1"]
    assert f'<option value="{name}" selected>{name}</option>' in page  # the container, chosen from the object's
    assert f'value="{OLD}"' in page  # the image field starts from the current one
    for form in ("set-image-form", "pause-form", "restart-form", "rollback-form"):
        assert f'id="{form}"' in page, form
    assert 'id="resume-form"' not in page  # only the one that applies
    assert 'id="rollback-1"' not in page  # no rolling back to what runs

    changed = developer.post(url(ready_ns, name, "set-image/"), {"container": name, "image": NEW, "maxSurge": "1"})
    assert changed.status_code == 302 and changed["Location"] == url(ready_ns, name)
    assert (last_event().action, last_event().target_kind, last_event().target_name) == (
        "deployment.set-image",
        "Deployment",
        name,
    )
    page = text(developer.get(changed["Location"]))
    assert f"Set the image of {name} to {NEW} (it was {OLD})." in page
    assert live(tenancy, ready_ns, name)["spec"]["strategy"]["rollingUpdate"]["maxSurge"] == 1
    wait_rolled_out(tenancy, ready_ns, name, NEW)
    page = text(developer.get(url(ready_ns, name)))
    assert revisions_on(page) == ["2", "1"]
    assert f"set image {name}={NEW} via portal by {tenancy.developer.username}" in page
    assert 'id="rollback-1"' in page and 'id="rollback-2"' not in page

    # Pause: the page then offers resume, and the rollout reads as paused.
    assert developer.post(url(ready_ns, name, "pause/")).status_code == 302
    assert last_event().action == "deployment.pause"
    page = text(developer.get(url(ready_ns, name)))
    assert 'id="resume-form"' in page and 'id="pause-form"' not in page
    assert 'data-state="paused"' in page
    assert 'id="rollback-1"' not in page and "resume it to roll back" in page  # kubectl refuses it too
    assert developer.post(url(ready_ns, name, "resume/")).status_code == 302
    assert last_event().action == "deployment.resume"
    page = text(developer.get(url(ready_ns, name)))
    assert 'id="pause-form"' in page and 'id="resume-form"' not in page

    # Roll back from the history's row: the earlier image comes back.
    rolled = developer.post(url(ready_ns, name, "rollback/"), {"revision": "1"})
    assert rolled.status_code == 302
    assert (last_event().action, last_event().target_name) == ("deployment.rollback", name)
    assert "back to revision 1" in text(developer.get(rolled["Location"]))
    wait_rolled_out(tenancy, ready_ns, name, OLD)
    assert revisions_on(text(developer.get(url(ready_ns, name)))) == ["3", "2"]

    restarted = developer.post(url(ready_ns, name, "restart/"))
    assert restarted.status_code == 302 and last_event().action == "deployment.restart"
    assert "kubectl.kubernetes.io/restartedAt" in live(tenancy, ready_ns, name)["spec"]["template"]["metadata"].get(
        "annotations", {}
    )


def test_bad_input_is_a_message_on_the_page_and_changes_nothing(tenancy, ready_ns, deployment):
    name, developer = deployment, as_(tenancy.developer)
    cases = [
        ("set-image/", {"container": "nope", "image": NEW}, f"has no container called nope; it has: {name}."),
        ("set-image/", {"container": name, "image": "Not An Image"}, "Not an image reference"),
        ("set-image/", {"container": name, "image": NEW, "maxSurge": "abc"}, "percentage such as 25%"),
        ("set-image/", {"container": name, "image": NEW, "maxSurge": "0", "maxUnavailable": "0"}, "Cannot be 0"),
        ("rollback/", {"revision": "42"}, "has no revision 42; it has: 1."),
        ("rollback/", {}, "no earlier revision"),
    ]
    for tail, data, message in cases:
        response = developer.post(url(ready_ns, name, tail), data)
        assert response.status_code == 400, (tail, data)
        assert message in text(response), (tail, data)
        assert 'id="rollout"' in text(response)  # still the object's page
        assert (last_event().action, last_event().result) == (f"deployment.{tail.rstrip('/')}", "invalid")
    assert columns.images(live(tenancy, ready_ns, name)) == OLD


def test_viewers_read_the_rollout_and_other_teams_find_nothing(tenancy, ready_ns, deployment):
    name, viewer = deployment, as_(tenancy.viewer)
    page = text(viewer.get(url(ready_ns, name)))
    assert 'id="rollout"' in page and revisions_on(page) == ["1"]
    for form in ("set-image-form", "pause-form", "restart-form", "rollback-form"):
        assert f'id="{form}"' not in page
    for action in CHANGES:
        refused = viewer.post(url(ready_ns, name, f"{action}/"), {"image": NEW, "revision": "1"})
        assert refused.status_code == 403 and "reads objects" in text(refused), action
        assert (last_event().action, last_event().result) == (f"deployment.{action}", "denied")
    assert viewer.get(url(ready_ns, name, "history/")).status_code == 200  # a read on a page of its own

    other = as_(tenancy.users["b-owner"])
    assert other.get(url(ready_ns, name)).status_code == 404
    assert other.get(url(ready_ns, name, "history/")).status_code == 404
    for action in CHANGES:
        assert other.post(url(ready_ns, name, f"{action}/"), {"image": NEW}).status_code == 404, action
    assert columns.images(live(tenancy, ready_ns, name)) == OLD
