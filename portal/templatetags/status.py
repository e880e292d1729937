"""States and times, shown the same way on every page.

`{% load status %}`, then:
- `{% badge value label %}`: a state as a coloured badge. Each known state
  belongs to one family (ok, progress, warning, failed, neutral) and the
  family picks the colour (static/portal/status.css), so "ready" reads the
  same on a cluster, a namespace and a Deployment.
- `{{ value|when }}`: a point in time as `<time>`, in the active time zone,
  minutes on the page and seconds with the zone on hover. Stored ISO strings
  (conditions, health checks) are read too. The API keeps ISO 8601.

List views put `state_column("phase")` among their columns: the cell is the
badge's safe HTML, so the generic templates need no change.
"""

from datetime import date, datetime

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html
from django.utils.translation import pgettext_lazy

register = template.Library()

OK, PROGRESS, WARNING, FAILED, NEUTRAL = "ok", "progress", "warning", "failed", "neutral"
FAMILIES = (OK, PROGRESS, WARNING, FAILED, NEUTRAL)

# Every state value the portal shows -> its family. One table for all apps:
# the same word means the same thing wherever it appears. A state missing
# here shows as neutral; tests/portal/test_status.py fails for any choices
# enum value that is missing, so a new state is given its family on purpose.
STATE_FAMILIES = {
    # Jobs and their steps (jobs/choices.py); waiting for a worker is motion too.
    "pending": PROGRESS,
    "running": PROGRESS,
    "succeeded": OK,
    "failed": FAILED,
    "canceled": NEUTRAL,
    "skipped": NEUTRAL,
    # Clusters (clusters/choices.py).
    "provisioning": PROGRESS,
    "ready": OK,
    "degraded": WARNING,
    "unreachable": FAILED,
    "unauthorized": FAILED,
    # Team namespaces (rbac/choices.py): waiting for a person is a warning.
    "pending_approval": WARNING,
    "terminating": PROGRESS,
    "deleted": NEUTRAL,
    "rejected": FAILED,
    # Quota change requests (rbac/models.py).
    "approved": OK,
    # Preflight checks (hosts/models.py).
    "pass": OK,
    "warn": WARNING,
    "fail": FAILED,
    # Audit results (portal/models.py).
    "success": OK,
    "denied": FAILED,
    "invalid": WARNING,
    "refused": FAILED,
    # API tokens (rbac/models.py ApiToken).
    "active": OK,
    "expired": NEUTRAL,
    "revoked": NEUTRAL,
    # Nodes (clusters/views.py node_state).
    "not_ready": FAILED,
    "cordoned": WARNING,
    "missing": FAILED,
    # Health of components and add-ons (clusters/services/health.py).
    "healthy": OK,
    "unhealthy": FAILED,
    "absent": NEUTRAL,
    "unknown": NEUTRAL,
    # Workloads (workloads/columns.py) and rollouts (workloads/actions/rollout.py).
    "progressing": PROGRESS,
    "complete": OK,
    "paused": WARNING,
    # The answer of an access review (rbac/who_can.py).
    "allowed": OK,
    "not_allowed": FAILED,
    # A Deployment's revisions; a Kubernetes event's type.
    "current": OK,
    "updating": PROGRESS,
    "warning": WARNING,
    # Kubernetes' own phases, as the API server spells them (pods, claims).
    "Running": OK,
    "Pending": PROGRESS,
    "Succeeded": OK,
    "Failed": FAILED,
    "Unknown": NEUTRAL,
    "Bound": OK,
    "Lost": FAILED,
}


# Words for states that arrive without one: Kubernetes' phases come in English
# from the API server, and are shown in the reader's language.
DEFAULT_LABELS = {
    "Running": pgettext_lazy("Kubernetes phase", "Running"),
    "Pending": pgettext_lazy("Kubernetes phase", "Pending"),
    "Succeeded": pgettext_lazy("Kubernetes phase", "Succeeded"),
    "Failed": pgettext_lazy("Kubernetes phase", "Failed"),
    "Unknown": pgettext_lazy("Kubernetes phase", "Unknown"),
    "Bound": pgettext_lazy("Kubernetes phase", "Bound"),
    "Lost": pgettext_lazy("Kubernetes phase", "Lost"),
}


# A Kubernetes condition's status, "True", "False" or "Unknown", read against
# its type: most types say something good when True (Ready, Available), these
# say something bad (a node's pressures, a ReplicaSet that cannot create pods).
NEGATIVE_CONDITIONS = {
    "MemoryPressure",
    "DiskPressure",
    "PIDPressure",
    "NetworkUnavailable",
    "ReplicaFailure",
    "Failed",
    "FailureTarget",
    "Stalled",
}
CONDITION_LABELS = {
    "True": pgettext_lazy("Kubernetes condition status", "True"),
    "False": pgettext_lazy("Kubernetes condition status", "False"),
    "Unknown": pgettext_lazy("Kubernetes condition status", "Unknown"),
}


def family(state) -> str:
    return STATE_FAMILIES.get(str(state), NEUTRAL)


def badge_html(state, family_name: str, label, id="") -> str:
    # Written out, not a template: a list renders one per row, and an include
    # per row costs a 100-row page ~10 ms.
    named = format_html(' id="{}"', id) if id else ""
    return format_html('<span class="badge badge-{}" data-state="{}"{}>{}</span>', family_name, state, named, label)


def render_badge(state, label=None, id="") -> str:
    if state is None or state == "":
        return "—"
    return badge_html(state, family(state), DEFAULT_LABELS.get(state, state) if label is None else label, id)


@register.simple_tag
def badge(state, label=None, id=""):
    """`{% badge job.status job.get_status_display %}`; `id=` names the badge
    for the pages' polls and tests (`{% badge ... id="cluster-phase" %}`)."""
    return render_badge(state, label, id)


@register.filter
def badge_family(state) -> str:
    """The family's class suffix, for markup written out in a loop (`badge-{{ s|badge_family }}`)."""
    return family(state)


@register.simple_tag
def condition_badge(condition_type, status):
    """`{% condition_badge c.type c.status %}`: green when the condition says
    what is wanted (Ready True, MemoryPressure False), orange when not, grey
    when the cluster does not know."""
    if status not in ("True", "False"):
        return render_badge(status, CONDITION_LABELS.get(status))
    good = (status == "True") != (condition_type in NEGATIVE_CONDITIONS)
    return badge_html(status, OK if good else WARNING, CONDITION_LABELS[status])


def state_column(field: str):
    """A list column showing a choices field as its badge: `(state_column("phase"), _("Phase"))`."""

    def cell(obj):
        return render_badge(getattr(obj, field), getattr(obj, f"get_{field}_display")())

    return cell


@register.filter(expects_localtime=False)
def when(value, zone=""):
    """`<time datetime="ISO" title="YYYY-MM-DD HH:MM:SS zone">YYYY-MM-DD HH:MM</time>`
    in the active time zone (`when:"own"`: in the value's own, e.g. a CronJob's
    next runs in its time zone); a dash for nothing, any other text as it is."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is None:
            return value
        value = parsed
    if not isinstance(value, datetime):
        return value.isoformat() if isinstance(value, date) else value
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    local = value if zone == "own" else timezone.localtime(value)
    return format_html(
        '<time datetime="{}" title="{} {}">{}</time>',
        local.isoformat(timespec="seconds"),
        local.strftime("%Y-%m-%d %H:%M:%S"),
        local.tzname(),
        local.strftime("%Y-%m-%d %H:%M"),
    )
