"""In a real browser on a 390 px phone, against the devcluster: a viewer
opens a Pod's logs from its page, chooses a container and the options, and
reads the log. The devcluster's nodes serve each container's stand-in log
(devcluster/containerlogs.py: five lines naming container and pod) through
the API server, as a kubelet would (tests/workloads/test_logs_live.py says more)."""

import pytest

from tests.support.wait import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.devcluster, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_a_viewer_chooses_a_container_and_reads_the_clusters_answer(world, page, login, ready_namespace):
    from workloads import services
    from workloads.kinds import KINDS

    namespace, cluster = ready_namespace, ready_namespace.cluster
    manifest = KINDS["pods"].template("web")
    app = manifest["spec"]["containers"][0]
    manifest["spec"]["containers"] = [dict(app, name="app"), dict(app, name="sidecar")]
    services.live_apply(user=world.developer, namespace=namespace, documents=[manifest])

    wait_for(lambda: _running(cluster, namespace.name), 60, 0.3, what="pod web running")

    login(page, world.viewer)
    page.set_viewport_size(PHONE)
    page.goto(f"/workloads/namespaces/{namespace.pk}/pods/web/")
    page.locator("#page-logs").click()
    page.wait_for_url("**/pods/web/logs/")
    # The first container by default, the last 500 lines: all five.
    assert page.locator("#id_tail_lines").input_value() == "500"
    text = page.locator("#log-text").inner_text()
    assert text.splitlines()[0] == f"devcluster stand-in log of container app in pod {namespace.name}/web"
    assert text.splitlines()[-1] == "line 5 of 5 (app)"

    page.locator("#id_container").fill("sidecar")
    page.locator("#id_tail_lines").fill("2")
    page.locator("#id_timestamps").check()
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**container=sidecar**")
    lines = page.locator("#log-text").inner_text().splitlines()
    assert len(lines) == 2 and lines[-1].endswith("Z line 5 of 5 (sidecar)")
    # The timestamped lines wrap inside the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.locator("#id_container").fill("nope")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**container=nope**")
    assert "it has: app, sidecar" in page.locator("#logs-error").inner_text()


def _running(cluster, namespace: str) -> bool:
    from clusters import kube
    from workloads import objects
    from workloads.kinds import KINDS

    with kube.client_for(cluster) as client:
        pod = objects.get_object(client, KINDS["pods"], namespace, "web")
    return (pod.get("status") or {}).get("phase") == "Running"
