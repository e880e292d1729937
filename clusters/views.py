"""HTML pages for clusters and their nodes."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from clusters.forms import ClusterForm
from clusters.models import Cluster, Node
from clusters.services import clusters as services
from portal.generic import ObjectDeleteView, ObjectDetailView, ObjectEditView, ObjectListView


class ClusterMixin:
    model = Cluster
    lookup_field = "slug"

    def audit_target(self, obj):
        return {"cluster": obj.slug, "name": obj.slug}


class ClusterListView(ClusterMixin, ObjectListView):
    title = _("Clusters")
    columns = [
        ("name", _("Name")),
        ("get_phase_display", _("Phase")),
        ("kubernetes_version", _("Version")),
        ("api_server_url", _("API server")),
        (lambda c: c.nodes.count(), _("Nodes")),
        ("last_seen", _("Last seen")),
    ]
    search_fields = ("name", "slug", "description")
    create_url_name = "cluster-create"
    detail_url_name = "cluster-detail"


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
        ("kubernetes_version", _("Kubernetes version")),
        ("get_phase_display", _("Phase")),
        ("last_seen", _("Last seen")),
    ]
    edit_url_name = "cluster-edit"
    delete_url_name = "cluster-delete"

    def extra_context(self, obj):
        return {
            "nodes": obj.nodes.all(),
            "namespaces": obj.team_namespaces.for_user(self.request.user).select_related("team"),
        }


class ClusterEditView(ClusterMixin, ObjectEditView):
    form_class = ClusterForm

    def save(self, form, obj):
        data = dict(form.cleaned_data)
        data.pop("kubeconfig_file", None)
        if obj is None:
            return services.cluster_create(**data)
        return services.cluster_update(cluster=obj, **data)

    def success_url(self, obj):
        return reverse("cluster-detail", args=[obj.slug])


class ClusterDeleteView(ClusterMixin, ObjectDeleteView):
    success_url_name = "cluster-list"

    def delete(self, obj):
        services.cluster_delete(cluster=obj)


class NodeListView(ObjectListView):
    model = Node
    title = _("Nodes")
    select_related = ("cluster",)
    columns = [
        ("cluster.name", _("Cluster")),
        ("name", _("Name")),
        (lambda n: ", ".join(n.roles), _("Roles")),
        (lambda n: _("Ready") if n.ready else _("Not ready"), _("Status")),
        ("address", _("Internal IP")),
        (lambda n: n.versions.get("kubelet", ""), _("Kubelet")),
    ]
    search_fields = ("name", "address")
    detail_url_name = "node-detail"


class NodeDetailView(ObjectDetailView):
    model = Node
    select_related = ("cluster",)
    fields = [
        ("cluster.name", _("Cluster")),
        ("address", _("Internal IP")),
        ("roles", _("Roles")),
        ("ready", _("Ready")),
        ("unschedulable", _("Unschedulable")),
        ("capacity", _("Capacity")),
        ("allocatable", _("Allocatable")),
        ("versions", _("Versions")),
        ("labels", _("Labels")),
        ("taints", _("Taints")),
        ("missing_since", _("Missing since")),
        ("last_synced", _("Last synced")),
    ]
