"""Django admin for the clusters app. Encrypted fields are never rendered."""

from django.contrib import admin

from clusters.models import Cluster, Node


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "phase", "kubernetes_version", "last_seen"]
    search_fields = ["name", "slug"]
    exclude = ["kubeconfig"]
    readonly_fields = [
        "api_server_url",
        "kubeconfig_context",
        "credential_kind",
        "credentials_rotated",
        "kubernetes_version",
        "phase",
        "conditions",
        "last_seen",
        "last_checked",
    ]


@admin.register(Node)
class NodeAdmin(admin.ModelAdmin):
    list_display = ["name", "cluster", "ready", "address"]
    list_filter = ["cluster", "ready"]
    search_fields = ["name", "address"]
