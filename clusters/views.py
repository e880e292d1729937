"""HTML pages for clusters and their nodes."""

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from clusters.forms import ClusterForm
from clusters.models import Cluster, Node
from clusters.services import clusters as services
from portal.generic import ObjectDeleteView, ObjectDetailView, ObjectEditView, ObjectListView


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


class ClusterMixin:
    model = Cluster
    lookup_field = "slug"
    list_url_name = "clusters:cluster-list"
    detail_url_name = "clusters:cluster-detail"

    def audit_target(self, obj):
        return {"cluster": obj.slug, "name": obj.slug}


class ClusterListView(ClusterMixin, ObjectListView):
    title = _("Clusters")
    columns = [
        ("name", _("Name")),
        ("get_phase_display", _("Phase")),
        ("kubernetes_version", _("Version")),
        ("api_server_url", _("API server")),
        (nodes_summary, _("Nodes ready")),
        ("last_seen", _("Last seen")),
    ]
    search_fields = ("name", "slug", "description")
    create_url_name = "clusters:cluster-create"

    def get_queryset(self):
        return with_node_counts(super().get_queryset())


class ClusterDetailView(ClusterMixin, ObjectDetailView):
    template_name = "clusters/cluster_detail.html"
    fields = [
        ("slug", _("Slug")),
        ("description", _("Description")),
        ("get_provider_display", _("Provider")),
        ("api_server_url", _("API server")),
        ("kubeconfig_context", _("Context")),
        ("credential_kind", _("Credential kind")),
        ("credentials_rotated", _("Credentials last replaced")),
        ("desired_version", _("Desired Kubernetes version")),
        ("kubernetes_version", _("Kubernetes version")),
        ("get_phase_display", _("Phase")),
        ("health_checks_enabled", _("Health checks enabled")),
        ("last_seen", _("Last seen")),
        ("last_checked", _("Last checked")),
    ]
    edit_url_name = "clusters:cluster-edit"
    delete_url_name = "clusters:cluster-delete"

    def extra_context(self, obj):
        return {
            "nodes": obj.nodes.all(),
            "namespaces": obj.team_namespaces.for_user(self.request.user).select_related("team"),
        }


class ClusterEditView(ClusterMixin, ObjectEditView):
    form_class = ClusterForm
    title_new = _("New cluster")
    # Kubeconfig problems the parser does not pin to a field belong to the kubeconfig.
    default_error_field = "kubeconfig"

    def save(self, form, obj):
        data = dict(form.cleaned_data)
        data.pop("kubeconfig_file", None)
        if obj is None:
            return services.cluster_create(**data)
        return services.cluster_update(cluster=obj, **data)


class ClusterDeleteView(ClusterMixin, ObjectDeleteView):
    success_url_name = "clusters:cluster-list"

    def delete(self, obj):
        services.cluster_delete(cluster=obj)


class NodeMixin:
    model = Node
    select_related = ("cluster",)
    list_url_name = "clusters:node-list"
    detail_url_name = "clusters:node-detail"


def node_status(node) -> str:
    if node.missing_since:
        return _("Missing")
    status = _("Ready") if node.ready else _("Not ready")
    return f"{status}, {_('cordoned')}" if node.unschedulable else status


class NodeListView(NodeMixin, ObjectListView):
    title = _("Nodes")
    columns = [
        ("name", _("Name")),
        ("cluster.name", _("Cluster")),
        (lambda n: ", ".join(n.roles), _("Roles")),
        (node_status, _("Status")),
        ("address", _("Internal IP")),
        (lambda n: n.versions.get("kubelet", ""), _("Kubelet")),
    ]
    search_fields = ("name", "address", "cluster__name")


class NodeDetailView(NodeMixin, ObjectDetailView):
    fields = [
        ("cluster.name", _("Cluster")),
        ("address", _("Internal IP")),
        (lambda n: ", ".join(n.roles), _("Roles")),
        (node_status, _("Status")),
        ("capacity", _("Capacity")),
        ("allocatable", _("Allocatable")),
        ("versions", _("Versions")),
        ("labels", _("Labels")),
        ("taints", _("Taints")),
        ("missing_since", _("Missing since")),
        ("last_synced", _("Last synced")),
    ]
