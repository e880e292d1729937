from django.urls import path

from rbac import views

urlpatterns = [
    path("", views.access_overview, name="access-overview"),
]
