"""The pages of StatefulSets' and DaemonSets' actions (revisions, rollback,
update strategy, pods, claims) through Django's test client, against the
devcluster: the sections on the object's page, the changes posted from its
forms, bad input as a message on the page, and who may see and do what.
(The claims stay Pending: the devcluster has no storage provisioner.)"""

import html
import re

import pytest

from clusters import kube
from portal.models import AuditEvent
from tests.support.wait import wait_for
from tests.ui.test_kind_pages_live import as_, url  # noqa: F401  (as_ is a fixture)
from tests.workloads.test_revisions_live import (
    NEW,
    OLD,
    daemonset_document,
    live_images,
    schedulable_nodes,
    set_image_as_admin,
    statefulset_documents,
)
from workloads import objects, services
from workloads.kinds import KINDS

pytestmark = [pytest.mark.devcluster, pytest.mark.django_db]


def text(response) -> str:
    return html.unescape(response.content.decode())


def section(page: str, section_id: str) -> str:
    """The HTML of one <section id=...> of a page ("" when it is not there)."""
    match = re.search(rf'<section class="panel" id="{section_id}">(.*?)</section>', page, re.S)
    return match.group(1) if match else ""


def audited(action, name, result="success") -> bool:
    event = AuditEvent.objects.latest("pk")
    return (event.action, event.target_name, event.result) == (action, name, result)


def revision_count(tenancy, namespace, name) -> int:
    with kube.client_for(tenancy.cluster) as client:
        items = client.request_json("GET", f"/apis/apps/v1/namespaces/{namespace.name}/controllerrevisions")[1]["items"]
    return sum(1 for item in items if item["metadata"]["name"].startswith(f"{name}-"))


def roll_back_on_page(client, tenancy, namespace, plural, name, revision: str):
    """Change the image (as the cluster admin), then roll back from the page to
    revision 1: the message says so, it is audited, the earlier image is back."""
    set_image_as_admin(tenancy, namespace, plural, name, NEW)
    wait_for(lambda: revision_count(tenancy, namespace, name) == 2, 60, 0.5, what="a second revision")
    # Each older revision's row has its own button (it posts revision=N).
    revisions = section(text(client.get(url(namespace, plural, f"{name}/"))), "revisions")
    assert 'id="rollback-to-1"' in revisions and 'id="rollback-to-2"' not in revisions
    rolled = client.post(url(namespace, plural, f"{name}/rollback/"), {"revision": revision}, follow=True)
    kind = KINDS[plural].kind
    assert f"Rolled {kind} {name} back to revision 1 ({OLD})." in text(rolled)
    assert audited(f"{kind.lower()}.rollback", name)
    assert live_images(tenancy, namespace, plural, name) == [OLD]


def test_a_statefulsets_page_shows_its_revisions_pods_and_claims_and_rolls_back(tenancy, ready_ns, unique, as_):  # noqa: F811
    name = unique("sts")
    services.live_apply(user=tenancy.developer, namespace=ready_ns, documents=statefulset_documents(name))
    developer = as_(tenancy.developer)

    def ready_page():
        page = text(developer.get(url(ready_ns, "statefulsets", f"{name}/")))
        claims, pods = section(page, "claims"), section(page, "pods")
        return page if f'data-claim="data-{name}-0"' in claims and f'data-pod="{name}-0"' in pods else None

    page = wait_for(ready_page, 60, 0.5, what="the claim and the pod on the StatefulSet's page")
    claims = section(page, "claims")
    assert "Pending" in claims and "1Mi requested" in claims
    assert f'href="{url(ready_ns, "persistentvolumeclaims", f"data-{name}-0/")}"' in claims
    assert 'data-revision="1"' in section(page, "revisions") and OLD in section(page, "revisions")
    # The tables scroll sideways on a narrow screen rather than widen the page.
    assert '<div class="scrollbox">\n  <table class="objects" id="revisions-table">' in page
    # The update strategy's form starts from the object.
    assert 'id="update-strategy-form"' in page and 'id="rollback-form"' in page
    assert '<option value="RollingUpdate" selected>' in page
    assert 'name="partition" value="0"' in page

    # Bad input: the page again, with the message, and nothing changed.
    refused = developer.post(url(ready_ns, "statefulsets", f"{name}/rollback/"), {"revision": "99"})
    assert refused.status_code == 400
    assert "There is no revision 99; there are: 1." in text(refused)
    bad = developer.post(
        url(ready_ns, "statefulsets", f"{name}/update-strategy/"), {"type": "OnDelete", "partition": "2"}
    )
    assert bad.status_code == 400 and "Only with a rolling update." in text(bad)
    assert audited("statefulset.update-strategy", name, "invalid")

    changed = developer.post(
        url(ready_ns, "statefulsets", f"{name}/update-strategy/"),
        {"type": "RollingUpdate", "partition": "1"},
        follow=True,
    )
    assert changed.redirect_chain and "Partition 1: pods 1 and above are updated." in text(changed)
    assert audited("statefulset.update-strategy", name)
    with kube.client_for(tenancy.cluster) as client:
        strategy = objects.get_object(client, KINDS["statefulsets"], ready_ns.name, name)["spec"]["updateStrategy"]
    assert strategy["rollingUpdate"]["partition"] == 1

    # No revision given: the one before the newest.
    roll_back_on_page(developer, tenancy, ready_ns, "statefulsets", name, "")

    # The viewer sees the sections but no change's form, and is refused one.
    viewer = as_(tenancy.viewer)
    seen = text(viewer.get(url(ready_ns, "statefulsets", f"{name}/")))
    assert section(seen, "revisions") and section(seen, "claims")
    assert 'id="rollback-form"' not in seen and 'id="update-strategy-form"' not in seen
    assert 'id="rollback-to-' not in seen
    denied = viewer.post(url(ready_ns, "statefulsets", f"{name}/rollback/"), {"revision": "1"})
    assert denied.status_code == 403 and "reads objects" in text(denied)
    assert audited("statefulset.rollback", name, "denied")

    # Another team's owner finds nothing.
    other = as_(tenancy.users["b-owner"])
    assert other.get(url(ready_ns, "statefulsets", f"{name}/")).status_code == 404
    for read in ("revisions", "pods", "claims"):
        assert other.get(url(ready_ns, "statefulsets", f"{name}/{read}/")).status_code == 404
    for change in ("rollback", "update-strategy"):
        assert other.post(url(ready_ns, "statefulsets", f"{name}/{change}/"), {"type": "OnDelete"}).status_code == 404


def test_a_daemonsets_page_shows_its_pods_per_node(tenancy, ready_ns, unique, as_):  # noqa: F811
    name = unique("ds")
    services.live_apply(user=tenancy.developer, namespace=ready_ns, documents=[daemonset_document(name)])
    takes, refuses = schedulable_nodes(tenancy)
    developer = as_(tenancy.developer)

    def every_node():
        pods = section(text(developer.get(url(ready_ns, "daemonsets", f"{name}/"))), "pods")
        return pods if all(f'data-node="{node}"' in pods for node in takes) and "Running" in pods else None

    pods = wait_for(every_node, 90, 0.5, what=f"the DaemonSet's pods on {takes}")
    # A team member cannot list nodes: told so, and no row for a node without a pod.
    assert 'id="nodes-hidden"' in pods
    assert not any(f'data-node="{node}"' in pods for node in refuses)

    # A platform admin sees every node; the tainted ones (the control plane) without a pod.
    seen = section(text(as_(tenancy.admin).get(url(ready_ns, "daemonsets", f"{name}/"))), "pods")
    assert 'id="nodes-hidden"' not in seen
    for node in refuses:
        row = re.search(rf'<tr data-node="{node}">(.*?)</tr>', seen, re.S).group(1)
        assert "No pod on this node." in row and ":NoSchedule" in row

    # The read has a page of its own too (its address is the API's, as a page).
    alone = developer.get(url(ready_ns, "daemonsets", f"{name}/pods/"))
    assert alone.status_code == 200 and 'id="pods-per-node"' in text(alone)
    # ...and a DaemonSet has no claims: a message, not a 500.
    assert developer.get(url(ready_ns, "daemonsets", f"{name}/claims/")).status_code == 405

    bad = developer.post(
        url(ready_ns, "daemonsets", f"{name}/update-strategy/"), {"type": "RollingUpdate", "maxSurge": "150%"}
    )
    assert bad.status_code == 400 and "At most 100%." in text(bad)
    changed = developer.post(
        url(ready_ns, "daemonsets", f"{name}/update-strategy/"),
        {"type": "RollingUpdate", "maxUnavailable": "0", "maxSurge": "1"},
        follow=True,
    )
    assert changed.redirect_chain and f"DaemonSet {name} now updates its pods: RollingUpdate." in text(changed)
    assert audited("daemonset.update-strategy", name)
    assert 'name="maxSurge" value="1"' in text(changed)

    roll_back_on_page(developer, tenancy, ready_ns, "daemonsets", name, "1")

    assert as_(tenancy.viewer).post(url(ready_ns, "daemonsets", f"{name}/rollback/"), {}).status_code == 403
    assert as_(tenancy.users["b-owner"]).get(url(ready_ns, "daemonsets", f"{name}/pods/")).status_code == 404
