"""HTML pages for clusters and their nodes.

Importing a cluster and replacing its credentials go parse → choose a context
→ reduce → connect check → save: a kubeconfig that does not work is refused
on the page and nothing is stored.
"""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clusters import kubeconfig as kc
from clusters.bootstrap.services import KIND as BOOTSTRAP_KIND
from clusters.choices import ClusterPhase
from clusters.forms import ClusterEditForm, ClusterImportForm, CredentialRotateForm
from clusters.models import Cluster, Node
from clusters.services import clusters as services
from clusters.services.health import cluster_check_now, condition_shown, health_shown
from hosts.models import Host
from jobs.models import Job
from portal.audit import audit_describe
from portal.errors import PortalError
from portal.generic import ObjectDeleteView, ObjectDetailView, ObjectEditView, ObjectListView, add_errors
from portal.quantities import format_quantity, percent_of, quantity_value, sum_quantities
from portal.templatetags.status import render_badge, state_column

PHASE_HISTORY_ROWS = 20


def with_node_counts(queryset):
    """Clusters annotated with `node_count` and `nodes_ready`, by subquery so a
    scoped (joined, distinct) queryset does not multiply the counts."""

    def count(condition):
        rows = (
            Node.objects.filter(condition, cluster=OuterRef("pk"), missing_since__isnull=True)
            .order_by()
            .values("cluster")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Coalesce(Subquery(rows, output_field=IntegerField()), 0)

    return queryset.annotate(node_count=count(Q()), nodes_ready=count(Q(ready=True)))


def nodes_summary(cluster) -> str:
    return f"{cluster.nodes_ready}/{cluster.node_count}"


# --- capacity vs allocatable vs requested -----------------------------------

CAPACITY_RESOURCES = (
    ("cpu", gettext_lazy("CPU")),
    ("memory", gettext_lazy("Memory")),
    ("pods", gettext_lazy("Pods")),
)


def _requested(node, resource: str):
    if resource == "pods":
        return Decimal(node.pods_running or 0)
    return quantity_value((node.requested or {}).get(resource))


def capacity_bars(nodes) -> list[dict]:
    """Capacity, allocatable and requested CPU, memory and pods summed over
    `nodes` (present ones), as bar rows: percentages of capacity."""
    nodes = [n for n in nodes if n.missing_since is None]
    rows = []
    for resource, label in CAPACITY_RESOURCES:
        capacity = sum_quantities((n.capacity or {}).get(resource) for n in nodes)
        allocatable = sum_quantities((n.allocatable or {}).get(resource) for n in nodes)
        requested = sum((_requested(n, resource) or Decimal(0) for n in nodes), Decimal(0))
        rows.append(
            {
                "resource": resource,
                "label": label,
                "capacity": format_quantity(capacity, resource),
                "allocatable": format_quantity(allocatable, resource),
                "requested": format_quantity(requested, resource),
                "allocatable_percent": percent_of(allocatable, capacity),
                "requested_percent": percent_of(requested, capacity),
                "level": "full" if allocatable and requested >= allocatable else "ok",
            }
        )
    return rows


def clusters_overview(queryset) -> list[tuple]:
    """(cluster, capacity bars) for the dashboard, nodes read in one query."""
    clusters = list(with_node_counts(queryset))
    by_cluster: dict[int, list[Node]] = {c.pk: [] for c in clusters}
    for node in Node.objects.filter(cluster__in=[c.pk for c in clusters], missing_since__isnull=True):
        by_cluster[node.cluster_id].append(node)
    return [(cluster, capacity_bars(by_cluster[cluster.pk])) for cluster in clusters]


class ClusterMixin:
    model = Cluster
    lookup_field = "slug"
    list_url_name = "clusters:cluster-list"
    detail_url_name = "clusters:cluster-detail"

    def audit_target(self, obj):
        return {"cluster": obj.slug, "name": obj.slug}


class ClusterListView(ClusterMixin, ObjectListView):
    title = gettext_lazy("Clusters")
    empty_message = gettext_lazy("No clusters yet. Import one that runs already, or bring one up on registered hosts.")
    empty_hint = gettext_lazy("A platform admin imports or brings up clusters; your teams' namespaces live in them.")
    columns = [
        ("name", gettext_lazy("Name")),
        (state_column("phase"), gettext_lazy("Phase")),
        ("kubernetes_version", gettext_lazy("Version")),
        ("api_server_url", gettext_lazy("API server")),
        (nodes_summary, gettext_lazy("Nodes ready")),
        ("last_seen", gettext_lazy("Last seen")),
    ]
    search_fields = ("name", "slug", "description")
    create_url_name = "clusters:cluster-create"
    template_name = "clusters/cluster_list.html"

    def is_changing(self, objects) -> bool:
        # Being brought up, or imported and about to be checked (one never checked
        # with checks off stays Pending: nothing would change).
        return any(
            c.phase == ClusterPhase.PROVISIONING
            or (c.phase == ClusterPhase.PENDING and c.health_checks_enabled and c.api_server_url)
            for c in objects
        )

    def get_queryset(self):
        return with_node_counts(super().get_queryset())


class ClusterDetailView(ClusterMixin, ObjectDetailView):
    template_name = "clusters/cluster_detail.html"
    fields = [
        ("slug", gettext_lazy("Slug")),
        ("description", gettext_lazy("Description")),
        ("get_provider_display", gettext_lazy("Provider")),
        ("api_server_url", gettext_lazy("API server")),
        ("kubeconfig_context", gettext_lazy("Context")),
        ("credential_kind", gettext_lazy("Credential kind")),
        ("credentials_rotated", gettext_lazy("Credentials last replaced")),
        ("desired_version", gettext_lazy("Desired Kubernetes version")),
        ("kubernetes_version", gettext_lazy("Kubernetes version")),
        (state_column("phase"), gettext_lazy("Phase")),
        ("health_checks_enabled", gettext_lazy("Health checks enabled")),
        ("last_seen", gettext_lazy("Last seen")),
        ("last_checked", gettext_lazy("Last checked")),
    ]
    edit_url_name = "clusters:cluster-edit"
    delete_url_name = "clusters:cluster-delete"
    # The page asks for a first check or fresh nodes when it opens; its poll (views_live) does not.
    opening = True

    def extra_context(self, obj):
        # Here, not at the top: the lifecycle and live views build on this module's views.
        from clusters.views_lifecycle import lifecycle_context
        from clusters.views_live import live_context

        # Before the nodes are read: a sync that landed meanwhile shows with them.
        self.live = live_context(self.request, obj, opening=self.opening)
        nodes = list(obj.nodes.all())
        health = obj.health or {}
        readyz = health.get("readyz") or []
        return {
            "nodes": nodes,
            "present_nodes": [n for n in nodes if n.missing_since is None],
            "capacity": capacity_bars(nodes),
            # Stored as message ids and parameters by the check: shown in the reader's language.
            "health": health_shown(health),
            "health_conditions": [condition_shown(c) for c in obj.conditions or []],
            "readyz_failed": [c for c in readyz if not c.get("ok")],
            "readyz_passed": sum(1 for c in readyz if c.get("ok")),
            "phase_changes": obj.phase_changes.all()[:PHASE_HISTORY_ROWS],
            "namespaces": obj.team_namespaces.for_user(self.request.user).select_related("team"),
            # Hosts are platform records: admins see them (Host.objects.for_user).
            "hosts": Host.objects.for_user(self.request.user).filter(cluster=obj).order_by("role", "name"),
            "bootstrap_job": Job.objects.for_user(self.request.user)
            .filter(cluster=obj, kind=BOOTSTRAP_KIND)
            .order_by("-created", "-id")
            .first(),
            "live": self.live,
            **lifecycle_context(self.request.user, obj),
        }


class ClusterEditView(ClusterMixin, ObjectEditView):
    """Edit the record; credentials have their own page (a check first)."""

    form_class = ClusterEditForm

    def get(self, request, **kwargs):
        if self.lookup_field not in kwargs:
            return redirect("clusters:cluster-create")
        return super().get(request, **kwargs)

    def save(self, form, obj):
        return services.cluster_update(cluster=obj, **form.cleaned_data)


def _found_message(found: dict) -> str:
    ready = _("ready") if found["ready"] else _("NOT ready")
    return _("Connected to %(server)s: Kubernetes %(version)s, API server %(ready)s, %(nodes)s nodes.") % {
        "server": found["server"],
        "version": found["version"],
        "ready": ready,
        "nodes": found["nodes"],
    }


def _staff_only(request):
    if not request.user.is_staff:
        raise PermissionDenied(_("Only platform admins may see this."))


def _context_choices(text: str) -> tuple[list[str], str, str]:
    """(context names, the preselected one, an error message) of pasted text."""
    try:
        doc = kc.parse(text)
        names = kc.contexts(doc)
    except PortalError as exc:
        return [], "", exc.message
    current = doc.get("current-context") if doc.get("current-context") in names else ""
    return names, current or (names[0] if len(names) == 1 else ""), ""


class ClusterImportView(ClusterMixin, ObjectEditView):
    """Import an existing cluster from a kubeconfig that must work first."""

    form_class = ClusterImportForm
    title_new = gettext_lazy("Import a cluster")
    template_name = "clusters/cluster_import.html"
    default_error_field = "kubeconfig"

    def get(self, request, **kwargs):
        self.check_may_change(None)
        return self.render_form(self.get_form(None), None, self.title_new)

    def post(self, request, **kwargs):
        self.check_may_change(None)
        form = self.get_form(None, request.POST, request.FILES)
        audit_describe(request, action="cluster.create", kind="Cluster", name=request.POST.get("slug", ""))
        contexts = []
        if form.is_valid():
            data = dict(form.cleaned_data)
            data.pop("kubeconfig_file", None)
            contexts, _chosen, _error = _context_choices(data["kubeconfig"])
            try:
                cluster, found = services.cluster_import(**data)
            except PortalError as exc:
                add_errors(form, exc.field_errors, exc.message, default_field="kubeconfig")
            except ValidationError as exc:  # the record itself: a taken name or slug
                add_errors(form, getattr(exc, "message_dict", {}), " ".join(exc.messages))
            else:
                audit_describe(request, cluster=cluster.slug, name=cluster.slug)
                messages.success(request, _("Imported %(cluster)s.") % {"cluster": cluster})
                messages.info(request, _found_message(found))
                return HttpResponseRedirect(self.detail_url(cluster))
        return render(
            request,
            self.template_name,
            {"form": form, "title": self.title_new, "cancel_url": self.list_url(), "contexts": contexts},
            status=400,
        )

    def render_form(self, form, obj, title, status=200):
        return render(
            self.request,
            self.template_name,
            {"form": form, "title": title, "cancel_url": self.list_url(), "contexts": []},
            status=status,
        )


@login_required
@require_POST
def kubeconfig_contexts(request):
    """htmx: the contexts of a pasted or uploaded kubeconfig, as a select."""
    _staff_only(request)
    text = request.POST.get("kubeconfig", "")
    upload = request.FILES.get("kubeconfig_file")
    if upload and upload.size <= kc.MAX_KUBECONFIG_BYTES:
        try:
            text = upload.read().decode()
        except UnicodeDecodeError:
            text = ""
    names, chosen, error = _context_choices(text) if text.strip() else ([], "", "")
    return render(
        request,
        "clusters/_kubeconfig_contexts.html",
        {"contexts": names, "chosen": request.POST.get("context") or chosen, "error": error},
    )


def _cluster_for_admin(request, slug) -> Cluster:
    cluster = get_object_or_404(Cluster.objects.for_user(request.user), slug=slug)
    _staff_only(request)
    return cluster


@login_required
def cluster_rotate(request, slug):
    """Replace a cluster's credentials with a kubeconfig that works (checked first)."""
    cluster = _cluster_for_admin(request, slug)
    form = CredentialRotateForm()
    status = 200
    if request.method == "POST":
        audit_describe(
            request, action="cluster.rotate_credentials", kind="Cluster", cluster=cluster.slug, name=cluster.slug
        )
        form = CredentialRotateForm(request.POST, request.FILES)
        status = 400
        if form.is_valid():
            try:
                cluster, found = services.cluster_credentials_replace(
                    cluster=cluster, kubeconfig=form.cleaned_data["kubeconfig"], context=form.cleaned_data["context"]
                )
            except PortalError as exc:
                add_errors(form, exc.field_errors, exc.message, default_field="kubeconfig")
            else:
                cluster = services.cluster_check_connected(cluster=cluster)
                messages.success(request, _("Replaced the credentials of %(cluster)s.") % {"cluster": cluster})
                messages.info(request, _found_message(found))
                return redirect("clusters:cluster-detail", slug=cluster.slug)
    return render(
        request,
        "clusters/cluster_rotate.html",
        {"form": form, "object": cluster, "title": _("Replace the credentials of %(cluster)s") % {"cluster": cluster}},
        status=status,
    )


@login_required
@require_POST
def cluster_check(request, slug):
    """Check now: control-plane health, then the node inventory; show the result."""
    cluster = _cluster_for_admin(request, slug)
    audit_describe(request, action="cluster.check", kind="Cluster", cluster=cluster.slug, name=cluster.slug)
    cluster, counts, sync_error = cluster_check_now(cluster=cluster)
    healthy = condition_shown(next((c for c in cluster.conditions or [] if c.get("type") == "Healthy"), {}))
    summary = _("%(cluster)s is %(phase)s.") % {"cluster": cluster, "phase": cluster.get_phase_display()}
    if healthy.get("message"):
        summary = f"{summary} {healthy['message']}"
    (messages.success if cluster.phase == "ready" else messages.warning)(request, summary)
    if counts is None:
        messages.error(request, sync_error)
    else:
        messages.info(
            request,
            _("Nodes: %(ready)s of %(nodes)s ready, %(missing)s newly missing.")
            % {"ready": counts["ready"], "nodes": counts["nodes"], "missing": counts["missing"]},
        )
    return redirect(
        request.POST.get("next") if _safe_next(request) else reverse("clusters:cluster-detail", args=[cluster.slug])
    )


def _safe_next(request) -> bool:
    target = request.POST.get("next", "")
    return target.startswith("/") and not target.startswith("//")


class ClusterDeleteView(ClusterMixin, ObjectDeleteView):
    success_url_name = "clusters:cluster-list"
    warning = gettext_lazy(
        "This removes the cluster's record and stored credentials from the portal only. "
        "The real cluster is not touched: its nodes, namespaces and workloads keep running."
    )

    def delete(self, obj):
        services.cluster_delete(cluster=obj)


# --- nodes -------------------------------------------------------------------


class NodeMixin:
    model = Node
    select_related = ("cluster",)
    list_url_name = "clusters:node-list"
    detail_url_name = "clusters:node-detail"

    def parent_crumbs(self, obj):
        # A node is part of its cluster: Clusters > cluster > node.
        if obj is None:
            return None
        return [
            (reverse("clusters:cluster-list"), _("Clusters")),
            (reverse("clusters:cluster-detail", args=[obj.cluster.slug]), obj.cluster.name),
        ]

    def audit_target(self, obj):
        return {"cluster": obj.cluster.slug, "name": obj.name}


def node_status(node) -> str:
    """The node's state as badges: missing, ready or not, and cordoned."""
    if node.missing_since:
        return render_badge("missing", _("Missing"))
    status = render_badge("ready", _("Ready")) if node.ready else render_badge("not_ready", _("Not ready"))
    return format_html("{} {}", status, render_badge("cordoned", _("cordoned"))) if node.unschedulable else status


class NodeListView(NodeMixin, ObjectListView):
    title = gettext_lazy("Nodes")
    empty_message = gettext_lazy("No nodes yet: they are read from each cluster once the portal has connected to it.")
    columns = [
        ("name", gettext_lazy("Name")),
        ("cluster.name", gettext_lazy("Cluster")),
        (lambda n: ", ".join(n.roles), gettext_lazy("Roles")),
        (node_status, gettext_lazy("Status")),
        ("address", gettext_lazy("Internal IP")),
        (lambda n: n.versions.get("kubelet", ""), gettext_lazy("Kubelet")),
        ("pods_running", gettext_lazy("Pods")),
    ]
    search_fields = ("name", "address", "cluster__name")
    template_name = "clusters/node_list.html"

    def get(self, request, *args, **kwargs):
        from clusters.views_live import nodes_live, stop_polling_when_settled

        # Before the rows are read: a sync that landed meanwhile shows with them.
        self.live = nodes_live(request, list(Cluster.objects.for_user(request.user)))
        return stop_polling_when_settled(request, super().get(request, *args, **kwargs), self.live)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "live": self.live}
