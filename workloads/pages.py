"""What every page of a live object shares: the kind and namespace of its
address, the switchers and breadcrumbs, the status badge, the audit record.
Used by the generic pages (views_kinds.py) and the actions' (views_actions.py).
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.audit import audit_describe
from rbac.choices import EDITING_ROLES, NamespacePhase
from rbac.models import TeamNamespace
from rbac.views_namespaces import _namespace_for
from workloads import columns
from workloads.kinds import KINDS, Kind

# A state of workloads/columns.py -> the badge class that reads as it (portal.css).
BADGES = {
    columns.READY: "status-succeeded",
    columns.PROGRESSING: "status-running",
    columns.PENDING: "status-pending",
    columns.FAILED: "status-failed",
}
STATES = {
    columns.READY: gettext_lazy("Ready"),
    columns.PROGRESSING: gettext_lazy("Progressing"),
    columns.PENDING: gettext_lazy("Pending"),
    columns.FAILED: gettext_lazy("Failed"),
}


def kind_or_404(plural: str) -> Kind:
    if plural not in KINDS:
        raise Http404(_("The portal manages no kind called %(plural)s.") % {"plural": plural})
    return KINDS[plural]


def ready_namespace(request, pk) -> TeamNamespace:
    """The team namespace (404 for other teams' namespaces), ready in its cluster."""
    namespace = _namespace_for(request, pk)
    if namespace.phase != NamespacePhase.READY:
        messages.error(
            request,
            _("Namespace %(name)s is %(phase)s: it has no objects to show or change.")
            % {"name": namespace.name, "phase": namespace.get_phase_display()},
        )
        raise NotReady(namespace)
    return namespace


class NotReady(Exception):
    def __init__(self, namespace):
        self.namespace = namespace


def not_ready(view):
    """A namespace that is not ready sends the user back to its page, told why."""

    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotReady as exc:
            return redirect("teams:namespace-detail", pk=exc.namespace.pk)

    wrapped.__name__, wrapped.__doc__ = view.__name__, view.__doc__
    return wrapped


def may_write(user, namespace: TeamNamespace, kind: Kind) -> bool:
    """Whether to offer write controls; the services refuse on their own anyway."""
    if kind.read_only:
        return False
    role = namespace.team.role_of(user)
    return role in EDITING_ROLES or (user.is_staff and role is None)


def audit(request, namespace: TeamNamespace, kind: Kind, verb: str, name: str = "") -> None:
    audit_describe(
        request,
        action=f"{kind.kind.lower()}.{verb}",
        kind=kind.kind,
        name=name,
        team=namespace.team,
        cluster=namespace.cluster.slug,
        namespace=namespace.name,
    )


def badge(row: dict) -> dict:
    state = (row.get("status") or {}).get("state", "")
    return {
        "state": state,
        "label": STATES.get(state, state),
        "css": BADGES.get(state, ""),
        "message": (row.get("status") or {}).get("message", ""),
    }


def page_context(request, namespace: TeamNamespace, kind: Kind, **extra) -> dict:
    """What every page of a kind shows: breadcrumbs, the switchers, the kind's columns."""
    return {
        "namespace": namespace,
        "kind": kind,
        "kinds": sorted(KINDS.values(), key=lambda k: str(k.label)),
        **switchable(request.user, namespace),
        "columns": kind.columns,
        "may_write": may_write(request.user, namespace, kind),
        **extra,
    }


def switchable(user, namespace: TeamNamespace) -> dict:
    """The namespaces the switcher offers (the user's ready ones in this
    namespace's cluster) and, when they have namespaces in several clusters (a
    platform admin, a team on two clusters), one way into each other cluster:
    its first namespace by name."""
    ready = TeamNamespace.objects.for_user(user).filter(phase=NamespacePhase.READY).select_related("cluster")
    here = list(ready.filter(cluster=namespace.cluster_id).order_by("name"))
    first = {}
    for other in ready.exclude(cluster=namespace.cluster_id).order_by("cluster__name", "name"):
        first.setdefault(other.cluster_id, other)
    return {"namespaces": here, "cluster_entries": list(first.values())}


def cells(kind: Kind, row: dict) -> list:
    return [row["columns"].get(column.name) for column in kind.columns]


def kind_and_namespace(request, pk, plural) -> tuple[Kind, TeamNamespace]:
    """The kind (404 if unknown) and the ready team namespace of a page's address."""
    return kind_or_404(plural), ready_namespace(request, pk)
