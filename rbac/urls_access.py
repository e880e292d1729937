from django.urls import path

from rbac import views

# A namespace of its own: the API router uses the same names ("cluster-list", ...).
app_name = "rbac"

urlpatterns = [
    path("", views.access_overview, name="access-overview"),
]
