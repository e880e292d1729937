from django.urls import path

from rbac import views, views_grants, views_who_can

# A namespace of its own: the API router uses the same names ("cluster-list", ...).
app_name = "rbac"

urlpatterns = [
    path("", views.access_overview, name="access-overview"),
    path("who-can/", views_who_can.who_can, name="who-can"),
    path("grants/", views_grants.GrantListView.as_view(), name="grant-list"),
    path("grants/new/", views_grants.GrantEditView.as_view(), name="grant-create"),
    path("grants/<int:pk>/", views_grants.GrantDetailView.as_view(), name="grant-detail"),
    path("grants/<int:pk>/edit/", views_grants.GrantEditView.as_view(), name="grant-edit"),
    path("grants/<int:pk>/delete/", views_grants.GrantDeleteView.as_view(), name="grant-delete"),
]
