from django.urls import path

from workloads import views

# A namespace of its own: the API router uses the same names ("cluster-list", ...).
app_name = "workloads"

urlpatterns = [
    path("", views.workload_index, name="workload-index"),
    path("namespaces/<int:pk>/deployments/new/", views.deployment_create, name="deployment-create"),
]
