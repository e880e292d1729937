"""The bring-up wizard in a real browser: fill it in, see an overlapping CIDR
refused next to its field without a page load (htmx), upload a pod network
manifest and read the plan, start with it,
and land on the bootstrap job's page; on a 390 px phone the plan wraps and
nothing is wider than the screen.

The hosts of those tests are records with facts and a pinned key; nothing
runs on them (their fixture keeps jobs from a broker). Through to the running
cluster, on three fresh test hosts with the real kubeadm (as in
tests/clusters/test_bootstrap_e2e.py): the mirrors, ignored kubeadm checks and
an uploaded manifest under Advanced, the plan, a preflight that passes, the
bring-up's job run here (jobs.runner.job_run) to success, and the cluster page
with its three hosts, their roles, Ready nodes and the phase Ready."""

import pytest

from clusters.bootstrap.lifecycle import NODE_REMOVE_KIND
from clusters.models import Cluster
from devcluster.build import KUBE_VERSION
from hosts import services as host_services
from hosts.models import Host
from jobs.models import Job
from testhosts import node_packages
from tests.clusters.test_bootstrap_e2e import IGNORED_PREFLIGHT
from tests.clusters.test_bootstrap_pages import FLANNEL, hosts  # noqa: F401 - a fixture: cp-1, node-1, node-2
from tests.hosts.conftest import register
from tests.support.bootstrap import job_succeeded, mirrored_hosts, register_by_key

pytestmark = [
    pytest.mark.usefixtures("hosts"),
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def fill_hosts(page):
    page.select_option("select[name=control_plane]", "cp-1")
    page.check("input[name=workers][value=node-1]")
    page.check("input[name=workers][value=node-2]")


def test_an_admin_plans_is_refused_an_overlapping_cidr_and_starts_the_bring_up(world, page, login):
    login(page, world.admin)
    page.goto("/clusters/")
    page.click("#bring-up")
    page.wait_for_url("**/clusters/bootstrap/")
    assert page.input_value("input[name=version]") == "v1.37.2"
    page.fill("input[name=name]", "Lab")
    page.fill("input[name=slug]", "lab")
    fill_hosts(page)
    page.fill("input[name=service_cidr]", "10.244.0.0/20")
    page.evaluate("window.wizardMarker = 'same page'")
    page.click("#step-plan")
    error = page.locator("#field-service_cidr .error")
    error.wait_for()
    assert error.inner_text() == "The service CIDR 10.244.0.0/20 overlaps the pod CIDR 10.244.0.0/16."
    # Swapped in place by htmx, with everything typed still there.
    assert page.evaluate("window.wizardMarker") == "same page"
    assert page.input_value("select[name=control_plane]") == "cp-1"
    assert page.is_checked("input[name=workers][value=node-2]")
    assert page.input_value("input[name=name]") == "Lab"
    assert page.locator("#bootstrap-plan").count() == 0

    page.fill("input[name=service_cidr]", "10.96.0.0/12")
    page.click("#advanced > summary")
    page.fill("input[name=image_repository]", "registry.example.test/k8s")
    page.set_input_files(
        "input[name=network_manifest_file]",
        {"name": "kube-flannel.yml", "mimeType": "application/yaml", "buffer": FLANNEL.encode()},
    )
    page.click("#step-plan")
    page.locator("#bootstrap-plan").wait_for()
    assert page.evaluate("window.wizardMarker") == "same page"
    steps = page.locator(".planstep").evaluate_all("items => items.map(i => i.dataset.step)")
    assert steps[:4] == ["prepare", "runtime", "packages", "init"] and "join" in steps
    prepare_hosts = page.locator(".planstep[data-step=prepare] .planhost")
    assert prepare_hosts.evaluate_all("items => items.map(i => i.dataset.host)") == ["cp-1", "node-1", "node-2"]
    assert "registry.example.test/k8s/pause" in page.locator(".planstep[data-step=runtime]").inner_text()
    assert page.input_value("input[name=image_repository]") == "registry.example.test/k8s"
    assert "The uploaded manifest (" in page.locator("#manifest-kept").inner_text()
    assert not Cluster.objects.filter(slug="lab").exists()

    page.click("#step-start")
    page.wait_for_url("**/jobs/*/")
    job = Job.objects.get(kind="clusters.bootstrap")
    assert page.url.endswith(f"/jobs/{job.pk}/")
    assert "Bring up cluster Lab" in page.locator("h1").inner_text()
    assert "Bringing up Lab" in page.locator(".messages").inner_text()
    bootstrap = job.cluster.bootstrap
    assert job.cluster.slug == "lab" and bootstrap.spec["image_repository"] == "registry.example.test/k8s"
    assert bootstrap.network_manifest == FLANNEL


def test_the_plan_is_readable_on_a_phone(world, page, login):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, world.admin)
    page.goto("/clusters/bootstrap/")
    fill_hosts(page)
    page.click("#step-plan")
    page.locator("#bootstrap-plan").wait_for()
    # Long commands and files wrap or scroll inside their own box: the page does not.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    widest = page.locator(".plan pre").evaluate_all(
        "blocks => Math.max(...blocks.map(b => b.getBoundingClientRect().right))"
    )
    assert widest <= 390
    run = page.locator(".planstep[data-step=packages] pre.run").first
    run.scroll_into_view_if_needed()
    assert run.is_visible() and "pkgs.k8s.io/core:/stable:/v1.37/deb/" in run.inner_text()
    # Each step folds away.
    page.click(".planstep[data-step=prepare] > details > summary")
    assert not page.locator(".planstep[data-step=prepare] .planhost").first.is_visible()
    for button in ("#step-plan", "#step-preflight", "#step-start"):
        box = page.locator(button).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390


@pytest.fixture
def fresh_site(testhosts, kube_packages, world):
    """Four fresh test hosts that take their packages from the mirror on the
    bridge, registered with pinned keys and their facts read, as an admin
    finds them before the wizard: three for the cluster, one to add later."""
    run, mirror = mirrored_hosts(testhosts, 4)
    records = [*register(run[:3]), register_by_key(run[3])]
    job_succeeded(host_services.facts_gather(hosts=records, user=world.admin).pk)
    return run, mirror, [record.name for record in records]


def host_rows(page) -> dict:
    """The cluster page's hosts: name -> (address, role)."""
    rows = page.locator("#hosts tbody tr").evaluate_all(
        "rows => rows.map(r => [r.cells[0].innerText, r.cells[1].innerText, r.querySelector('.status').innerText])"
    )
    return {name: (address, role) for name, address, role in rows}


def node_rows(page) -> dict:
    """The cluster page's nodes, as the cluster's API server reports them: name -> (roles, status)."""
    rows = page.locator("#nodes tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].slice(0, 3).map(c => c.innerText.trim()))"
    )
    return {name: (roles, status) for name, roles, status in rows}


def finished(page, job_id) -> None:
    """Run the job the page landed on to success; reloaded, its page says so."""
    assert page.url.endswith(f"/jobs/{job_id}/")
    job_succeeded(job_id)
    page.reload()
    page.locator("#job-status", has_text="Succeeded").wait_for(timeout=15_000)


@pytest.mark.testhosts
def test_an_admin_brings_up_a_cluster_through_to_the_running_cluster(world, page, login, fresh_site, tmp_path):
    run, mirror, (control, *workers, spare) = fresh_site
    addresses = dict(Host.objects.values_list("name", "address"))
    manifest = tmp_path / "kube-flannel.yml"
    manifest.write_text(node_packages.flannel_manifest())
    login(page, world.admin)
    page.goto("/clusters/bootstrap/")
    page.fill("input[name=name]", "Lab")
    page.fill("input[name=slug]", "lab")
    page.select_option("select[name=control_plane]", control)
    for worker in workers:
        page.check(f"input[name=workers][value={worker}]")
    page.click("#advanced > summary")
    page.fill("input[name=packages_mirror]", mirror.kube_url(KUBE_VERSION))
    page.fill("input[name=runtime_mirror]", mirror.runtime_url)
    page.fill("input[name=ignore_preflight_errors]", ", ".join(IGNORED_PREFLIGHT))
    page.set_input_files("input[name=network_manifest_file]", str(manifest))

    page.click("#step-plan")
    page.locator("#bootstrap-plan").wait_for()
    packages_step = page.locator(".planstep[data-step=packages]").inner_text()
    assert mirror.kube_url(KUBE_VERSION) in packages_step
    assert "The uploaded manifest (" in page.locator("#manifest-kept").inner_text()

    page.click("#step-preflight")
    page.locator("#preflight-verdict").wait_for()
    preflight = Job.objects.get(kind="hosts.preflight")
    assert preflight.params["control_plane"] == [control] and preflight.params["workers"] == workers
    job_succeeded(preflight.pk)
    # The results poll until the job is done: the verdict comes without a reload.
    page.locator("#preflight-verdict", has_text="Passed").wait_for(timeout=15_000)

    page.click("#step-start")
    page.wait_for_url("**/jobs/*/")
    job = Job.objects.get(kind="clusters.bootstrap")
    assert job.cluster.bootstrap.network_manifest == manifest.read_text()
    finished(page, job.pk)

    page.goto("/clusters/lab/")
    assert page.locator("#cluster-phase").inner_text() == "Ready"
    three = {control: (addresses[control], "Control plane"), **{w: (addresses[w], "Worker") for w in workers}}
    assert host_rows(page) == three
    ready = {control: ("control-plane", "Ready"), **{w: ("worker", "Ready") for w in workers}}
    assert node_rows(page) == ready

    # On the cluster's page: the fourth host joins as a worker, then is taken out again.
    page.check(f"#workers-add input[name=workers][value={spare}]")
    page.click("#add-workers")
    page.wait_for_url("**/jobs/*/")
    finished(page, Job.objects.filter(kind="clusters.bootstrap").latest("pk").pk)
    page.goto("/clusters/lab/")
    assert host_rows(page) == {**three, spare: (addresses[spare], "Worker")}
    assert node_rows(page) == {**ready, spare: ("worker", "Ready")}

    page.click(f"#hosts tr[data-host={spare}] .host-remove")
    page.wait_for_url("**/remove/")
    page.fill("#confirm", spare)
    page.click("#remove-host")
    page.wait_for_url("**/jobs/*/")
    finished(page, Job.objects.get(kind=NODE_REMOVE_KIND).pk)
    page.goto("/clusters/lab/")
    assert host_rows(page) == three and node_rows(page) == ready
    # kubeadm reset ran on it, and it is free for a cluster again.
    assert not run[3].path("/etc/kubernetes/kubelet.conf").exists()
    assert page.locator(f"#workers-add input[name=workers][value={spare}]").count() == 1
