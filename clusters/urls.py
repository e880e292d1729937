from django.urls import path

from clusters import views

# A namespace of its own: the API router uses the same names ("cluster-list", ...).
app_name = "clusters"

urlpatterns = [
    path("", views.ClusterListView.as_view(), name="cluster-list"),
    path("new/", views.ClusterEditView.as_view(), name="cluster-create"),
    path("nodes/", views.NodeListView.as_view(), name="node-list"),
    path("nodes/<int:pk>/", views.NodeDetailView.as_view(), name="node-detail"),
    path("<slug:slug>/", views.ClusterDetailView.as_view(), name="cluster-detail"),
    path("<slug:slug>/edit/", views.ClusterEditView.as_view(), name="cluster-edit"),
    path("<slug:slug>/delete/", views.ClusterDeleteView.as_view(), name="cluster-delete"),
]
