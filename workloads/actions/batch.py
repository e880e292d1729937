"""Jobs and CronJobs: suspend, resume, run now, next run times, history.

A Job is deleted with its Pods by the generic delete (propagation=background:
the garbage collector removes the Pods the Job owns). A CronJob's Jobs are
found by their owner reference to its uid, as the CronJob controller finds
them: Jobs carry no label naming their CronJob.
"""

import secrets
import string

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workloads import columns, cron, objects
from workloads.actions.base import Action, Call, register
from workloads.kinds import KINDS

CRONJOB = ("CronJob",)
JOBS = KINDS["jobs"]
# Jobs read at most, looking for a CronJob's (its history limits keep a few; manual runs stay).
JOBS_SCANNED = 2000
MANUAL = "manual"
INSTANTIATE = "cronjob.kubernetes.io/instantiate"
# A Job's name is a label value on its pods (job-name): 63 characters at most.
JOB_NAME_MAX = 63
SUFFIX = string.ascii_lowercase + string.digits


class ScheduleForm(forms.Form):
    """Another schedule or time zone to try; empty fields are the CronJob's own."""

    schedule = forms.CharField(
        label=gettext_lazy("Schedule"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Five fields (minute hour day-of-month month day-of-week) or @hourly, @daily, ..."),
    )
    time_zone = forms.CharField(
        label=gettext_lazy("Time zone"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("An IANA name such as Europe/Berlin; empty: the controller's, UTC."),
    )

    def clean_schedule(self):
        return self._checked("schedule", lambda value: cron.parse_schedule(value))

    def clean_time_zone(self):
        return self._checked("time_zone", cron.time_zone)

    def _checked(self, field, check):
        value = self.cleaned_data[field].strip()
        if value:
            try:
                check(value)
            except cron.ScheduleError as exc:
                raise forms.ValidationError(exc.message) from None
        return value


def _cronjob(call: Call) -> dict:
    return objects.get_object(call.client, call.kind, call.namespace, call.name)


def _schedule(call: Call) -> dict:
    """When the CronJob runs next, in its time zone, and how its last runs went."""
    obj = _cronjob(call)
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    text = call.data.get("schedule") or spec.get("schedule", "")
    zone = call.data.get("time_zone") or spec.get("timeZone")
    try:
        upcoming = cron.upcoming(text, zone)
    except cron.ScheduleError as exc:  # one the API server took and the portal reads otherwise
        upcoming = {
            "schedule": text,
            "time_zone": zone or cron.CONTROLLER_TIME_ZONE,
            "next_runs": [],
            "error": exc.message,
        }
    note = ""
    if not zone:
        note = _(
            "No spec.timeZone: the CronJob controller uses its own local time zone, "
            "which is UTC for the kube-controller-manager here."
        )
    return {
        **upcoming,
        "time_zone_note": note,
        "preview": bool(call.data.get("schedule") or call.data.get("time_zone")),
        "suspended": bool(spec.get("suspend", False)),
        "last_schedule_time": status.get("lastScheduleTime", ""),
        "last_successful_time": status.get("lastSuccessfulTime", ""),
        "active": [ref.get("name", "") for ref in status.get("active") or []],
    }


def _set_suspend(suspend: bool):
    def run(call: Call) -> dict:
        # A merge patch of the one field: whoever manages the rest of the spec keeps it.
        _status, answer = call.client.request_json(
            "PATCH",
            objects.object_path(call.kind, call.namespace, call.name),
            body={"spec": {"suspend": suspend}},
            content_type="application/merge-patch+json",
        )
        suspended = bool(columns.dig(answer, "spec", "suspend", default=False))
        message = (
            _("Suspended CronJob %(name)s: it starts no Jobs until it is resumed; running Jobs go on.")
            if suspended
            else _("Resumed CronJob %(name)s: it starts Jobs on its schedule again.")
        )
        return {"suspended": suspended, "message": message % {"name": call.name}}

    return run


def manual_job_name(cronjob: str) -> str:
    """<cronjob>-manual-<5 random characters>, within a Job name's 63 characters."""
    suffix = f"-{MANUAL}-" + "".join(secrets.choice(SUFFIX) for _position in range(5))
    return cronjob[: JOB_NAME_MAX - len(suffix)].rstrip("-.") + suffix


def manual_job(cronjob: dict, name: str) -> dict:
    """The Job `kubectl create job --from=cronjob/<name>` makes: the template's
    spec, labels and annotations, marked as started by hand, owned by the
    CronJob (controller, without blockOwnerDeletion, which would need the
    cronjobs/finalizers permission)."""
    template = columns.dig(cronjob, "spec", "jobTemplate", default={})
    meta = template.get("metadata") or {}
    owner = cronjob["metadata"]
    job_meta = {
        "name": name,
        "annotations": {INSTANTIATE: MANUAL, **(meta.get("annotations") or {})},
        "ownerReferences": [
            {
                "apiVersion": cronjob.get("apiVersion", "batch/v1"),
                "kind": "CronJob",
                "name": owner["name"],
                "uid": owner["uid"],
                "controller": True,
            }
        ],
    }
    if meta.get("labels"):
        job_meta["labels"] = meta["labels"]
    return {"apiVersion": JOBS.api_version, "kind": JOBS.kind, "metadata": job_meta, "spec": template.get("spec") or {}}


def _run_now(call: Call) -> dict:
    cronjob = _cronjob(call)
    job = manual_job(cronjob, manual_job_name(call.name))
    _status, created = call.client.request_json("POST", JOBS.collection_path(call.namespace), body=job)
    name = created["metadata"]["name"]
    return {
        "job": name,
        "message": _("Started Job %(job)s from CronJob %(name)s (see its Jobs).") % {"job": name, "name": call.name},
    }


def owned_jobs(call: Call, uid: str) -> list[dict]:
    """The namespace's Jobs owned by `uid`, a page at a time."""
    found, token, scanned = [], "", 0
    while True:
        page = objects.list_page(call.client, JOBS, call.namespace, limit=objects.LIST_LIMIT_MAX, continue_token=token)
        scanned += len(page["items"])
        found += [
            job
            for job in page["items"]
            if any(ref.get("uid") == uid for ref in columns.dig(job, "metadata", "ownerReferences", default=[]))
        ]
        token = page["continue"]
        if not token or scanned >= JOBS_SCANNED:
            return found


def job_row(job: dict) -> dict:
    meta, status = job.get("metadata") or {}, job.get("status") or {}
    state = columns.job_status(job)
    return {
        "name": meta.get("name", ""),
        "created": meta.get("creationTimestamp", ""),
        "start": status.get("startTime", ""),
        "completion": status.get("completionTime", ""),
        "succeeded": status.get("succeeded", 0),
        "failed": status.get("failed", 0),
        "active": status.get("active", 0),
        "status": state["state"],
        "status_message": state.get("message", ""),
        "manual": (meta.get("annotations") or {}).get(INSTANTIATE) == MANUAL,
    }


def _jobs(call: Call) -> dict:
    """The CronJob's Jobs, newest first."""
    uid = _cronjob(call)["metadata"]["uid"]
    rows = [job_row(job) for job in owned_jobs(call, uid)]
    rows.sort(key=lambda row: (row["created"], row["name"]), reverse=True)
    return {"jobs": rows}


register(
    Action(
        "schedule",
        gettext_lazy("Schedule"),
        kinds=CRONJOB,
        run=_schedule,
        form=ScheduleForm,
        method="GET",
        template="workloads/actions/_cron_schedule.html",
    )
)
register(
    Action(
        "jobs",
        gettext_lazy("Jobs"),
        kinds=CRONJOB,
        run=_jobs,
        method="GET",
        template="workloads/actions/_jobs.html",
    )
)
register(
    Action(
        "run-now",
        gettext_lazy("Run now"),
        kinds=CRONJOB,
        run=_run_now,
        template="workloads/actions/_cron_run.html",
    )
)
for _name, _label, _suspend in (
    ("suspend", gettext_lazy("Suspend"), True),
    ("resume", gettext_lazy("Resume"), False),
):
    register(
        Action(
            _name,
            _label,
            kinds=CRONJOB,
            run=_set_suspend(_suspend),
            template="workloads/actions/_cron_suspend.html",
        )
    )
