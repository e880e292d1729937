"""In a real browser on a 390 px phone, against the devcluster: a viewer
opens a Pod's logs from its page, chooses a container and the options, and
reads what the cluster answered. kwok's nodes serve no logs here, so that
answer is the API server's error naming the kubelet URL it tried, with the
container and options chosen (tests/workloads/test_logs_live.py says more)."""

import uuid

import pytest
import yaml

pytestmark = [pytest.mark.browser, pytest.mark.devcluster, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_a_viewer_chooses_a_container_and_reads_the_clusters_answer(world, page, login, devcluster, portal_cleanup):
    from clusters.services.clusters import cluster_create
    from rbac.choices import NamespacePhase
    from rbac.models import TeamNamespace
    from rbac.reconcile import reconcile_cluster
    from workloads import services
    from workloads.kinds import KINDS

    cluster = cluster_create(name="Dev", slug="dev", kubeconfig=yaml.safe_dump(devcluster.admin_kubeconfig_dict()))
    world.team_a.allowed_clusters.add(cluster)
    namespace = TeamNamespace.objects.create(
        team=world.team_a,
        cluster=cluster,
        name=f"br-logs-{uuid.uuid4().hex[:6]}",
        plan=world.plan,
        phase=NamespacePhase.PROVISIONING,
    )
    reconcile_cluster(cluster=cluster, only=[namespace.pk])
    namespace.refresh_from_db()
    assert namespace.phase == NamespacePhase.READY, namespace.conditions
    manifest = KINDS["pods"].template("web")
    app = manifest["spec"]["containers"][0]
    manifest["spec"]["containers"] = [dict(app, name="app"), dict(app, name="sidecar")]
    services.live_apply(user=world.developer, namespace=namespace, documents=[manifest])

    login(page, world.viewer)
    page.set_viewport_size(PHONE)
    page.goto(f"/workloads/namespaces/{namespace.pk}/pods/web/")
    page.locator("#page-logs").click()
    page.wait_for_url("**/pods/web/logs/")
    # The first container by default, the last 500 lines.
    assert page.locator("#id_tail_lines").input_value() == "500"
    error = page.locator("#logs-error")
    assert "/containerLogs/" in error.inner_text() and "/web/app?" in error.inner_text()

    page.locator("#id_container").fill("sidecar")
    page.locator("#id_tail_lines").fill("50")
    page.locator("#id_timestamps").check()
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**container=sidecar**")
    said = page.locator("#logs-error").inner_text()
    assert "/web/sidecar?" in said and "tailLines=50" in said and "timestamps=true" in said
    # The API server's long URL wraps inside the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.locator("#id_container").fill("nope")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**container=nope**")
    assert "it has: app, sidecar" in page.locator("#logs-error").inner_text()
