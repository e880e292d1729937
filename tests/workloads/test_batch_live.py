"""CronJobs and Jobs against the devcluster (workloads/actions/batch.py):
the schedule and its next runs, run now, the Jobs' history, suspend and
resume, through the API and the pages; deleting a Job removes its Pods.
Each test works in a namespace of its own that `tenancy` deletes afterwards."""

from datetime import datetime
from functools import partial

import pytest

from clusters import kube
from portal.models import AuditEvent
from tests.api.generic import assert_error_shape
from tests.support.wait import wait_for
from tests.workloads.addresses import api_url, page_client, page_url
from workloads import objects
from workloads.kinds import KINDS

pytestmark = [pytest.mark.devcluster, pytest.mark.django_db]

CRONJOBS, JOBS = KINDS["cronjobs"], KINDS["jobs"]


url, page, browser = api_url, page_url, page_client


def assert_audited(action, name, actor, result="success"):
    event = AuditEvent.objects.latest("pk")
    assert (event.action, event.result, event.target_kind, event.target_name) == (action, result, "CronJob", name)
    assert event.actor == actor


def admin_get(tenancy, kind, namespace, name) -> dict:
    with kube.client_for(tenancy.cluster) as client:
        return objects.get_object(client, kind, namespace.name, name)


def pods_of_job(tenancy, namespace, job) -> list[str]:
    with kube.client_for(tenancy.cluster) as client:
        page_ = objects.list_page(
            client, KINDS["pods"], namespace.name, label_selector=f"batch.kubernetes.io/job-name={job}"
        )
    return [pod["metadata"]["name"] for pod in page_["items"]]


def apply_as(api, user, namespace, manifest):
    plural = manifest["kind"].lower() + "s"
    return api.as_(user).post(url(namespace, plural, "apply/"), {"documents": [manifest]}, format="json")


def test_a_schedule_is_checked_as_kubernetes_does_and_its_next_runs_are_in_its_time_zone(
    api, tenancy, ready_ns, unique
):
    name = unique("cron")
    manifest = CRONJOBS.template(name)
    manifest["spec"]["timeZone"] = "Europe/Berlin"
    assert apply_as(api, tenancy.developer, ready_ns, manifest).status_code == 201

    viewer = partial(api.as_, tenancy.viewer)
    answer = viewer().get(url(ready_ns, "cronjobs", f"{name}/schedule/"))
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["schedule"], body["time_zone"], body["suspended"], body["active"]) == (
        "0 3 * * *",
        "Europe/Berlin",
        False,
        [],
    )
    runs = [datetime.fromisoformat(run["at"]) for run in body["next_runs"]]
    assert len(runs) == 5 and all((run.hour, run.minute) == (3, 0) for run in runs)
    assert all(run["zone"] in ("CET", "CEST") for run in body["next_runs"])
    assert body["time_zone_note"] == ""

    # Another schedule to try: refused with the reason, on its field.
    for query, field, reason in (
        ({"schedule": "TZ=UTC 0 * * * *"}, "schedule", "spec.timeZone"),
        ({"schedule": "61 * * * *"}, "schedule", "maximum 59"),
        ({"schedule": "0 0 * * 7"}, "schedule", "maximum 6"),
        ({"time_zone": "Mars/Base"}, "time_zone", "Unknown time zone"),
    ):
        refused = assert_error_shape(viewer().get(url(ready_ns, "cronjobs", f"{name}/schedule/"), query), 400)
        assert reason in refused["errors"][field][0], refused
    preview = viewer().get(url(ready_ns, "cronjobs", f"{name}/schedule/"), {"schedule": "@hourly", "time_zone": ""})
    assert preview.status_code == 200 and preview.json()["preview"] is True
    assert preview.json()["time_zone"] == "Europe/Berlin"  # the CronJob's own
    assert all(datetime.fromisoformat(r["at"]).minute == 0 for r in preview.json()["next_runs"])

    # The API server refuses the same schedules on apply, on spec.schedule.
    for schedule, reason in (("TZ=UTC 0 * * * *", "cannot use TZ or CRON_TZ"), ("0 0 * * 7", "above maximum (6)")):
        bad = CRONJOBS.template(unique("badcron"))
        bad["spec"]["schedule"] = schedule
        refused = assert_error_shape(apply_as(api, tenancy.developer, ready_ns, bad), 400)
        assert reason in refused["errors"]["spec.schedule"][0], refused

    # Without spec.timeZone: the controller's UTC, and the answer says so.
    manifest["spec"].pop("timeZone")
    manifest["metadata"]["name"] = utc = unique("cronutc")
    assert apply_as(api, tenancy.developer, ready_ns, manifest).status_code == 201
    body = viewer().get(url(ready_ns, "cronjobs", f"{utc}/schedule/")).json()
    assert body["time_zone"] == "UTC" and "UTC" in body["time_zone_note"]
    assert [run["at"][-6:] for run in body["next_runs"]] == ["+00:00"] * 5

    # The page: the section on the CronJob's page, and the preview page with its field message.
    developer = browser(tenancy.developer)
    shown = developer.get(page(ready_ns, "cronjobs", f"{name}/")).content.decode()
    assert 'id="schedule"' in shown and "Europe/Berlin" in shown
    next_runs = shown[shown.index('id="next-runs"') : shown.index("</ol>", shown.index('id="next-runs"'))]
    assert next_runs.count("<time datetime=") == 5
    refused = developer.get(page(ready_ns, "cronjobs", f"{name}/schedule/"), {"schedule": "TZ=UTC 0 * * * *"})
    assert refused.status_code == 400 and "spec.timeZone" in refused.content.decode()


def test_run_now_makes_a_job_the_cronjob_owns_and_suspend_and_resume_land_in_the_spec(api, tenancy, ready_ns, unique):
    name = unique("cron")
    manifest = CRONJOBS.template(name)
    manifest["spec"]["jobTemplate"]["metadata"] = {"labels": {"team-run": "yes"}, "annotations": {"note": "kept"}}
    assert apply_as(api, tenancy.developer, ready_ns, manifest).status_code == 201
    uid = admin_get(tenancy, CRONJOBS, ready_ns, name)["metadata"]["uid"]
    developer, viewer = partial(api.as_, tenancy.developer), partial(api.as_, tenancy.viewer)

    # A viewer reads but does not run; another team's member finds nothing.
    assert (
        "reads objects"
        in assert_error_shape(viewer().post(url(ready_ns, "cronjobs", f"{name}/run-now/")), 403)["detail"]
    )
    assert_audited("cronjob.run-now", name, tenancy.viewer, result="denied")
    other = partial(api.as_, tenancy.users["b-owner"])
    for response in (
        other().post(url(ready_ns, "cronjobs", f"{name}/run-now/")),
        other().post(url(ready_ns, "cronjobs", f"{name}/suspend/")),
        other().get(url(ready_ns, "cronjobs", f"{name}/jobs/")),
        other().get(url(ready_ns, "cronjobs", f"{name}/schedule/")),
    ):
        assert response.status_code in (403, 404), response.content

    ran = developer().post(url(ready_ns, "cronjobs", f"{name}/run-now/"))
    assert ran.status_code == 200, ran.content
    job = ran.json()["job"]
    assert job.startswith(f"{name}-manual-") and job in ran.json()["message"]
    assert_audited("cronjob.run-now", name, tenancy.developer)
    made = admin_get(tenancy, JOBS, ready_ns, job)
    (owner,) = made["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["name"], owner["uid"], owner["controller"]) == ("CronJob", name, uid, True)
    assert made["metadata"]["annotations"] == {"cronjob.kubernetes.io/instantiate": "manual", "note": "kept"}
    assert made["metadata"]["labels"]["team-run"] == "yes"
    assert made["spec"]["backoffLimit"] == 0  # the template's spec

    # Its history lists it, once kwok has run its pod to the end.
    def finished():
        jobs = viewer().get(url(ready_ns, "cronjobs", f"{name}/jobs/")).json()["jobs"]
        return jobs if jobs and jobs[0]["succeeded"] == 1 else None

    (row,) = wait_for(finished, 60, 0.5, what=f"Job {job} to succeed")
    assert (row["name"], row["manual"], row["status"], row["failed"]) == (job, True, "ready", 0)
    assert row["start"] and row["completion"]

    # A second run is another Job, listed first.
    second = developer().post(url(ready_ns, "cronjobs", f"{name}/run-now/")).json()["job"]
    assert second != job
    names = [r["name"] for r in viewer().get(url(ready_ns, "cronjobs", f"{name}/jobs/")).json()["jobs"]]
    assert names[0] == second and set(names) == {job, second}

    # Suspend and resume, in the spec the API server has.
    assert_error_shape(viewer().post(url(ready_ns, "cronjobs", f"{name}/suspend/")), 403)
    assert developer().post(url(ready_ns, "cronjobs", f"{name}/suspend/")).json()["suspended"] is True
    assert_audited("cronjob.suspend", name, tenancy.developer)
    assert admin_get(tenancy, CRONJOBS, ready_ns, name)["spec"]["suspend"] is True
    assert developer().post(url(ready_ns, "cronjobs", f"{name}/resume/")).json()["suspended"] is False
    assert_audited("cronjob.resume", name, tenancy.developer)
    assert admin_get(tenancy, CRONJOBS, ready_ns, name)["spec"]["suspend"] is False

    # The pages: only the form that applies; a change goes back to the page, told what happened.
    pages = browser(tenancy.developer)
    shown = pages.get(page(ready_ns, "cronjobs", f"{name}/")).content.decode()
    assert 'id="suspend-form"' in shown and 'id="resume-form"' not in shown and 'id="run-now-form"' in shown
    assert f'data-name="{second}"' in shown and f'data-name="{job}"' in shown
    done = pages.post(page(ready_ns, "cronjobs", f"{name}/suspend/"), follow=True)
    shown = done.content.decode()
    assert "Suspended CronJob" in shown and 'id="resume-form"' in shown and 'id="suspend-form"' not in shown
    ran = pages.post(page(ready_ns, "cronjobs", f"{name}/run-now/"), follow=True).content.decode()
    assert "Started Job" in ran
    assert len([r for r in viewer().get(url(ready_ns, "cronjobs", f"{name}/jobs/")).json()["jobs"]]) == 3
    assert_audited("cronjob.run-now", name, tenancy.developer)
    # A viewer's page offers no changes.
    as_viewer = browser(tenancy.viewer).get(page(ready_ns, "cronjobs", f"{name}/")).content.decode()
    assert 'id="run-now-form"' not in as_viewer and 'id="resume-form"' not in as_viewer
    assert 'id="jobs"' in as_viewer


@pytest.mark.parametrize("through", ["api", "page"])
def test_deleting_a_job_removes_its_pods(api, tenancy, ready_ns, unique, through):
    name = unique("job")
    assert apply_as(api, tenancy.developer, ready_ns, JOBS.template(name)).status_code == 201
    (pod,) = wait_for(lambda: pods_of_job(tenancy, ready_ns, name), 60, 0.5, what=f"a pod of Job {name}")
    if through == "api":
        assert api.as_(tenancy.developer).delete(url(ready_ns, "jobs", f"{name}/")).status_code == 204
    else:
        deleted = browser(tenancy.developer).post(page(ready_ns, "jobs", f"{name}/delete/"), {"confirm": name})
        assert deleted.status_code == 302
    wait_for(lambda: not pods_of_job(tenancy, ready_ns, name) or None, 60, 0.5, what=f"pod {pod} to go")
    with pytest.raises(kube.KubeNotFound):
        admin_get(tenancy, JOBS, ready_ns, name)
