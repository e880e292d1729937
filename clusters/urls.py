from django.urls import path

from clusters import views, views_bootstrap, views_lifecycle, views_live, views_nodes

# A namespace of its own: the API router uses the same names ("cluster-list", ...).
app_name = "clusters"

urlpatterns = [
    path("", views.ClusterListView.as_view(), name="cluster-list"),
    path("new/", views.ClusterImportView.as_view(), name="cluster-create"),
    path("new/contexts/", views.kubeconfig_contexts, name="kubeconfig-contexts"),
    path("bootstrap/", views_bootstrap.bootstrap_wizard, name="cluster-bootstrap"),
    path("nodes/", views.NodeListView.as_view(), name="node-list"),
    path("nodes/<int:pk>/", views_nodes.NodeDetailView.as_view(), name="node-detail"),
    *[
        path(
            f"nodes/<int:pk>/{action}/", views_nodes.NodeActionView.as_view(), {"action": action}, name=f"node-{action}"
        )
        for action in ("cordon", "uncordon", "drain", "labels", "taints")
    ],
    path("<slug:slug>/", views.ClusterDetailView.as_view(), name="cluster-detail"),
    path("<slug:slug>/live/", views_live.ClusterLiveView.as_view(), name="cluster-live"),
    path("<slug:slug>/edit/", views.ClusterEditView.as_view(), name="cluster-edit"),
    path("<slug:slug>/credentials/", views.cluster_rotate, name="cluster-rotate"),
    path("<slug:slug>/check/", views.cluster_check, name="cluster-check"),
    path("<slug:slug>/delete/", views.ClusterDeleteView.as_view(), name="cluster-delete"),
    path("<slug:slug>/workers/", views_lifecycle.cluster_workers_add, name="cluster-workers-add"),
    path("<slug:slug>/hosts/<int:pk>/remove/", views_lifecycle.cluster_host_remove, name="cluster-host-remove"),
]
