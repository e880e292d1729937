from django.urls import path

from rbac import views, views_reconcile
from rbac import views_namespaces as ns_views

# A namespace of its own: the API router uses the same names ("cluster-list", ...).
app_name = "teams"

urlpatterns = [
    path("", views.TeamListView.as_view(), name="team-list"),
    path("new/", views.TeamEditView.as_view(), name="team-create"),
    path("quota-plans/", views.QuotaPlanListView.as_view(), name="quotaplan-list"),
    path("quota-plans/new/", views.QuotaPlanEditView.as_view(), name="quotaplan-create"),
    path("quota-plans/<slug:slug>/", views.QuotaPlanDetailView.as_view(), name="quotaplan-detail"),
    path("quota-plans/<slug:slug>/edit/", views.QuotaPlanEditView.as_view(), name="quotaplan-edit"),
    path("quota-plans/<slug:slug>/delete/", views.QuotaPlanDeleteView.as_view(), name="quotaplan-delete"),
    path("quota-changes/<int:pk>/decide/", ns_views.quota_change_decide, name="quotachange-decide"),
    path("namespaces/", ns_views.NamespaceListView.as_view(), name="namespace-list"),
    path("namespaces/new/", ns_views.NamespaceEditView.as_view(), name="namespace-create"),
    path("namespaces/pending/", ns_views.pending_namespaces, name="namespace-pending"),
    path("namespaces/<int:pk>/", ns_views.NamespaceDetailView.as_view(), name="namespace-detail"),
    path("namespaces/<int:pk>/live/", ns_views.NamespaceLiveView.as_view(), name="namespace-live"),
    path("namespaces/<int:pk>/edit/", ns_views.NamespaceEditView.as_view(), name="namespace-edit"),
    path("namespaces/<int:pk>/delete/", ns_views.NamespaceDeleteView.as_view(), name="namespace-delete"),
    path("namespaces/<int:pk>/approve/", ns_views.namespace_approve, name="namespace-approve"),
    path("namespaces/<int:pk>/reject/", ns_views.namespace_reject, name="namespace-reject"),
    path("namespaces/<int:pk>/reconcile/", views_reconcile.namespace_reconcile, name="namespace-reconcile"),
    # Here rather than under /clusters/: the clusters app does not import the tenancy app.
    path("clusters/<slug:slug>/reconcile/", views_reconcile.cluster_reconcile, name="cluster-reconcile"),
    path("namespaces/<int:pk>/quota-change/", ns_views.quota_change_create, name="quotachange-create"),
    path("<slug:slug>/", views.TeamDetailView.as_view(), name="team-detail"),
    path("<slug:slug>/edit/", views.TeamEditView.as_view(), name="team-edit"),
    path("<slug:slug>/delete/", views.TeamDeleteView.as_view(), name="team-delete"),
    path("<slug:slug>/members/", views.MembershipAddView.as_view(), name="membership-add"),
    path("<slug:slug>/members/<int:pk>/", views.membership_change, name="membership-change"),
    path("<slug:slug>/kubeconfig/", views.team_kubeconfig_download, name="team-kubeconfig"),
]
