"""An admin creates records through the forms, in a real browser."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KUBECONFIG = """apiVersion: v1
kind: Config
current-context: demo
clusters:
- name: demo
  cluster:
    server: https://127.0.0.1:6443
users:
- name: demo-admin
  user:
    token: browser-test-token-4b1c9e
contexts:
- name: demo
  context:
    cluster: demo
    user: demo-admin
"""


def test_it_creates_a_team_a_quota_plan_and_refuses_an_unreachable_cluster(world, page, login):
    from clusters.models import Cluster
    from portal.teams import Team
    from rbac.models import QuotaPlan

    login(page, world.admin)

    page.goto("/teams/")
    page.get_by_role("link", name="Add").click()
    page.get_by_label("Name:", exact=True).fill("Team C")
    page.get_by_label("Slug:", exact=True).fill("team-c")
    page.get_by_label("Maximum namespaces:", exact=True).fill("3")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/teams/team-c/")
    assert page.locator("h1").inner_text() == "Team C"
    assert "Saved Team C." in page.locator(".messages").inner_text()

    page.goto("/teams/quota-plans/new/")
    page.get_by_label("Name:", exact=True).fill("Medium")
    page.get_by_label("Slug:", exact=True).fill("medium")
    page.get_by_label("CPU requests:", exact=True).fill("lots")
    page.get_by_role("button", name="Save").click()
    assert "is not a Kubernetes quantity" in page.locator(".has-error").inner_text()
    assert page.get_by_label("Name:", exact=True).input_value() == "Medium"
    page.get_by_label("CPU requests:", exact=True).fill("4")
    page.get_by_label("Memory requests:", exact=True).fill("8Gi")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/teams/quota-plans/medium/")
    assert "requests.memory" in page.locator("dl.fields").inner_text()

    # Nothing answers on 127.0.0.1:6443 here: the connect check refuses the
    # import, and nothing is saved (a real import: test_clusters_tenancy.py).
    page.goto("/clusters/new/")
    page.get_by_label("Name:", exact=True).fill("Demo")
    page.get_by_label("Slug:", exact=True).fill("demo")
    page.get_by_label("Kubeconfig:", exact=True).fill(KUBECONFIG)
    page.locator("select#id_context option", has_text="demo").wait_for(state="attached")
    page.get_by_role("button", name="Check and import").click()
    assert "127.0.0.1:6443" in page.locator(".has-error").first.inner_text()
    assert page.get_by_label("Name:", exact=True).input_value() == "Demo"
    assert "browser-test-token-4b1c9e" not in page.content()

    assert Team.objects.get(slug="team-c").max_namespaces == 3
    assert QuotaPlan.objects.get(slug="medium").requests_memory == "8Gi"
    assert not Cluster.objects.filter(slug="demo").exists()


def test_it_deletes_after_the_name_is_typed(world, page, login):
    from rbac.models import QuotaPlan

    QuotaPlan.objects.create(name="Spare", slug="spare")
    login(page, world.admin)
    page.goto("/teams/quota-plans/spare/")
    page.get_by_role("link", name="Delete").click()
    page.get_by_label("Type spare to confirm.").fill("wrong")
    page.get_by_role("button", name="Delete").click()
    assert "Type spare to confirm." in page.locator("p.error").inner_text()
    page.get_by_label("Type spare to confirm.").fill("spare")
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url("**/teams/quota-plans/")
    assert not QuotaPlan.objects.filter(slug="spare").exists()


def test_it_tails_a_running_jobs_log(world, page, login):
    from jobs.models import Job, JobEvent

    job = Job.objects.create(kind="demo", title="Tail me", team=world.team_a, status="running")
    JobEvent.objects.create(job=job, counter=1, text="first line")
    login(page, world.viewer)
    page.goto(f"/jobs/{job.pk}/")
    assert page.locator("#joblog").inner_text().strip() == "first line"
    JobEvent.objects.create(job=job, counter=2, text="second line")
    page.locator("#joblog", has_text="second line").wait_for(timeout=8000)
    Job.objects.filter(pk=job.pk).update(status="succeeded")
    JobEvent.objects.create(job=job, counter=3, text="done")
    page.locator("#job-status", has_text="Succeeded").wait_for(timeout=8000)
    assert page.locator("#joblog").inner_text().split() == ["first", "line", "second", "line", "done"]
    assert page.locator("#job-poll").count() == 0
