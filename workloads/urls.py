from django.urls import path

from workloads import views, views_actions, views_kinds

# A namespace of its own: the API router uses the same names ("cluster-list", ...).
app_name = "workloads"

KIND = "namespaces/<int:pk>/<slug:plural>/"

urlpatterns = [
    path("", views.workload_index, name="workload-index"),
    # The generic apply page takes the namespace page's deployment form's posts on to it.
    path(KIND + "new/", views_kinds.kind_apply, name="kind-apply"),
    path("namespaces/<int:pk>/deployments/new/", views.deployment_create, name="deployment-create"),
    path(KIND, views_kinds.kind_list, name="kind-list"),
    path(KIND + "<str:name>/", views_kinds.kind_detail, name="kind-detail"),
    path(KIND + "<str:name>/delete/", views_kinds.kind_delete, name="kind-delete"),
    path(KIND + "<str:name>/<slug:action_name>/", views_actions.kind_action, name="kind-action"),
]
