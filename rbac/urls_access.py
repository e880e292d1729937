from django.urls import path

from rbac import views, views_who_can

# A namespace of its own: the API router uses the same names ("cluster-list", ...).
app_name = "rbac"

urlpatterns = [
    path("", views.access_overview, name="access-overview"),
    path("who-can/", views_who_can.who_can, name="who-can"),
]
