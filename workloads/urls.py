from django.urls import path

from workloads import views

urlpatterns = [
    path("", views.workload_index, name="workload-index"),
]
