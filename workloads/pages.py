"""What every page of a live object shares: the kind and namespace of its
address, the switchers and breadcrumbs, the status badge, the audit record.
Used by the generic pages (views_kinds.py) and the actions' (views_actions.py).
"""

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clusters import kube
from clusters.models import Cluster
from portal.audit import audit_describe
from portal.errors import PortalError
from portal.roles import EDITING_ROLES
from portal.templatetags.status import family
from rbac.choices import NamespacePhase
from rbac.models import TeamNamespace
from workloads import columns, places
from workloads.errors import mapped
from workloads.kinds import KINDS, Kind

# A state of workloads/columns.py -> its word; its colour is its family (portal/templatetags/status.py).
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


def ready_namespace(request, pk, *, every: bool = False):
    """The namespace a page's address names (workloads/places.py: 404 for
    other teams' namespaces), ready in its cluster; `every` allows a whole
    cluster (an admin's list)."""
    namespace = places.place_for(request.user, pk, every=every)
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


def may_write(user, namespace, kind: Kind) -> bool:
    """Whether to offer write controls; the services refuse on their own anyway."""
    if kind.read_only or (places.spans_cluster(namespace) and kind.namespaced):
        return False
    return places.role_in(user, namespace) in EDITING_ROLES or places.as_platform(user, namespace)


def audit(request, namespace, kind: Kind, verb: str, name: str = "") -> None:
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
        "family": family(state),
        "message": (row.get("status") or {}).get("message", ""),
    }


def page_context(request, namespace, kind: Kind, **extra) -> dict:
    """What every page of a kind shows: breadcrumbs, the switchers, the kind's columns."""
    return {
        "namespace": namespace,
        "kind": kind,
        "kinds": kinds_at(namespace),
        **switchable(request.user, namespace),
        "columns": kind.columns,
        "may_write": may_write(request.user, namespace, kind),
        "breadcrumbs": trail(request, namespace, kind, extra.get("name", "")),
        **extra,
    }


def trail(request, namespace, kind: Kind, name: str = "") -> list[tuple[str | None, str]]:
    """The breadcrumbs above a page of a kind (the frame adds the dashboard
    and the page itself): Workloads, the namespace (its team's, or a cluster's
    that no team holds), the kind's list, the object."""
    crumbs = [(reverse("workloads:workload-index"), _("Workloads"))]
    if namespace.team is not None:
        crumbs.append((reverse("teams:team-detail", args=[namespace.team.slug]), namespace.team.name))
        crumbs.append(
            (reverse("teams:namespace-detail", args=[namespace.pk]), f"{namespace.cluster.name}/{namespace.name}")
        )
    else:
        crumbs.append((reverse("clusters:cluster-detail", args=[namespace.cluster.slug]), namespace.cluster.name))
        crumbs.append((None, namespace.name or _("All namespaces")))
    page = request.resolver_match.url_name if request.resolver_match else ""
    if page != "kind-list":
        crumbs.append((reverse("workloads:kind-list", args=[namespace.pk, kind.plural]), str(kind.label)))
    if page in ("kind-action", "kind-edit") and name:
        crumbs.append((reverse("workloads:kind-detail", args=[namespace.pk, kind.plural, name]), name))
    return crumbs


def kinds_at(namespace) -> list[Kind]:
    """The kinds the kind switcher offers: a cluster's address lists them all,
    a namespace holds only the namespaced ones."""
    every = places.spans_cluster(namespace)
    return sorted((k for k in KINDS.values() if every or k.namespaced), key=lambda k: str(k.label))


def switchable(user, namespace) -> dict:
    """The switchers' entries ({"pk", "name"}; the kind is the page's).

    Team members: their ready namespaces in this namespace's cluster and, when
    they have namespaces in several clusters, one way into each other cluster
    (its first namespace by name). Platform admins: every namespace of the
    cluster (read live: most are no team's), all of them at once, and each
    other cluster's all-namespaces list."""
    if user.is_staff:
        return _admin_switchable(namespace)
    ready = TeamNamespace.objects.for_user(user).filter(phase=NamespacePhase.READY).select_related("cluster")
    here = [{"pk": ns.pk, "name": ns.name} for ns in ready.filter(cluster=namespace.cluster_id).order_by("name")]
    first = {}
    for other in ready.exclude(cluster=namespace.cluster_id).order_by("cluster__name", "name"):
        first.setdefault(other.cluster_id, {"pk": other.pk, "name": other.cluster.name, "note": other.name})
    return {"namespaces": here, "cluster_entries": list(first.values())}


def _admin_switchable(namespace) -> dict:
    cluster = namespace.cluster
    held = TeamNamespace.objects.filter(cluster=cluster, phase=NamespacePhase.READY).values_list("name", flat=True)
    names = sorted({*cluster_namespace_names(cluster), *held, *filter(None, [namespace.name])})
    addresses = places.places_by_name(cluster, names)
    here = [{"pk": f"{cluster.slug}:{places.EVERY}", "name": _("All namespaces")}]
    here += [{"pk": addresses[name], "name": name} for name in names]
    others = Cluster.objects.exclude(pk=cluster.pk).order_by("name").only("slug", "name")
    entries = [
        {"pk": f"{other.slug}:{places.EVERY}", "name": other.name, "note": _("all namespaces")} for other in others
    ]
    return {"namespaces": here, "cluster_entries": entries}


NAMESPACE_NAMES_TTL = 30  # seconds: namespaces come and go rarely; a switcher may lag that long
NAMESPACE_NAMES_FAILURE_TTL = 10  # seconds an unreachable cluster's empty answer is kept
NAMESPACE_NAMES_LIMIT = 500


def cluster_namespace_names(cluster) -> list[str]:
    """The cluster's namespace names (the first 500), read with the portal's
    credential and kept briefly, so that an admin's every page does not list
    them again."""
    key = f"workloads:namespace-names:{cluster.pk}"
    names = cache.get(key)
    if names is None:
        try:
            with kube.client_for(cluster) as client, mapped():
                answer = client.request_json(
                    "GET", "/api/v1/namespaces", query=[("limit", str(NAMESPACE_NAMES_LIMIT))]
                )[1]
            names = sorted(item["metadata"]["name"] for item in answer.get("items") or [])
        except PortalError:
            # The switcher still offers the team namespaces it holds. The failure
            # is kept too, briefly: an unreachable cluster would otherwise cost
            # every admin page its connect timeout.
            cache.set(key, [], NAMESPACE_NAMES_FAILURE_TTL)
            return []
        cache.set(key, names, NAMESPACE_NAMES_TTL)
    return names


def cells(kind: Kind, row: dict) -> list:
    """The row's column values as the page shows them: states as badges."""
    values = row["columns"]
    return [
        column.shown(values.get(column.name)) if column.shown else values.get(column.name) for column in kind.columns
    ]


def kind_and_namespace(request, pk, plural, *, listing: bool = False) -> tuple[Kind, object]:
    """The kind (404 if unknown) and the ready namespace of a page's address.
    A cluster-scoped kind (ClusterRoles) lives at its cluster's address
    (`<cluster>:*`, platform admins) and nowhere else; a namespaced kind is
    only listed there (`listing`)."""
    kind = kind_or_404(plural)
    namespace = ready_namespace(request, pk, every=listing or not kind.namespaced)
    if not kind.namespaced and not places.spans_cluster(namespace):
        raise Http404(_("%(kind)s objects belong to the whole cluster, not to a namespace.") % {"kind": kind.kind})
    return kind, namespace
