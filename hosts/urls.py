from django.urls import path

from hosts import views

# A namespace of its own: the API router uses the same names ("cluster-list", ...).
app_name = "hosts"

urlpatterns = [
    path("", views.HostListView.as_view(), name="host-list"),
    path("new/", views.HostEditView.as_view(), name="host-create"),
    path("import/", views.host_import, name="host-import"),
    path("preflight/", views.preflight_form, name="preflight"),
    path("preflight/<int:job_id>/", views.preflight_results, name="preflight-results"),
    path("credentials/", views.CredentialListView.as_view(), name="credential-list"),
    path("credentials/new/", views.CredentialEditView.as_view(), name="credential-create"),
    path("credentials/<int:pk>/", views.CredentialDetailView.as_view(), name="credential-detail"),
    path("credentials/<int:pk>/edit/", views.CredentialEditView.as_view(), name="credential-edit"),
    path("credentials/<int:pk>/delete/", views.CredentialDeleteView.as_view(), name="credential-delete"),
    path("<int:pk>/", views.HostDetailView.as_view(), name="host-detail"),
    path("<int:pk>/edit/", views.HostEditView.as_view(), name="host-edit"),
    path("<int:pk>/host-key/", views.host_key, name="host-key"),
    path("<int:pk>/facts/", views.host_facts_gather, name="host-facts"),
    path("<int:pk>/delete/", views.HostDeleteView.as_view(), name="host-delete"),
]
